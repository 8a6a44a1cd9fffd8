import { expect } from 'vitest';

const FACTIFY_KEY = /ffy_[a-z]+_[A-Za-z0-9]{20,}/;

/**
 * Asserts that `text` (logs, error messages, captured output) holds none of `secrets` and nothing shaped like
 * a Factify key. A failure names which secret leaked by position, never by value: an assertion message is
 * test output too, and must not become the leak it reports.
 */
export function expectNoSecrets(text: string, secrets: readonly string[] = []): void {
  const leaked = secrets.flatMap((secret, index) => (text.includes(secret) ? [`secret #${index}`] : []));
  if (FACTIFY_KEY.test(text)) leaked.push('a Factify-shaped key');
  expect(leaked, 'secrets printed (listed by position, not value)').toEqual([]);
}
