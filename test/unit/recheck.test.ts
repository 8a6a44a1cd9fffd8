import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { type RevocationKind, recheckRevocation } from '../../lambda/keys/recheck.js';
import { RevocationRefusedError } from '../../lambda/telemetry/errors.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { captureLogs, pendingKey, type Rotation, startRotation } from './fixture.js';

/**
 * The one re-check before a delayed revoke (the scheduled revocation, `recover`): which key it allows, and
 * which it refuses with which reason, from the secret as it is now.
 */
const GRACE = 3600;

async function recheck(rotation: Rotation, target: RevocationKind, manager = pendingKey(rotation).apiKey) {
  return recheckRevocation(
    {
      secret: await rotation.store.describe(rotation.arn),
      store: rotation.store,
      factify: rotation.factify,
      sealKey: rotation.sealKey,
      rotatedSecrets: async () => [await rotation.store.describe(rotation.arn)],
    },
    { key: new Sensitive(manager), label: 'the current key' },
    target,
  );
}

/** A rotation in grace mode, run to its end: the original key is replaced, its revocation scheduled. */
async function rotated(): Promise<Rotation> {
  const rotation = startRotation({ graceSeconds: GRACE });
  await rotation.rotate();
  return rotation;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RevocationRefusedError);
  expect(error).toMatchObject({ code: 'INVALID_ROTATION_STATE' });
  return (error as Error).message;
}

describe('recheckRevocation', () => {
  const logs = captureLogs();

  describe('a replaced key', () => {
    it('is allowed when the sealed current value records its rotation replaced it, and reported once revoked', async () => {
      const rotation = await rotated();
      const target = {
        kind: 'replaced',
        keyId: rotation.currentKey.id,
        versionId: rotation.currentVersionId,
      } as const;

      await expect(recheck(rotation, target)).resolves.toMatchObject({
        id: rotation.currentKey.id,
        isActive: true,
      });
      expect(rotation.factify.revokeCalls()).toBe(0);

      rotation.advance(GRACE);
      await rotation.invoke([...rotation.scheduler.schedules.values()][0]?.input);
      await expect(recheck(rotation, target)).resolves.toBe('already-revoked');
      for (const secret of rotation.secrets()) expect(logs.text()).not.toContain(secret);
    });

    it('is allowed when the version the event names is gone, and values that hold no key are skipped', async () => {
      const rotation = await rotated();
      rotation.store.setVersion(rotation.arn, 'hand-made-notes', ['NOTES'], 'not a key secret');

      await expect(
        recheck(rotation, { kind: 'replaced', keyId: rotation.currentKey.id, versionId: 'no-such-version' }),
      ).resolves.toMatchObject({ id: rotation.currentKey.id });
    });

    it('is refused when the named version, even without a label, holds another key', async () => {
      const rotation = await rotated();
      const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });
      rotation.store.setVersion(rotation.arn, 'unlabelled-version', [], {
        apiKey: other.key,
        apiKeyId: other.id,
      });

      const message = await refusal(
        recheck(rotation, {
          kind: 'replaced',
          keyId: rotation.currentKey.id,
          versionId: 'unlabelled-version',
        }),
      );

      expect(message).toBe(
        `Refusing to revoke key ${rotation.currentKey.id} of secret ${rotation.arn}: version unlabelled-version ` +
          'does not hold that key. Nothing was revoked.',
      );
    });

    it('is refused when no sealed value records that a rotation replaced it', async () => {
      const rotation = await rotated();
      const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });

      const message = await refusal(recheck(rotation, { kind: 'replaced', keyId: other.id }));

      expect(message).toBe(
        `Refusing to revoke key ${other.id} of secret ${rotation.arn}: no version of this secret that this ` +
          'function wrote records that its rotation replaced that key. Nothing was revoked.',
      );
      expect(rotation.factify.revokeCalls()).toBe(0);
    });

    describe('replaced by a release before seals, whose values carry none', () => {
      /**
       * What such a release left: it made the replacement with the current key, wrote it unsealed as
       * AWSCURRENT (the original value becoming AWSPREVIOUS), and scheduled the original key's revocation.
       */
      function rotatedBeforeSeals(): { rotation: Rotation; replacement: { id: string; key: string } } {
        const rotation = startRotation({ graceSeconds: GRACE });
        rotation.advance(30 * 86_400);
        const replacement = rotation.factify.addKey(rotation.orgId, {
          name: keyNameFor(rotation.arn, rotation.token),
        });
        const original = rotation.store.valueOf(rotation.arn, rotation.currentVersionId);
        rotation.store.setVersion(rotation.arn, rotation.token, ['AWSCURRENT'], {
          apiKey: replacement.key,
          apiKeyId: replacement.id,
          organizationId: rotation.orgId,
          team: 'payments',
        });
        rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSPREVIOUS'], original);
        return { rotation, replacement };
      }

      it('is allowed when the replaced version holds it and its apiKey authenticates in its organization', async () => {
        const { rotation, replacement } = rotatedBeforeSeals();
        const target = {
          kind: 'replaced',
          keyId: rotation.currentKey.id,
          versionId: rotation.currentVersionId,
        } as const;

        await expect(recheck(rotation, target, replacement.key)).resolves.toMatchObject({
          id: rotation.currentKey.id,
        });
        // The scheduled event delivered again once the key is revoked: done, with no proof asked of a dead key.
        const manager = { key: new Sensitive(replacement.key), label: 'the current key' };
        await rotation.factify.revokeKey(manager, rotation.currentKey.id, 'rotated');
        await expect(recheck(rotation, target, replacement.key)).resolves.toBe('already-revoked');
      });

      it('is refused when the version names the key by its prefix but its apiKey does not authenticate', async () => {
        const { rotation, replacement } = rotatedBeforeSeals();
        const forged = `${rotation.currentKey.key.slice(0, 16)}${'0'.repeat(48)}`;
        rotation.store.setVersion(rotation.arn, 'forged-version', [], {
          apiKey: forged,
          apiKeyId: rotation.currentKey.id,
        });

        const message = await refusal(
          recheck(
            rotation,
            { kind: 'replaced', keyId: rotation.currentKey.id, versionId: 'forged-version' },
            replacement.key,
          ),
        );

        expect(message).toBe(
          `Refusing to revoke key ${rotation.currentKey.id} of secret ${rotation.arn}: version forged-version was ` +
            'written by hand (no seal of this function) and its apiKey does not authenticate at Factify, so it ' +
            'does not prove it holds that key. Nothing was revoked.',
        );
        expect(logs.text()).not.toContain(forged);
      });
    });

    it('is refused, naming what it is, when it is the key of AWSCURRENT', async () => {
      const rotation = await rotated();
      const current = pendingKey(rotation).apiKeyId;

      const message = await refusal(recheck(rotation, { kind: 'replaced', keyId: current }));

      expect(message).toBe(
        `Refusing to revoke key ${current} (the replaced key of secret ${rotation.arn}): it is, or may be, the key ` +
          "of AWSCURRENT or AWSPENDING, the admin key, or a key another secret's rotation created. Nothing was " +
          'revoked; revoke it yourself once you know nothing uses it.',
      );
    });
  });

  it('refuses a key that is not among the organization’s keys', async () => {
    const rotation = await rotated();

    const message = await refusal(
      recheck(rotation, { kind: 'orphan', keyId: 'key_00000000000000000000000000' }),
    );

    expect(message).toBe(
      `Refusing to revoke key key_00000000000000000000000000 of secret ${rotation.arn}: it is not among the ` +
        "organization's keys. Nothing was revoked.",
    );
  });

  it('refuses when AWSCURRENT holds no Factify key secret, before asking Factify', async () => {
    const rotation = await rotated();
    const manager = pendingKey(rotation).apiKey;
    rotation.store.setVersion(rotation.arn, rotation.token, ['AWSCURRENT'], 'not a key secret');
    const listingsBefore = rotation.factify.calls.length;

    const message = await refusal(
      recheck(rotation, { kind: 'orphan', keyId: rotation.currentKey.id }, manager),
    );

    expect(message).toBe(
      `Refusing to revoke key ${rotation.currentKey.id} of secret ${rotation.arn}: its AWSCURRENT version holds ` +
        'no Factify key secret. Nothing was revoked.',
    );
    expect(rotation.factify.calls.length).toBe(listingsBefore);
  });

  it('passes on a failure to read a version, rather than taking it for a value that holds no key', async () => {
    const rotation = await rotated();
    rotation.store.failNext('getValue', new Error('ThrottlingException'));

    await expect(recheck(rotation, { kind: 'orphan', keyId: rotation.currentKey.id })).rejects.toThrow(
      'ThrottlingException',
    );
  });

  describe('an orphan', () => {
    it('is allowed when a rotation of this secret made it and no version holds it', async () => {
      const rotation = await rotated();
      const orphan = rotation.factify.addKey(rotation.orgId, {
        name: keyNameFor(rotation.arn, 'a1b2c3d4-0000-4000-8000-00000000abcd'),
      });

      await expect(recheck(rotation, { kind: 'orphan', keyId: orphan.id })).resolves.toMatchObject({
        id: orphan.id,
      });
    });

    it('is refused when no rotation of this secret made it', async () => {
      const rotation = await rotated();
      const other = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });

      const message = await refusal(recheck(rotation, { kind: 'orphan', keyId: other.id }));

      expect(message).toBe(
        `Refusing to revoke key ${other.id} of secret ${rotation.arn}: it is not a key this secret's rotations ` +
          'made that no version holds (or may hold). Nothing was revoked.',
      );
      expect(rotation.factify.key(other.id)?.isActive).toBe(true);
    });
  });

  describe('the key of an abandoned rotation', () => {
    /** A rotation that stopped after createSecret, its version then taken off AWSPENDING. */
    async function abandoned(): Promise<{ rotation: Rotation; versionId: string; keyId: string }> {
      const rotation = startRotation();
      await rotation.run('createSecret');
      const value = rotation.store.valueOf(rotation.arn, rotation.token);
      rotation.store.setVersion(rotation.arn, rotation.token, ['STUCK'], value);
      return { rotation, versionId: rotation.token, keyId: String(value?.apiKeyId) };
    }

    it('is allowed when the named version holds it under the seal', async () => {
      const { rotation, versionId, keyId } = await abandoned();

      await expect(
        recheck(rotation, { kind: 'abandoned', keyId, versionId }, rotation.currentKey.key),
      ).resolves.toMatchObject({ id: keyId });
    });

    it('is refused as a replaced key: its version holds it under the seal, but no rotation replaced it', async () => {
      const { rotation, versionId, keyId } = await abandoned();

      const message = await refusal(
        recheck(rotation, { kind: 'replaced', keyId, versionId }, rotation.currentKey.key),
      );

      expect(message).toBe(
        `Refusing to revoke key ${keyId} of secret ${rotation.arn}: no version of this secret that this ` +
          'function wrote records that its rotation replaced that key. Nothing was revoked.',
      );
    });

    it('is refused when it is named with a copy of its version (the seal covers the version id)', async () => {
      const { rotation, versionId, keyId } = await abandoned();
      const copy = 'c0ffee00-0000-4000-8000-000000000001';
      rotation.store.setVersion(
        rotation.arn,
        copy,
        ['COPY'],
        rotation.store.valueOf(rotation.arn, versionId),
      );

      const message = await refusal(
        recheck(rotation, { kind: 'abandoned', keyId, versionId: copy }, rotation.currentKey.key),
      );

      expect(message).toBe(
        `Refusing to revoke key ${keyId} of secret ${rotation.arn}: version ${copy} does not ` +
          "hold it under this function's seal. Nothing was revoked.",
      );
    });
  });

  it('refuses the admin key in admin mode, even when a rotation replaced it', async () => {
    // A person put the admin key into the rotated secret; its rotation replaced it and scheduled its revocation.
    const rotation = startRotation({ admin: true, currentIsAdmin: false, graceSeconds: GRACE });
    const admin = rotation.adminKey as { id: string; key: string };
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSCURRENT'], {
      apiKey: admin.key,
      apiKeyId: admin.id,
    });
    await rotation.rotate();
    rotation.advance(GRACE);
    const [schedule] = [...rotation.scheduler.schedules.values()];

    const failure = rotation.invoke(schedule?.input);

    await expect(failure).rejects.toThrow(
      `Refusing to revoke key ${admin.id} (the replaced key of secret ${rotation.arn}): it is, or may be, the key ` +
        "of AWSCURRENT or AWSPENDING, the admin key, or a key another secret's rotation created.",
    );
    expect(rotation.factify.key(admin.id)?.isActive).toBe(true);
  });
});
