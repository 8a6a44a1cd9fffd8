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
const invocationSecrets = new Set<string>();
let openInvocations = 0;
const recentSecrets = new Set<string>();
const MAX_RECENT_SECRETS = 64;
// Keys and tokens are short. A longer value (a whole secret string, up to 64 KB) is matched only verbatim:
// a pattern per character would cost every log line dearly, and the keys inside it are matched on their own.
const MAX_PATTERN_SECRET = 1_024;
const MIN_SECRET = 8;

/**
 * A registered value. An audit registers thousands (each secret's value and key), so a log line must not cost
 * a regular expression per value: text with no escape in it (nearly every line) is searched for the values'
 * lower-cased forms, found by their first MIN_SECRET characters, in one pass; only text with a backslash or a
 * `uXXXX` runs the patterns, compiled when first needed.
 */
interface Known {
  readonly value: string;
  /** ASCII lower case: what an echo with no escape in it shows, in any case. */
  readonly folded: string;
  /** Matched verbatim, never by pattern. */
  readonly long: boolean;
  /** Only ASCII: lower-casing finds it as the case-insensitive pattern would. */
  readonly ascii: boolean;
  pattern?: RegExp;
}
const known = new Map<string, Known>();
/** Known values that need no pattern on unescaped text, by their first MIN_SECRET characters, folded. */
const byPrefix = new Map<string, Known[]>();
/** Known values with other than ASCII in them: matched by their patterns only. */
const unfoldable = new Set<Known>();

function registerForRedaction(value: string): void {
  // Very short values would redact ordinary words; real keys and tokens are far longer.
  if (value.length < MIN_SECRET) return;
  if (!known.has(value)) {
    const entry: Known = {
      value,
      folded: foldAscii(value),
      long: value.length > MAX_PATTERN_SECRET,
      ascii: !/[^\0-\x7f]/.test(value),
    };
    known.set(value, entry);
    if (entry.ascii || entry.long) {
      const prefix = entry.folded.slice(0, MIN_SECRET);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), entry]);
    } else {
      unfoldable.add(entry);
    }
  }
  if (openInvocations > 0) invocationSecrets.add(value);
  else remember(value);
}

// Least recently registered first out. Runs only while no invocation is open, so it never pushes out a value
// an invocation holds.
function remember(value: string): void {
  recentSecrets.delete(value);
  recentSecrets.add(value);
  if (recentSecrets.size > MAX_RECENT_SECRETS) {
    const oldest = recentSecrets.values().next().value;
    if (oldest !== undefined) {
      recentSecrets.delete(oldest);
      forget(oldest);
    }
  }
}

function forget(value: string): void {
  const entry = known.get(value);
  if (entry === undefined) return;
  known.delete(value);
  unfoldable.delete(entry);
  const prefix = entry.folded.slice(0, MIN_SECRET);
  const rest = (byPrefix.get(prefix) ?? []).filter((other) => other !== entry);
  if (rest.length > 0) byPrefix.set(prefix, rest);
  else byPrefix.delete(prefix);
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
      const ended = [...invocationSecrets];
      invocationSecrets.clear();
      for (const value of ended) remember(value);
    }
  }
}

/**
 * Removes every known secret and anything shaped like a Factify key from a text about to be printed, also
 * when the text echoes them case-changed or JSON-escaped. Every match is found in the text as given and the
 * overlapping ones are cut out together: a value that holds another (a secret string and its key) or runs
 * into another leaves no tail of either.
 */
export function redact(text: string): string {
  const found = spans(FACTIFY_KEY_PATTERN, text);
  if (ESCAPE.test(text)) findEscaped(text, found);
  else findUnescaped(text, found);
  return cut(text, found);
}

type Span = [start: number, end: number];

// Where a pattern could match other than by a value's own characters in any case: a backslash, or `uXXXX`
// (which the patterns take for the character it codes, with or without a backslash before it).
const ESCAPE = /\\|u[0-9a-f]{4}/i;

function findEscaped(text: string, found: Span[]): void {
  for (const entry of known.values()) {
    if (entry.long) {
      for (let at = text.indexOf(entry.value); at !== -1; at = text.indexOf(entry.value, at + 1)) {
        found.push([at, at + entry.value.length]);
      }
    } else {
      found.push(...spans(patternOf(entry), text));
    }
  }
}

// Every place a known value starts, found by its prefix.
function findUnescaped(text: string, found: Span[]): void {
  const folded = foldAscii(text);
  for (let index = 0; index + MIN_SECRET <= text.length; index++) {
    const candidates = byPrefix.get(folded.slice(index, index + MIN_SECRET));
    for (const entry of candidates ?? []) {
      const at = entry.long ? text.startsWith(entry.value, index) : folded.startsWith(entry.folded, index);
      if (at) found.push([index, index + entry.value.length]);
    }
  }
  // A value with other than ASCII in it is case-folded by its pattern's rules, not by foldAscii.
  for (const entry of unfoldable) found.push(...spans(patternOf(entry), text));
}

function spans(pattern: RegExp, text: string): Span[] {
  return [...text.matchAll(pattern)].map((match) => [match.index, match.index + match[0].length]);
}

function cut(text: string, found: Span[]): string {
  found.sort((one, other) => one[0] - other[0]);
  let redacted = '';
  let from = 0;
  for (const [start, end] of found) {
    if (start >= from) {
      redacted += `${text.slice(from, start)}${REDACTED}`;
      from = end;
    } else if (end > from) {
      from = end;
    }
  }
  return redacted + text.slice(from);
}

function patternOf(entry: Known): RegExp {
  entry.pattern ??= new RegExp(literalPattern(entry.value), 'gi');
  return entry.pattern;
}

function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}
