import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import {
  checkRevocable,
  createdHere,
  type HeldVersion,
  identifyKey,
  leftoverOwnKeys,
  prefixStarts,
  protectedKeyIds,
  proveHeld,
  replacedKeyIdOf,
  requireKey,
  secretsOf,
  withProvenance,
} from '../../lambda/keys/ownership.js';
import { seal } from '../../lambda/keys/seal.js';
import { parseKeySecret } from '../../lambda/keys/secret-value.js';
import type { FactifyKey } from '../../lambda/ports.js';
import { FactifyAuthenticationError, FactifyUnavailableError } from '../../lambda/telemetry/errors.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { FakeSealKey } from '../fakes/seal-key.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf';
const ORG = 'org_0000000000000000000000000a';
const SECRET = `ffy_test_01jd4h5${'a'.repeat(40)}`;
const key = (id: string, name = 'app', secret = SECRET, extra: Partial<FactifyKey> = {}): FactifyKey => ({
  id,
  orgId: ORG,
  name,
  prefix: `${secret.slice(0, 16)}...`,
  isActive: true,
  revokedAt: null,
  createdAt: '2026-11-27T00:00:00Z',
  ...extra,
});
const held = (fields: Record<string, unknown>, sealed = false, versionId = randomUUID()): HeldVersion => ({
  versionId,
  value: parseKeySecret(new Sensitive(JSON.stringify(fields)), 'test value'),
  sealed,
});
const A = key('key_0000000000000000000000000a');
const B = key('key_0000000000000000000000000b');

describe('ownership.ts, rule by rule', () => {
  it('counts a value as sealed only with its id, organization and a seal that verifies for this version', async () => {
    const sealKey = new FakeSealKey();
    const versionId = randomUUID();
    const claims = {
      secretArn: ARN,
      versionId,
      keyId: A.id,
      apiKey: new Sensitive(SECRET),
      organizationId: ORG,
    };
    const rotationSeal = await seal(sealKey, { ...claims, replacesKeyId: null });
    const value = (fields: Record<string, unknown>) =>
      parseKeySecret(new Sensitive(JSON.stringify(fields)), 'v');
    const full = { apiKey: SECRET, apiKeyId: A.id, organizationId: ORG, rotationSeal };

    expect((await withProvenance(sealKey, ARN, { versionId, value: value(full) })).sealed).toBe(true);
    sealKey.calls.length = 0;
    for (const missing of ['apiKeyId', 'organizationId', 'rotationSeal']) {
      const { [missing]: _gone, ...rest } = full as Record<string, unknown>;
      expect((await withProvenance(sealKey, ARN, { versionId, value: value(rest) })).sealed).toBe(false);
    }
    expect(sealKey.calls).toEqual([]);
    expect((await withProvenance(sealKey, `${ARN}x`, { versionId, value: value(full) })).sealed).toBe(false);
  });

  it('names the key a seal records when the organization does not list it', () => {
    const result = identifyKey([B], held({ apiKey: SECRET, apiKeyId: A.id }, true));

    expect(result).toEqual({
      resolved: false,
      candidates: [],
      problem: `the key ${A.id} its seal records is not among the organization's keys`,
    });
  });

  it('refuses a copy of a sealed value whose apiKeyId contradicts the key it copies', () => {
    const sealed = held({ apiKey: SECRET, apiKeyId: A.id }, true);

    const result = identifyKey([A, B], held({ apiKey: SECRET, apiKeyId: B.id }), [sealed]);

    expect(result).toMatchObject({
      resolved: false,
      candidates: [A],
      problem: expect.stringContaining(`${B.id} contradicts`),
    });
  });

  it('identifies a hand-written value by its prefix alone only when exactly one key shows it', () => {
    expect(identifyKey([A], held({ apiKey: SECRET }))).toEqual({
      resolved: true,
      key: A,
      evidence: 'prefix',
    });
    expect(identifyKey([], held({ apiKey: SECRET }))).toMatchObject({
      resolved: false,
      problem: expect.stringMatching(/^no key of the organization/),
    });
    expect(identifyKey([A, B], held({ apiKey: SECRET }))).toMatchObject({
      resolved: false,
      problem: expect.stringMatching(new RegExp(`^2 keys .*\\(${A.id}, ${B.id}\\)`)),
    });
  });

  it('explains KEY_NOT_RESOLVED with the problem and what to do', () => {
    const unresolved = identifyKey([A, B], held({ apiKey: SECRET }));
    const resolved = identifyKey([A], held({ apiKey: SECRET }));

    expect(requireKey(resolved, 'x')).toBe(resolved);
    expect(() => requireKey(unresolved, 'The AWSCURRENT value')).toThrow(
      /^The AWSCURRENT value holds a key written by hand.*but 2 keys .*No key was revoked or created for it/,
    );
  });

  it('takes the replaced key from a seal only, and the creator from a sealed version only', () => {
    const replacing = held(
      { apiKey: SECRET, apiKeyId: A.id, rotationSeal: { v: 1, replacesKeyId: B.id, mac: 'x' } },
      true,
    );
    const first = held(
      { apiKey: SECRET, apiKeyId: A.id, rotationSeal: { v: 1, replacesKeyId: null, mac: 'x' } },
      true,
    );
    const copied = held({
      apiKey: SECRET,
      apiKeyId: A.id,
      rotationSeal: { v: 1, replacesKeyId: B.id, mac: 'x' },
    });

    expect(replacedKeyIdOf(replacing)).toBe(B.id);
    expect(replacedKeyIdOf(first)).toBeNull();
    expect(replacedKeyIdOf(copied)).toBeUndefined();
    expect(createdHere(A.id, [copied])).toBe(false);
    expect(createdHere(B.id, [replacing])).toBe(false);
    expect(createdHere(A.id, [copied, replacing])).toBe(true);
  });

  it('knows a key’s secret only from versions identified as holding it', () => {
    const other = `ffy_test_zzzzzzz${'b'.repeat(40)}`;
    const versions = [held({ apiKey: SECRET }), held({ apiKey: other })];

    expect(secretsOf(A, [A], versions).map((secret) => secret.reveal())).toEqual([SECRET]);
    expect(secretsOf(B, [A], versions)).toEqual([]);
  });

  it('protects the admin key’s prefix twins unless a seal tells them apart, and other secrets’ rotation keys', () => {
    const twin = key('key_0000000000000000000000000c', keyNameFor(ARN, randomUUID()));
    const foreign = key(
      'key_0000000000000000000000000d',
      keyNameFor(`${ARN}x`, randomUUID()),
      `ffy_test_qqqqqqq${'c'.repeat(40)}`,
    );
    const admin = new Sensitive(`${SECRET}0`);
    const sealedTwin = held({ apiKey: SECRET, apiKeyId: twin.id }, true);

    expect([...protectedKeyIds([twin, foreign], ARN, { live: [], adminKey: admin })].sort()).toEqual(
      [twin.id, foreign.id].sort(),
    );
    expect([
      ...protectedKeyIds([twin, foreign], ARN, { live: [], adminKey: admin, versions: [sealedTwin] }),
    ]).toEqual([foreign.id]);
    expect(
      [
        ...protectedKeyIds([twin, foreign], ARN, {
          live: [],
          adminKey: new Sensitive(SECRET),
          versions: [sealedTwin],
        }),
      ].sort(),
    ).toEqual([twin.id, foreign.id].sort());
    expect([...protectedKeyIds([twin], ARN, { live: [] })]).toEqual([]);
  });

  it('checks other secrets only for a key the function did not create, and refuses naming them', async () => {
    const asked: string[] = [];
    const holders = (found: string[]) => async (checked: FactifyKey) => {
      asked.push(checked.id);
      return found;
    };

    await expect(
      checkRevocable({ key: A, createdHere: false }, new Set([A.id]), 'the key', holders([])),
    ).rejects.toThrow(
      `Refusing to revoke key ${A.id} (the key): it is, or may be, the key of AWSCURRENT or AWSPENDING`,
    );
    await expect(
      checkRevocable({ key: A, createdHere: true }, new Set(), 'the key', holders(['arn:b'])),
    ).resolves.toBeUndefined();
    expect(asked).toEqual([]);
    await expect(
      checkRevocable({ key: A, createdHere: false }, new Set(), 'the key', holders(['arn:b'])),
    ).rejects.toThrow(
      /written into this secret by hand, and 1 other secret\(s\) this function rotates hold it.*: arn:b\. Nothing was revoked/,
    );
    await expect(
      checkRevocable({ key: A, createdHere: false }, new Set(), 'the key', holders([])),
    ).resolves.toBeUndefined();
    expect(asked).toEqual([A.id, A.id]);
  });

  it('asks for possession only on the evidence of a prefix, and says why it fails', async () => {
    const target = (evidence: 'seal' | 'prefix') => ({
      identification: { resolved: true as const, key: A, evidence },
      value: held({ apiKey: SECRET }).value,
    });
    const factify = (answer: () => Promise<{ id: string; name: string }>) => {
      const calls: string[] = [];
      return {
        calls,
        getOrganization: async ({ label }: { label: string }) => {
          calls.push(label);
          return answer();
        },
      };
    };

    const sealed = factify(async () => ({ id: 'org_other', name: 'x' }));
    await proveHeld(sealed, target('seal'), 'v');
    expect(sealed.calls).toEqual([]);
    await expect(
      proveHeld(
        factify(async () => ({ id: ORG, name: 'x' })),
        target('prefix'),
        'v',
      ),
    ).resolves.toBeUndefined();
    await expect(
      proveHeld(
        factify(async () => ({ id: 'org_other', name: 'x' })),
        target('prefix'),
        'The value',
      ),
    ).rejects.toThrow(
      `The value was written by hand and names key ${A.id} by its prefix, but its apiKey belongs to organization org_other`,
    );
    await expect(
      proveHeld(
        factify(() => Promise.reject(new FactifyAuthenticationError('401'))),
        target('prefix'),
        'v',
      ),
    ).rejects.toThrow(/its apiKey does not authenticate at Factify.*Nothing was revoked or created/);
    await expect(
      proveHeld(
        factify(() => Promise.reject(new FactifyUnavailableError('503'))),
        target('prefix'),
        'v',
      ),
    ).rejects.toBeInstanceOf(FactifyUnavailableError);
  });

  it('finds leftovers among this secret’s keys only, never a candidate of a read value', () => {
    const own = key('key_0000000000000000000000000e', keyNameFor(ARN, randomUUID()));
    const candidate = key('key_0000000000000000000000000f', keyNameFor(ARN, randomUUID()));

    expect(
      leftoverOwnKeys([own, candidate, A], ARN, [{ resolved: false, candidates: [candidate], problem: '' }]),
    ).toEqual([own]);
    expect(leftoverOwnKeys([own], ARN, [{ resolved: true, key: own, evidence: 'seal' }])).toEqual([]);
  });

  it('reads a listed prefix up to its trailing ellipsis only', () => {
    expect(prefixStarts(key('k', 'n', SECRET), new Sensitive(SECRET))).toBe(true);
    expect(prefixStarts({ ...A, prefix: 'ffy_test_01jd4h5…' }, new Sensitive(SECRET))).toBe(true);
    expect(prefixStarts({ ...A, prefix: 'ffy_...test' }, new Sensitive('ffy_test_x'))).toBe(false);
    expect(prefixStarts({ ...A, prefix: '...' }, new Sensitive(SECRET))).toBe(false);
  });
});
