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

// Control characters (C0, DEL, C1) and bidirectional overrides: in a Factify key name, a revocation comment
// or an error, they could clear the operator's screen, retitle the terminal or disguise the text.
const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text as it may reach the operator's terminal: no key or RotationToken (see redact), and no control
 * character but the line breaks the CLI itself writes. Every line the CLI prints goes through it.
 */
export function forTerminal(text: string): string {
  return redact(text)
    .split('\n')
    .map((line) => line.replace(UNPRINTABLE, ''))
    .join('\n');
}
