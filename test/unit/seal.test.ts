import { describe, expect, it } from 'vitest';
import { parseStoredSeal, type SealClaims, seal, sealMessage, verifySeal } from '../../lambda/keys/seal.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { FakeSealKey } from '../fakes/seal-key.js';

const KEY = 'ffy_test_0123456789abcdefghijklmnopqrstuvwxyz';
const CLAIMS: SealClaims = {
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf',
  versionId: '7d3f0c3e-8a41-4c56-9d0e-1f2a3b4c5d6e',
  keyId: 'key_0000000000000000000000000a',
  apiKey: new Sensitive(KEY),
  organizationId: 'org_0000000000000000000000000a',
  replacesKeyId: 'key_0000000000000000000000000b',
};

describe('the seal', () => {
  it('verifies for exactly the claims it was made for, with the replaced key it records', async () => {
    const key = new FakeSealKey();
    const stored = await seal(key, CLAIMS);

    expect(stored).toEqual({
      v: 1,
      replacesKeyId: CLAIMS.replacesKeyId,
      mac: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });
    expect(await verifySeal(key, stored, CLAIMS)).toBe(true);
  });

  it.each<[string, Partial<SealClaims>]>([
    ['another secret', { secretArn: `${CLAIMS.secretArn}x` }],
    ['another version', { versionId: '00000000-8a41-4c56-9d0e-1f2a3b4c5d6e' }],
    ['another key id', { keyId: 'key_0000000000000000000000000c' }],
    ['another key', { apiKey: new Sensitive(`${KEY}0`) }],
    ['another organization', { organizationId: 'org_0000000000000000000000000b' }],
  ])('does not verify for %s', async (_what, change) => {
    const key = new FakeSealKey();
    const stored = await seal(key, CLAIMS);

    expect(await verifySeal(key, stored, { ...CLAIMS, ...change })).toBe(false);
  });

  it('does not verify when the recorded replaced key is changed, or the seal comes from another KMS key', async () => {
    const key = new FakeSealKey();
    const stored = await seal(key, CLAIMS);

    expect(await verifySeal(key, { ...stored, replacesKeyId: null }, CLAIMS)).toBe(false);
    expect(await verifySeal(new FakeSealKey(), stored, CLAIMS)).toBe(false);
  });

  it('refuses without asking KMS a missing seal, another version of the encoding, and a MAC that is not 32 bytes of base64', async () => {
    const key = new FakeSealKey();
    const stored = await seal(key, CLAIMS);
    key.calls.length = 0;

    expect(await verifySeal(key, undefined, CLAIMS)).toBe(false);
    expect(await verifySeal(key, { ...stored, v: 2 }, CLAIMS)).toBe(false);
    expect(await verifySeal(key, { ...stored, mac: stored.mac.slice(4) }, CLAIMS)).toBe(false);
    expect(await verifySeal(key, { ...stored, mac: `${stored.mac.slice(0, -2)}!=` }, CLAIMS)).toBe(false);
    expect(key.calls).toEqual([]);
  });

  it('covers a canonical encoding that holds a hash of the key, never the key', () => {
    const message = Buffer.from(sealMessage(CLAIMS)).toString();

    expect(JSON.parse(message)).toEqual([
      'factify-key-rotation/seal',
      1,
      CLAIMS.secretArn,
      CLAIMS.versionId,
      CLAIMS.keyId,
      expect.stringMatching(/^[0-9a-f]{64}$/),
      CLAIMS.organizationId,
      CLAIMS.replacesKeyId,
    ]);
    expect(message).not.toContain(KEY);
    expect(Buffer.from(sealMessage({ ...CLAIMS, replacesKeyId: null })).toString()).toMatch(/,null\]$/);
  });

  it('reads only a seal-shaped field', () => {
    expect(parseStoredSeal({ v: 1, replacesKeyId: null, mac: 'x' })).toEqual({
      v: 1,
      replacesKeyId: null,
      mac: 'x',
    });
    for (const field of [
      undefined,
      null,
      'seal',
      [],
      { v: '1', mac: 'x', replacesKeyId: null },
      { v: 1, mac: 2, replacesKeyId: null },
      { v: 1, mac: 'x', replacesKeyId: 3 },
    ]) {
      expect(parseStoredSeal(field)).toBeUndefined();
    }
  });
});
