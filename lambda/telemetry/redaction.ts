import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret string (a Factify key, a RotationToken) that cannot leak by accident: it prints, serialises and
 * inspects as "[redacted]". Only `reveal()` gives the value, at the one place that must send it.
 */
export class Sensitive {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    registerForRedaction(value);
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: Sensitive): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

// An echo of a secret may come back changed: upper- or lower-cased, or JSON-escaped (`ffy\u005f...`, a JSON
// document quoted inside another). Each character therefore matches itself in any case, after any run of
// backslashes (up to 8: three levels of quoting, and a bound that keeps matching linear on hostile text), or
// as a \uXXXX escape. A match takes the whole run of backslashes, so redacting a JSON line keeps it valid JSON.
const ESCAPES = '\\\\{0,8}';
const escapedAlnum = 'u00(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])';

function charPattern(codeUnit: number): string {
  const literal = String.fromCharCode(codeUnit).replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  return `${ESCAPES}(?:${literal}|u${codeUnit.toString(16).padStart(4, '0')})`;
}

function literalPattern(text: string): string {
  let pattern = '';
  for (let index = 0; index < text.length; index++) pattern += charPattern(text.charCodeAt(index));
  return pattern;
}

// Factify key secrets have a recognisable shape (ffy_<env>_<id><random>): scrub any that slip into text.
const FACTIFY_KEY_PATTERN = new RegExp(
  `${literalPattern('ffy_')}(?:${ESCAPES}(?:[a-z]|${escapedAlnum}))+${charPattern(0x5f)}` +
    `(?:${ESCAPES}(?:[a-z0-9]|${escapedAlnum})){8,}`,
  'gi',
);

// Values seen in this process that must never be printed, such as the RotationToken, which has no shape.
// Those registered while an invocation runs are kept until it ends, however many it registers: an invocation
// reads a bounded number of versions and keys, and nothing it registers may push out its own RotationToken.
// Afterwards they join a bounded memory of recent values, since a warm Lambda serves many invocations.
const invocationSecrets = new Map<string, RegExp | undefined>();
let openInvocations = 0;
const recentSecrets = new Map<string, RegExp | undefined>();
const MAX_RECENT_SECRETS = 64;
// Keys and tokens are short. A longer value (a whole secret string, up to 64 KB) is matched only verbatim:
// a pattern per character would cost every log line dearly, and the keys inside it are matched on their own.
const MAX_PATTERN_SECRET = 1_024;

function registerForRedaction(value: string): void {
  // Very short values would redact ordinary words; real keys and tokens are far longer.
  if (value.length < 8) return;
  const pattern =
    invocationSecrets.get(value) ??
    recentSecrets.get(value) ??
    (value.length <= MAX_PATTERN_SECRET ? new RegExp(literalPattern(value), 'gi') : undefined);
  if (openInvocations > 0) invocationSecrets.set(value, pattern);
  else remember(value, pattern);
}

// Least recently registered first out.
function remember(value: string, pattern: RegExp | undefined): void {
  recentSecrets.delete(value);
  recentSecrets.set(value, pattern);
  if (recentSecrets.size > MAX_RECENT_SECRETS) {
    const oldest = recentSecrets.keys().next().value;
    if (oldest !== undefined) recentSecrets.delete(oldest);
  }
}

/**
 * Runs one invocation of the function: every value registered while it runs (the RotationToken, each key and
 * version read) stays redacted until it, and any invocation overlapping it, has ended.
 */
export async function redactingInvocation<T>(run: () => Promise<T>): Promise<T> {
  openInvocations++;
  try {
    return await run();
  } finally {
    openInvocations--;
    if (openInvocations === 0) {
      for (const [value, pattern] of invocationSecrets) remember(value, pattern);
      invocationSecrets.clear();
    }
  }
}

/**
 * Removes every known secret and anything shaped like a Factify key from a text about to be printed, also
 * when the text echoes them case-changed or JSON-escaped.
 */
export function redact(text: string): string {
  let out = text.replace(FACTIFY_KEY_PATTERN, REDACTED);
  for (const secrets of [invocationSecrets, recentSecrets]) {
    for (const [secret, pattern] of secrets) {
      out = pattern ? out.replace(pattern, REDACTED) : out.split(secret).join(REDACTED);
    }
  }
  return out;
}
