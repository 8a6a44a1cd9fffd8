import { describe, expect, it } from 'vitest';
import { parseKeySecret, serializeKeySecret } from '../../lambda/keys/secret-value.js';
import { MalformedSecretValueError } from '../../lambda/telemetry/errors.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { expectNoSecrets } from '../support/no-secrets.js';

const KEY = `ffy_test_${'a1'.repeat(30)}`;
const KEY_ID = 'key_01h2xcejqtf2nbrexx3vqjhp41';

describe('secret values', () => {
  it('parses the key, its id and carries every other field', () => {
    const parsed = parseKeySecret(
      new Sensitive(JSON.stringify({ apiKey: KEY, apiKeyId: KEY_ID, team: 'x', n: 1 })),
      'v',
    );

    expect(parsed.apiKey.reveal()).toBe(KEY);
    expect(parsed.apiKeyId).toBe(KEY_ID);
    expect(parsed.carried).toEqual({ team: 'x', n: 1 });
  });

  it('accepts a first value without apiKeyId', () => {
    expect(parseKeySecret(new Sensitive(JSON.stringify({ apiKey: KEY })), 'v').apiKeyId).toBeUndefined();
  });

  it.each([
    ['not JSON', `{"apiKey": "${KEY}"`, /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no apiKey', '{}', /"apiKey" is missing/],
    ['a non-Factify apiKey', '{"apiKey": "sk_live_123"}', /Factify key format/],
    ['a bad apiKeyId', `{"apiKey": "${KEY}", "apiKeyId": "42"}`, /not a Factify key id/],
  ])('rejects %s with a message that does not quote the value', (_name, raw, message) => {
    const parse = () => parseKeySecret(new Sensitive(raw), 'The AWSCURRENT value of secret s');

    expect(parse).toThrow(MalformedSecretValueError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expectNoSecrets((error as Error).message, [KEY]);
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('round-trips through serialization with the carried fields unchanged', () => {
    const value = serializeKeySecret({
      apiKey: new Sensitive(KEY),
      apiKeyId: KEY_ID,
      organizationId: 'org_01h2xcejqtf2nbrexx3vqjhp41',
      createdAt: '2026-11-27T00:00:00Z',
      seal: { v: 1, replacesKeyId: null, mac: 'bWFj' },
      carried: { team: 'x' },
    });

    expect(JSON.parse(value.reveal())).toEqual({
      team: 'x',
      apiKey: KEY,
      apiKeyId: KEY_ID,
      organizationId: 'org_01h2xcejqtf2nbrexx3vqjhp41',
      createdAt: '2026-11-27T00:00:00Z',
      rotationSeal: { v: 1, replacesKeyId: null, mac: 'bWFj' },
    });
    expect(String(value)).toBe('[redacted]');
    expectNoSecrets(JSON.stringify({ value }), [KEY]);
  });
});
