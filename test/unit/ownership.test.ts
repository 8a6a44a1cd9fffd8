import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../lambda/function/event.js';
import { DUPLICATE_REASON } from '../../lambda/keys/key-management.js';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { identifyKey, leftoverOwnKeys, protectedKeyIds } from '../../lambda/keys/ownership.js';
import { parseKeySecret } from '../../lambda/keys/secret-value.js';
import type { FactifyKey } from '../../lambda/ports.js';
import { KeyResolutionError, RotationStateError } from '../../lambda/telemetry/errors.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { captureLogs, pendingKey, type Rotation, startRotation } from './fixture.js';

const GRACE = 3600;

/** What `put-secret-value` does: the new value becomes AWSCURRENT, the old one AWSPREVIOUS. */
function putByHand(rotation: Rotation, value: unknown): string {
  const { store, arn } = rotation;
  const stages = store.stages(arn);
  const currentId = Object.keys(stages).find((id) => stages[id]?.includes('AWSCURRENT')) as string;
  const currentValue = store.valueOf(arn, currentId);
  store.setVersion(arn, currentId, ['AWSPREVIOUS'], currentValue);
  const versionId = randomUUID();
  store.setVersion(arn, versionId, ['AWSCURRENT'], value);
  return versionId;
}

/** An apiKey that shows `victim`'s prefix: anyone who can list keys sees the prefix, not the rest. */
function forgedKey(victim: string): string {
  return `${victim.slice(0, 16)}${'Z'.repeat(60)}`;
}

describe('a key is revoked only when it is provably this secret’s', () => {
  const logs = captureLogs();

  describe('a hand-written value is identified only by a prefix no other key shows', () => {
    it("stops with KEY_NOT_RESOLVED when apiKeyId names another application's key with the same prefix", async () => {
      const rotation = startRotation();
      const other = rotation.factify.addKey(rotation.orgId, {
        name: 'billing-service',
        sharePrefixWith: rotation.currentKey.key,
      });
      rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
        apiKey: rotation.currentKey.key,
        apiKeyId: other.id,
      });

      const failure = rotation.run('createSecret');

      await expect(failure).rejects.toMatchObject({ code: 'KEY_NOT_RESOLVED' });
      await expect(failure).rejects.toThrow(new RegExp(`${rotation.currentKey.id}, ${other.id}`));
      await expect(failure).rejects.toThrow(/Put in the secret a key whose prefix no other key shares/);
      expect(rotation.factify.calls.map((call) => call.method)).toEqual(['listKeys']);
      expect(rotation.factify.key(other.id)?.isActive).toBe(true);
      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
    });

    it('stops with KEY_NOT_RESOLVED when another key, even revoked, shows the same prefix, whatever apiKeyId says', async () => {
      const rotation = startRotation();
      const twin = rotation.factify.addKey(rotation.orgId, {
        name: 'old twin',
        active: false,
        sharePrefixWith: rotation.currentKey.key,
      });

      const failure = rotation.rotate();

      await expect(failure).rejects.toBeInstanceOf(KeyResolutionError);
      await expect(failure).rejects.toThrow(twin.id);
      expect(rotation.factify.revokeCalls()).toBe(0);
      expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toEqual([]);
    });

    it('treats an apiKeyId that contradicts a unique prefix as an error, never a reason to revoke', async () => {
      const rotation = startRotation();
      const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
      rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
        apiKey: rotation.currentKey.key,
        apiKeyId: other.id,
      });

      await expect(rotation.rotate()).rejects.toMatchObject({ code: 'KEY_NOT_RESOLVED' });
      expect(rotation.factify.revokeCalls()).toBe(0);
    });

    it('with an admin key, refuses a hand-written value whose apiKey only imitates a prefix, before creating a key', async () => {
      const rotation = startRotation({ admin: true });
      const victim = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
      rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
        apiKey: forgedKey(victim.key),
      });

      await expect(rotation.rotate()).rejects.toThrow(/does not authenticate/);
      expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toEqual([]);
      expect(rotation.factify.key(victim.id)?.isActive).toBe(true);
      expect(rotation.store.valueOf(rotation.arn, rotation.token)).toBeUndefined();
    });
  });

  describe('a forged revokeReplacedKey event, from someone who can write one secret, with an admin secret', () => {
    async function forge(
      victim: (rotation: Rotation) => { id: string; value: unknown },
      options: { graceSeconds?: number } = { graceSeconds: GRACE },
    ) {
      const rotation = startRotation({ admin: true, ...options });
      await rotation.rotate();
      const target = victim(rotation);
      const versionId = randomUUID();
      rotation.store.setVersion(rotation.arn, versionId, ['forged'], target.value);
      rotation.advance(GRACE * 2);
      const revokesBefore = rotation.factify.revokeCalls(target.id);
      const failure = rotation.invoke({
        Action: 'revokeReplacedKey',
        SecretId: rotation.arn,
        VersionId: versionId,
        ApiKeyId: target.id,
      });
      await expect(failure).rejects.toBeInstanceOf(RotationStateError);
      expect(rotation.factify.revokeCalls(target.id)).toBe(revokesBefore);
      expect(rotation.factify.key(target.id)?.isActive).toBe(true);
      return { rotation, failure };
    }

    it("never revokes another application's key", async () => {
      await forge((rotation) => {
        const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
        return { id: other.id, value: { apiKey: forgedKey(other.key), apiKeyId: other.id } };
      });
    });

    it('never revokes the admin key', async () => {
      await forge((rotation) => {
        const admin = rotation.adminKey as { id: string; key: string };
        return { id: admin.id, value: { apiKey: forgedKey(admin.key), apiKeyId: admin.id } };
      });
    });

    it("never revokes another secret's key", async () => {
      await forge((rotation) => {
        const otherArn = rotation.arn.replace('prod/factify', 'prod/other');
        const other = rotation.factify.addKey(rotation.orgId, { name: keyNameFor(otherArn, randomUUID()) });
        return { id: other.id, value: { apiKey: forgedKey(other.key), apiKeyId: other.id } };
      });
    });

    it('never revokes the AWSCURRENT key, even from a copy of its value', async () => {
      await forge((rotation) => {
        const current = pendingKey(rotation);
        return { id: current.apiKeyId, value: { ...current } };
      });
    });

    it('never revokes the AWSPENDING key, even from a copy of its value', async () => {
      const second = startRotation({ admin: true, graceSeconds: GRACE });
      await second.rotate();
      const token = second.store.addPendingPlaceholder(second.arn);
      await second.run('createSecret', token);
      const pending = second.store.valueOf(second.arn, token) as { apiKeyId: string };
      const versionId = randomUUID();
      second.store.setVersion(second.arn, versionId, ['forged'], pending);

      await expect(
        second.invoke({
          Action: 'revokeReplacedKey',
          SecretId: second.arn,
          VersionId: versionId,
          ApiKeyId: pending.apiKeyId,
        }),
      ).rejects.toThrow(/key of AWSCURRENT or AWSPENDING/);
      expect(second.factify.key(pending.apiKeyId)?.isActive).toBe(true);
    });

    it('runs only when a grace period is configured', async () => {
      const { failure } = await forge((rotation) => {
        const own = rotation.factify.addKey(rotation.orgId, { name: 'attacker-app' });
        return { id: own.id, value: { apiKey: own.key, apiKeyId: own.id } };
      }, {});
      await expect(failure).rejects.toThrow(/no grace period is configured/);
    });
  });

  describe('a value changed by hand is reported, not revoked', () => {
    it("leaves a hand-put key in AWSPREVIOUS to its owner: createSecret's backstop does not revoke it", async () => {
      const rotation = startRotation();
      const handPut = rotation.factify.addKey(rotation.orgId, { name: 'Production 2' });
      putByHand(rotation, { apiKey: handPut.key, apiKeyId: handPut.id });

      await rotation.run('createSecret', rotation.store.addPendingPlaceholder(rotation.arn));

      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
      expect(logs.text()).toContain('AWSCURRENT was written by hand, not by a rotation');
    });

    it("leaves a rotation's key that a change by hand replaced: no rotation replaced it", async () => {
      const rotation = startRotation();
      await rotation.rotate();
      const rotated = pendingKey(rotation).apiKeyId;
      const handPut = rotation.factify.addKey(rotation.orgId, { name: 'Production 2' });
      putByHand(rotation, { apiKey: handPut.key, apiKeyId: handPut.id });

      await rotation.run('createSecret', rotation.store.addPendingPlaceholder(rotation.arn));

      expect(rotation.factify.key(rotated)?.isActive).toBe(true);
      expect(rotation.factify.key(handPut.id)?.isActive).toBe(true);
    });

    it('a finishSecret invoked for a version put by hand does not revoke the key that version replaced', async () => {
      const rotation = startRotation();
      const handPut = rotation.factify.addKey(rotation.orgId, { name: 'Production 2' });
      const versionId = putByHand(rotation, { apiKey: handPut.key, apiKeyId: handPut.id });

      await rotation.run('finishSecret', versionId);

      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
      expect(rotation.factify.revokeCalls()).toBe(0);
    });
  });

  it('a grace period works for a first value without apiKeyId', async () => {
    const rotation = startRotation({ graceSeconds: GRACE, value: (key) => ({ apiKey: key.key }) });
    await rotation.rotate();
    const [schedule] = [...rotation.scheduler.schedules.values()];
    expect(schedule?.input).toMatchObject({ ApiKeyId: rotation.currentKey.id });
    rotation.advance(GRACE);

    await rotation.invoke(schedule?.input);

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    expect(rotation.scheduler.schedules.size).toBe(0);
  });

  describe('steps invoked twice at the same time end as if invoked once', () => {
    it('two createSecret with one token: the loser revokes the key it created and succeeds with the stored one', async () => {
      const rotation = startRotation();

      await Promise.all([rotation.run('createSecret'), rotation.run('createSecret')]);

      const stored = pendingKey(rotation);
      const named = rotation.factify
        .activeKeys(rotation.orgId)
        .filter((key) => key.name === keyNameFor(rotation.arn, rotation.token));
      expect(named.map((key) => key.id)).toEqual([stored.apiKeyId]);
      const creates = rotation.factify.calls.filter((call) => call.method === 'createKey');
      expect(creates).toHaveLength(2);
      const loser = rotation.factify.calls.find(
        (call) => call.method === 'revokeKey' && call.reason === DUPLICATE_REASON,
      );
      expect(loser?.keyId).not.toBe(stored.apiKeyId);
      expectNoSecrets(logs.text(), rotation.secrets());
    });

    it('a finishSecret whose twin revoked the hand-written old key while it proved it succeeds', async () => {
      const rotation = startRotation();
      for (const step of STEPS.slice(0, 3)) await rotation.run(step);
      const { factify } = rotation;
      const getOrganization = factify.getOrganization.bind(factify);
      // The concurrent delivery of finishSecret revokes the old key just before this one's proof uses it.
      factify.getOrganization = async (auth) => {
        if (auth.key.reveal() === rotation.currentKey.key) {
          const manager = { key: new Sensitive(pendingKey(rotation).apiKey), label: 'the twin' };
          await factify.revokeKey(manager, rotation.currentKey.id, 'rotated');
        }
        return getOrganization(auth);
      };

      await rotation.run('finishSecret');

      expect(factify.revokeCalls(rotation.currentKey.id)).toBe(1);
      expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSCURRENT']);
    });

    it('every step doubled: the same end state as one rotation', async () => {
      const rotation = startRotation();

      for (const step of STEPS) await Promise.all([rotation.run(step), rotation.run(step)]);

      const stages = rotation.store.stages(rotation.arn);
      expect(stages[rotation.token]).toEqual(['AWSCURRENT']);
      expect(stages[rotation.currentVersionId]).toEqual(['AWSPREVIOUS']);
      const active = rotation.factify.activeKeys(rotation.orgId).map((key) => key.id);
      expect(active).toEqual([pendingKey(rotation).apiKeyId]);
      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    });

    it('every step doubled with a grace period, and the scheduled revocation doubled too', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });

      for (const step of STEPS) await Promise.all([rotation.run(step), rotation.run(step)]);
      const [schedule] = [...rotation.scheduler.schedules.values()];
      expect(rotation.scheduler.schedules.size).toBe(1);
      rotation.advance(GRACE);
      await Promise.all([rotation.invoke(schedule?.input), rotation.invoke(schedule?.input)]);

      expect(rotation.factify.activeKeys(rotation.orgId).map((key) => key.id)).toEqual([
        pendingKey(rotation).apiKeyId,
      ]);
      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
      expect(rotation.scheduler.schedules.size).toBe(0);
    });
  });
});

describe('the ownership rule, as a pure function for status and audit', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf';
  const TOKEN = '7d3f0c3e-8a41-4c56-9d0e-1f2a3b4c5d6e';
  const SECRET = `ffy_test_01jd4h5${'a'.repeat(62)}`;
  const key = (id: string, name: string, secret = SECRET): FactifyKey => ({
    id,
    orgId: 'org_01jd4h5x7k9m2n3p4q5r6s7t8w',
    name,
    prefix: `${secret.slice(0, 16)}...`,
    isActive: true,
    revokedAt: null,
    createdAt: '2026-11-27T00:00:00Z',
  });
  const version = (versionId: string, fields: Record<string, unknown>, sealed = false) => ({
    versionId,
    value: parseKeySecret(new Sensitive(JSON.stringify(fields)), 'test value'),
    sealed,
  });
  const OWN = key('key_0000000000000000000000000a', keyNameFor(ARN, TOKEN));
  const OTHER = key('key_0000000000000000000000000b', 'billing-service');

  it('identifies a sealed value’s key by its seal, even when another key shows its prefix', () => {
    const result = identifyKey([OWN, OTHER], version(TOKEN, { apiKey: SECRET, apiKeyId: OWN.id }, true));

    expect(result).toEqual({ resolved: true, key: OWN, evidence: 'seal' });
  });

  it('does not decide by a key’s name: an unsealed value whose prefix two keys show is not identified', () => {
    const result = identifyKey([OWN, OTHER], version(TOKEN, { apiKey: SECRET, apiKeyId: OWN.id }));

    expect(result).toMatchObject({ resolved: false, candidates: [OWN, OTHER] });
  });

  it('recognises a hand-made copy of a sealed value as that value’s key', () => {
    const stored = version(TOKEN, { apiKey: SECRET, apiKeyId: OWN.id }, true);

    const result = identifyKey([OWN, OTHER], version(randomUUID(), { apiKey: SECRET }), [stored]);

    expect(result).toEqual({ resolved: true, key: OWN, evidence: 'copy' });
  });

  it('tells this secret’s own key apart by its seal when a hand-written key shares its prefix', () => {
    const stored = version(TOKEN, { apiKey: `${SECRET}0`, apiKeyId: OWN.id }, true);

    const result = identifyKey([OWN, OTHER], version(randomUUID(), { apiKey: SECRET }), [stored]);

    expect(result).toEqual({ resolved: true, key: OTHER, evidence: 'prefix' });
  });

  it('protects every candidate of a live value it cannot identify, the admin key and other secrets’ keys', () => {
    const twin = key('key_0000000000000000000000000c', 'twin');
    const admin = key('key_0000000000000000000000000d', 'admin', `ffy_test_zzzzzzz${'b'.repeat(62)}`);
    const foreign = key(
      'key_0000000000000000000000000f',
      keyNameFor(`${ARN}x`, TOKEN),
      `ffy_test_yyyy${'c'.repeat(62)}`,
    );
    const live = identifyKey([OTHER, twin, admin, foreign], version(randomUUID(), { apiKey: SECRET }));

    const ids = protectedKeyIds([OTHER, twin, admin, foreign], ARN, {
      live: [live],
      adminKey: new Sensitive(`ffy_test_zzzzzzz${'b'.repeat(62)}`),
    });

    expect([...ids].sort()).toEqual([OTHER.id, twin.id, admin.id, foreign.id].sort());
  });

  it('finds the keys of this secret no version holds or may hold', () => {
    const orphan = key('key_0000000000000000000000000e', keyNameFor(ARN, randomUUID()));
    const shadowed = key(
      'key_0000000000000000000000000g',
      keyNameFor(ARN, randomUUID()),
      `ffy_test_wwww${'d'.repeat(62)}`,
    );
    const twin = key('key_0000000000000000000000000h', 'twin', `ffy_test_wwww${'e'.repeat(62)}`);
    const keys = [OWN, OTHER, orphan, shadowed, twin];
    const versions = [
      version(TOKEN, { apiKey: SECRET, apiKeyId: OWN.id }, true),
      version(randomUUID(), { apiKey: `ffy_test_wwww${'d'.repeat(62)}` }),
    ];

    const unheld = leftoverOwnKeys(
      keys,
      ARN,
      versions.map((held) => identifyKey(keys, held, versions)),
    );

    expect(unheld).toEqual([orphan]);
  });
});
