import { describe, expect, it } from 'vitest';
import { STEPS } from '../../../lambda/function/event.js';
import { MAX_OTHER_LABELLED_VERSIONS } from '../../../lambda/function/steps/create-secret.js';
import { keyNameFor } from '../../../lambda/keys/key-naming.js';
import {
  FactifyOutcomeUnknownError,
  FactifyPermissionError,
  FactifyUnavailableError,
  KeyLimitError,
  KeyResolutionError,
  MalformedSecretValueError,
  OrganizationMismatchError,
  RotationStateError,
} from '../../../lambda/telemetry/errors.js';
import { expectNoSecrets } from '../../support/no-secrets.js';
import { captureLogs, pendingKey, ROTATION_TOKEN, startRotation } from '../fixture.js';

describe('createSecret', () => {
  const logs = captureLogs();

  it('creates a key named after the secret and the token and stores it as AWSPENDING with the carried fields', async () => {
    const rotation = startRotation();

    await rotation.run('createSecret');

    const stored = rotation.store.valueOf(rotation.arn, rotation.token);
    const created = rotation.factify.key(String(stored?.apiKeyId));
    expect(created?.name).toBe(keyNameFor(rotation.arn, rotation.token));
    expect(created?.name).toContain(rotation.token);
    expect(created?.name.length).toBeLessThanOrEqual(63);
    expect(stored).toEqual({
      team: 'payments',
      apiKey: created?.secret,
      apiKeyId: created?.id,
      organizationId: rotation.orgId,
      createdAt: expect.any(String),
      // The function's evidence: which key it replaced, under an HMAC of the function's KMS key.
      rotationSeal: {
        v: 1,
        replacesKeyId: rotation.currentKey.id,
        mac: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
      },
    });
    expect(rotation.store.stages(rotation.arn)[rotation.token]).toEqual(['AWSPENDING']);
    expect(rotation.store.rotationTokens).toEqual([ROTATION_TOKEN]);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
  });

  it('reads a bounded number of labelled versions: more than 100 are refused before any key is made', async () => {
    const rotation = startRotation();
    for (let index = 0; index <= MAX_OTHER_LABELLED_VERSIONS; index++) {
      rotation.store.setVersion(rotation.arn, `labelled-${String(index).padStart(30, '0')}`, [`L${index}`], {
        apiKey: rotation.currentKey.key,
      });
    }
    const reads = () => rotation.store.calls.filter((call) => call.startsWith('getValue')).length;
    const before = reads();

    const error = await rotation.run('createSecret').catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'LISTING_LIMIT_REACHED' });
    expect((error as Error).message).toContain(`${MAX_OTHER_LABELLED_VERSIONS} versions (it has 101)`);
    // AWSCURRENT and AWSPENDING at most: none of the labelled versions was read.
    expect(reads() - before).toBeLessThanOrEqual(3);
    expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toEqual([]);
  });

  it('creates and revokes nothing when the pending version already holds a key', async () => {
    const rotation = startRotation();
    await rotation.run('createSecret');
    const before = rotation.factify.calls.length;

    await rotation.run('createSecret');

    const writes = rotation.factify.calls.slice(before).filter((call) => call.method !== 'listKeys');
    expect(writes).toEqual([]);
    expect(rotation.factify.activeKeys(rotation.orgId)).toHaveLength(2);
  });

  it('has no side effect when the token is already AWSCURRENT', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    const calls = rotation.factify.calls.length;
    const puts = rotation.store.calls.filter((call) => call === 'putPendingValue').length;

    await rotation.run('createSecret');

    expect(rotation.factify.calls.length).toBe(calls);
    expect(rotation.store.calls.filter((call) => call === 'putPendingValue')).toHaveLength(puts);
  });

  it('revokes a key an earlier attempt of the same rotation created but never stored, then creates one', async () => {
    const rotation = startRotation();
    const lost = rotation.factify.addKey(rotation.orgId, { name: keyNameFor(rotation.arn, rotation.token) });

    await rotation.run('createSecret');

    expect(rotation.factify.key(lost.id)?.isActive).toBe(false);
    expect(rotation.factify.key(lost.id)?.revokedComment).toMatch(/orphan/);
    const active = rotation.factify.activeKeys(rotation.orgId).map((key) => key.id);
    expect(active.sort()).toEqual([rotation.currentKey.id, pendingKey(rotation).apiKeyId].sort());
  });

  it("revokes keys left by this secret's earlier failed rotations but never another application's keys", async () => {
    const rotation = startRotation();
    const earlier = rotation.factify.addKey(rotation.orgId, {
      name: keyNameFor(rotation.arn, '9b0e0f8e-0000-4000-8000-000000000000'),
    });
    const otherSecret = rotation.factify.addKey(rotation.orgId, {
      name: keyNameFor(`${rotation.arn}x`, '9b0e0f8e-0000-4000-8000-000000000000'),
    });
    const otherApp = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });

    await rotation.run('createSecret');

    expect(rotation.factify.key(earlier.id)?.isActive).toBe(false);
    expect(rotation.factify.key(otherSecret.id)?.isActive).toBe(true);
    expect(rotation.factify.key(otherApp.id)?.isActive).toBe(true);
  });

  it('fails at the 5-key limit listing the active keys, without revoking or creating anything', async () => {
    const rotation = startRotation();
    const others = [1, 2, 3, 4].map((n) => rotation.factify.addKey(rotation.orgId, { name: `app-${n}` }).id);

    const failure = rotation.run('createSecret');

    await expect(failure).rejects.toBeInstanceOf(KeyLimitError);
    await expect(failure).rejects.toThrow(new RegExp(others.join('.*')));
    expect(rotation.factify.calls.map((call) => call.method)).toEqual(['listKeys']);
  });

  it('finds the id of a first value written without apiKeyId by its prefix', async () => {
    const rotation = startRotation({ value: (key) => ({ apiKey: key.key }) });

    await rotation.rotate();

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('refuses a first value without apiKeyId whose prefix matches no listed key', async () => {
    // With an admin key, since an unknown key could not even list keys in self-rotation.
    const rotation = startRotation({ admin: true, value: () => ({ apiKey: `ffy_test_${'z'.repeat(60)}` }) });

    await expect(rotation.run('createSecret')).rejects.toThrow(
      /no key of the organization \(active or revoked\) shows a prefix that starts its apiKey.*"apiKeyId"/,
    );
    expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toHaveLength(0);
  });

  it('refuses a value whose apiKeyId does not belong to its apiKey', async () => {
    const rotation = startRotation();
    const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
      apiKey: rotation.currentKey.key,
      apiKeyId: other.id,
    });

    await expect(rotation.run('createSecret')).rejects.toBeInstanceOf(KeyResolutionError);
    expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toHaveLength(0);
  });

  it('converges when a create was applied but its answer lost: the lost key is revoked and one key stored', async () => {
    const rotation = startRotation();
    const name = keyNameFor(rotation.arn, rotation.token);
    rotation.factify.failNext('createKey', new FactifyOutcomeUnknownError('socket hang up'));
    // Factify applied the create before the connection dropped.
    const lost = rotation.factify.addKey(rotation.orgId, { name });

    await rotation.run('createSecret');

    expect(rotation.factify.key(lost.id)?.isActive).toBe(false);
    const ours = rotation.factify.activeKeys(rotation.orgId).filter((key) => key.name === name);
    expect(ours.map((key) => key.id)).toEqual([pendingKey(rotation).apiKeyId]);
  });

  it('rejects a malformed current value without calling Factify or quoting the value', async () => {
    const rotation = startRotation({ value: () => '{"apiKey": "ffy_test_notclosed' });

    await expect(rotation.run('createSecret')).rejects.toBeInstanceOf(MalformedSecretValueError);
    expect(rotation.factify.calls).toEqual([]);
    expect(logs.text()).not.toContain('ffy_test_notclosed');
  });

  it('says the key lacks the admin role when self-rotation is attempted with a member key', async () => {
    const rotation = startRotation({ currentIsAdmin: false });

    const failure = rotation.run('createSecret');

    await expect(failure).rejects.toBeInstanceOf(FactifyPermissionError);
  });

  it('manages keys with the admin key when FACTIFY_ADMIN_SECRET_ID is set', async () => {
    const rotation = startRotation({ admin: true, currentIsAdmin: false });

    await rotation.rotate();

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('finishes revoking the previously replaced key when an earlier finishSecret never could', async () => {
    const rotation = startRotation();
    rotation.factify.failNext('revokeKey', new FactifyUnavailableError('Factify is down'));
    for (const step of STEPS.slice(0, 3)) await rotation.run(step);
    await expect(rotation.run('finishSecret')).rejects.toBeInstanceOf(FactifyUnavailableError);
    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);

    await rotation.run('createSecret', rotation.store.addPendingPlaceholder(rotation.arn));

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
  });

  it('refuses a token too long to fit in a key name before calling Factify', async () => {
    const rotation = startRotation();
    const token = rotation.store.addPendingPlaceholder(rotation.arn, 'x'.repeat(60));

    await expect(rotation.run('createSecret', token)).rejects.toBeInstanceOf(RotationStateError);
    expect(rotation.factify.calls).toEqual([]);
  });

  it('never prints a key or the RotationToken', async () => {
    const rotation = startRotation();

    await rotation.rotate();

    expectNoSecrets(logs.text(), rotation.secrets());
  });

  describe('refuses, before the key is created, a value a new version could not hold', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const writes = (rotation: ReturnType<typeof startRotation>) =>
      rotation.factify.calls.filter((call) => call.method === 'createKey' || call.method === 'revokeKey');

    it.each([
      [
        'a carried field nested 10,000 levels deep',
        (key: string, id: string) => `{"apiKey":"${key}","apiKeyId":"${id}","deep":${deep(10_000)}}`,
        /nested/,
      ],
      [
        'a carried field nested 65 levels deep',
        (key: string, id: string) => `{"apiKey":"${key}","apiKeyId":"${id}","deep":${deep(65)}}`,
        /nested/,
      ],
      [
        'carried fields of 70 KB',
        (key: string, id: string) => JSON.stringify({ apiKey: key, apiKeyId: id, notes: 'n'.repeat(70_000) }),
        /64 KB/,
      ],
      [
        'carried fields that fit alone but not with a new key',
        (key: string, id: string) => JSON.stringify({ apiKey: key, apiKeyId: id, notes: 'n'.repeat(65_000) }),
        /64 KB/,
      ],
      [
        'multi-byte carried fields of 64 KB in UTF-8',
        (key: string, id: string) =>
          JSON.stringify({ apiKey: key, apiKeyId: id, notes: '\u00e9'.repeat(33_000) }),
        /64 KB/,
      ],
    ])('%s', async (_case, value, message) => {
      const rotation = startRotation({ value: (key) => value(key.key, key.id) });

      const failure = rotation.run('createSecret');

      await expect(failure).rejects.toBeInstanceOf(MalformedSecretValueError);
      await expect(failure).rejects.toThrow(message);
      expect(writes(rotation)).toEqual([]);
      expect(rotation.store.valueOf(rotation.arn, rotation.token)).toBeUndefined();
    });

    it('carries fields of 60 KB, nested 64 levels deep', async () => {
      const nested = JSON.parse(deep(63));
      const rotation = startRotation({
        value: (key) => ({ apiKey: key.key, apiKeyId: key.id, notes: 'n'.repeat(60_000), nested }),
      });

      await rotation.run('createSecret');

      expect(pendingKey(rotation)).toMatchObject({ notes: 'n'.repeat(60_000), nested });
    });

    it('carries a field named __proto__ as data', async () => {
      const rotation = startRotation({
        value: (key) => `{"apiKey":"${key.key}","apiKeyId":"${key.id}","__proto__":{"polluted":true}}`,
      });

      await rotation.run('createSecret');

      const stored = rotation.store.valueOf(rotation.arn, rotation.token) as Record<string, unknown>;
      expect(Object.hasOwn(stored, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a recorded organizationId of another organization', async () => {
      const rotation = startRotation({
        value: (key) => ({
          apiKey: key.key,
          apiKeyId: key.id,
          organizationId: 'org_01h2xcejqtf2nbrexx3vqjhp41',
        }),
      });

      const failure = rotation.run('createSecret');

      await expect(failure).rejects.toBeInstanceOf(OrganizationMismatchError);
      await expect(failure).rejects.toThrow(/organizationId org_01h2xcejqtf2nbrexx3vqjhp41/);
      expect(writes(rotation)).toEqual([]);
    });

    it.each([
      ['malformed', 'org_1'],
      ['not a string', 42],
    ])('a recorded organizationId that is %s', async (_case, organizationId) => {
      const rotation = startRotation({
        value: (key) => ({ apiKey: key.key, apiKeyId: key.id, organizationId }),
      });

      await expect(rotation.run('createSecret')).rejects.toBeInstanceOf(MalformedSecretValueError);
      expect(writes(rotation)).toEqual([]);
    });
  });
});
