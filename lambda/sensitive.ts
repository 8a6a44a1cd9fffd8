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

// Factify key secrets have a recognisable shape (ffy_<env>_<id><random>): scrub any that slip into text.
const FACTIFY_KEY_PATTERN = /ffy_[A-Za-z]+_[A-Za-z0-9]{8,}/g;

// Values seen in this process that must never be printed, such as the RotationToken, which has no shape.
// Bounded, since a warm Lambda serves many rotations; a few invocations' worth is all that can be in flight.
const knownSecrets = new Set<string>();
const MAX_KNOWN_SECRETS = 64;

function registerForRedaction(value: string): void {
  // Very short values would redact ordinary words; real keys and tokens are far longer.
  if (value.length < 8) return;
  knownSecrets.delete(value);
  knownSecrets.add(value);
  if (knownSecrets.size > MAX_KNOWN_SECRETS) {
    const oldest = knownSecrets.values().next().value;
    if (oldest !== undefined) knownSecrets.delete(oldest);
  }
}

/** Removes every known secret and anything shaped like a Factify key from a text about to be printed. */
export function redact(text: string): string {
  let out = text.replace(FACTIFY_KEY_PATTERN, REDACTED);
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}
