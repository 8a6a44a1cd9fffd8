import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redact, redactingInvocation, Sensitive } from '../../lambda/telemetry/redaction.js';

const KEY = `ffy_prod_01kdx2z2ab${'Q7w'.repeat(20)}`;
const ROTATION_TOKEN = 'Rotation_Token-3b8e1f0a+/Secret=Value';

// How a service can echo a value back: JSON-escaped (fully or just the underscore), case-changed, both,
// or escaped twice (a JSON document quoted inside another).
const escapeAll = (text: string) =>
  [...text].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const echoes = (value: string): [string, string][] => [
  ['verbatim', value],
  ['upper-cased', value.toUpperCase()],
  ['lower-cased', value.toLowerCase()],
  ['with the underscores JSON-escaped', value.replaceAll('_', '\\u005f')],
  ['with the underscores JSON-escaped in capitals', value.replaceAll('_', '\\u005F')],
  ['with every character JSON-escaped', escapeAll(value)],
  ['JSON-escaped twice', value.replaceAll('_', '\\\\u005f')],
  ['JSON-quoted', JSON.stringify(value).slice(1, -1)],
  ['with the underscores JSON-escaped, the backslash lost', value.replaceAll('_', 'u005f')],
  ['upper-cased and JSON-escaped', value.toUpperCase().replaceAll('_', '\\u005F')],
];

describe('redact', () => {
  new Sensitive(KEY);
  new Sensitive(ROTATION_TOKEN);

  it.each(echoes(KEY))('removes a key echoed %s', (_how, echo) => {
    const out = redact(`Factify said: invalid key "${echo}" (request 42)`);

    expect(out).toBe('Factify said: invalid key "[redacted]" (request 42)');
  });

  it.each(echoes(`ffy_test_${'Zx9'.repeat(25)}`))(
    'removes an unregistered Factify-shaped key echoed %s',
    (_how, echo) => {
      expect(redact(`echo: ${echo}.`)).toBe('echo: [redacted].');
    },
  );

  it.each(echoes(ROTATION_TOKEN))('removes the RotationToken echoed %s', (_how, echo) => {
    expect(redact(`{"Message":"bad token ${echo}"}`)).toBe('{"Message":"bad token [redacted]"}');
  });

  it('leaves ordinary text alone', () => {
    const text =
      'Factify answered HTTP 401 to list API keys (GET /v1/api-keys) for key_01h2xcejqtf2nbrexx3vqjhp41';

    expect(redact(text)).toBe(text);
  });
});

describe('many values at once', () => {
  it('redacts every value an audit-sized invocation registers, echoed plainly or escaped elsewhere in the line', async () => {
    const values = Array.from(
      { length: 3_000 },
      (_, index) => `Fleet-Value-${index}-${'k'.repeat(index % 7)}`,
    );
    await redactingInvocation(async () => {
      for (const value of values) new Sensitive(value);
      for (const value of [values[0], values[1_234], values[2_999]] as string[]) {
        expect(redact(`{"a":"${value.toUpperCase()}"}`)).toBe('{"a":"[redacted]"}');
        expect(redact(`{"a":"${value}","b":"line\\nbreak"}`)).toBe('{"a":"[redacted]","b":"line\\nbreak"}');
        expect(redact(`x ${value.replaceAll('-', '\\u002d')} y`)).toBe('x [redacted] y');
      }
    });
  });

  it('redacts values that overlap in the text whole, leaving no tail of either', () => {
    new Sensitive('overlap-first-12');
    new Sensitive('first-12-second');

    expect(redact('<overlap-first-12-second>')).toBe('<[redacted]>');
    expect(redact('<OVERLAP-FIRST-12-SECOND>')).toBe('<[redacted]>');
  });

  it('redacts values that overlap whole also in a line that has an escape elsewhere in it', () => {
    new Sensitive('escaped-overlap-a1');
    new Sensitive('overlap-a1-escaped-b2');

    expect(redact('{"m":"<escaped-overlap-a1-escaped-b2>","n":"line\\nbreak"}')).toBe(
      '{"m":"<[redacted]>","n":"line\\nbreak"}',
    );
    expect(redact('<ESCAPED\\u002dOVERLAP-A1-ESCAPED-B2>')).toBe('<[redacted]>');
  });

  it('redacts a whole secret string that holds a Factify key, not only the key in it', () => {
    // The store registers the secret string it reads, and its apiKey on its own: other fields are secrets too.
    const value = `{"apiKey":"${KEY}","webhookSecret":"whsec-held-beside-the-key"}`;
    new Sensitive(value);

    expect(redact(`echo ${value} end`)).toBe('echo [redacted] end');
    expect(redact(`echo ${value} end\\n`)).toBe('echo [redacted] end\\n');
  });

  it('redacts a value with other than ASCII in it in any case', () => {
    new Sensitive('Schlüssel-wert-ÄÖ');

    expect(redact('a SCHLÜSSEL-WERT-ÄÖ b schlüssel-wert-äö c')).toBe('a [redacted] b [redacted] c');
  });
});

describe('long values', () => {
  it('redacts a long value (a whole secret string) verbatim', () => {
    const value = `{"apiKey":"x","notes":"${'n'.repeat(5_000)}"}`;
    new Sensitive(value);

    expect(redact(`echo ${value} end`)).toBe('echo [redacted] end');
    expect(redact(`echo ${value} end\\n`)).toBe('echo [redacted] end\\n');
  });
});

describe('Sensitive', () => {
  const value = 'sensitive-value-0123456789';
  const secret = new Sensitive(value);

  it('prints, serialises and inspects as [redacted], and reveals only on request', () => {
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect(secret)).toBe('[redacted]');
    expect(secret.reveal()).toBe(value);
  });

  it('compares by value', () => {
    expect(secret.equals(new Sensitive(value))).toBe(true);
    expect(secret.equals(new Sensitive(`${value}-other`))).toBe(false);
  });

  it('registers values of 8 characters or more, not shorter ones that would redact ordinary words', () => {
    new Sensitive('Eight8ch');
    new Sensitive('Seven7c');

    expect(redact('Seven7c Eight8ch')).toBe('Seven7c [redacted]');
    expect(redact('Seven7c\\n Eight8ch')).toBe('Seven7c\\n [redacted]');
  });
});
