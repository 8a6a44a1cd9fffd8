import { expect } from 'vitest';

const FACTIFY_KEY = /ffy_[a-z]+_[a-z0-9]{20,}/;

// An echo may come back JSON-escaped (once or more) or case-changed: compare unescaped and lower-cased.
function normalise(text: string): string {
  return text
    .replace(/\\+u([0-9a-fA-F]{4})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\+(?=[^\\])/g, '')
    .toLowerCase();
}

/**
 * Asserts that `text` (logs, error messages, captured output) holds none of `secrets` and nothing shaped like
 * a Factify key, also JSON-escaped or case-changed. A failure names which secret leaked by position, never by value: an assertion message is
 * test output too, and must not become the leak it reports.
 */
export function expectNoSecrets(text: string, secrets: readonly string[] = []): void {
  const plain = normalise(text);
  const leaked = secrets.flatMap((secret, index) =>
    plain.includes(normalise(secret)) ? [`secret #${index}`] : [],
  );
  if (FACTIFY_KEY.test(plain)) leaked.push('a Factify-shaped key');
  expect(leaked, 'secrets printed (listed by position, not value)').toEqual([]);
}
