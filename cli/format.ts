import { redact } from '../lambda/telemetry/redaction.js';

/** "2026-11-27 02:05 UTC": minutes are enough for an operator, and UTC is what AWS schedules in. */
export function formatDate(iso: string | null): string {
  return iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** "40 s", "12 min", "3 h", "2 days". */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3_600)} h`;
  return `${Math.floor(seconds / 86_400)} days`;
}

// Every character that does not show itself: controls (C0, DEL, C1), format characters (\p{Cf}: zero-width
// marks, bidirectional embeddings, overrides and isolates, tag characters), the Unicode line and paragraph
// separators, private use and unassigned code points. In a Factify key name, a revocation comment, a version id
// or an error, they could clear the operator's screen, retitle the terminal, or make text read other than it is.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;

/**
 * Text as it may reach the operator's terminal: no key or RotationToken (see redact), and every invisible
 * character shown as its JavaScript/JSON escape (`\u200b`, a surrogate pair above U+FFFF), so that nothing is
 * hidden, nothing acts, and a JSON document stays valid JSON that decodes to the same text; but the line breaks
 * the CLI itself writes. Every line the CLI prints goes through it.
 */
export function forTerminal(text: string): string {
  return redact(text)
    .split('\n')
    .map((line) => line.replace(INVISIBLE, escapeCodeUnits))
    .join('\n');
}

function escapeCodeUnits(char: string): string {
  let out = '';
  for (let index = 0; index < char.length; index++) {
    out += `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`;
  }
  return out;
}
