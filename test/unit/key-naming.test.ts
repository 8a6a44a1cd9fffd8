import { describe, expect, it } from 'vitest';
import { isOwnedBy, keyNameFor, secretTag } from '../../lambda/keys/key-naming.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf';
const TOKEN = 'c0ffee00-1234-4abc-8def-0123456789ab';

describe('key naming', () => {
  it('names a key after the secret and the token, within 63 characters', () => {
    const name = keyNameFor(ARN, TOKEN);

    expect(name).toBe(`fkr-${secretTag(ARN)}-${TOKEN}`);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it("recognises this secret's keys and no one else's", () => {
    expect(isOwnedBy(keyNameFor(ARN, TOKEN), ARN)).toBe(true);
    expect(isOwnedBy(keyNameFor(ARN.replace('AbCdEf', 'ZyXwVu'), TOKEN), ARN)).toBe(false);
    expect(isOwnedBy('Production', ARN)).toBe(false);
  });

  it('refuses a token that would not fit', () => {
    expect(() => keyNameFor(ARN, 'x'.repeat(49))).toThrow(/has room for 48/);
  });
});
