import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectSecret } from '../../lambda/health/inspection.js';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { recheckRevocation } from '../../lambda/keys/recheck.js';
import { captureLogs, FUNCTION_ARN, pendingKey, type Rotation, startRotation } from './fixture.js';

/**
 * Issue 16's "Why", case by case, over the fakes: each one revoked a key it must not on the code before
 * the seal (38ec8ce). In each, every other key stays active, the current key works, and nothing is minted.
 */
const GRACE = 3600;

type Key = { id: string; key: string };

/** What `put-secret-value` does: the new value becomes AWSCURRENT, the old AWSCURRENT becomes AWSPREVIOUS. */
function putByHand(rotation: Rotation, value: unknown): string {
  const { store, arn } = rotation;
  const current = versionWith(rotation, 'AWSCURRENT');
  store.setVersion(arn, current, ['AWSPREVIOUS'], store.valueOf(arn, current));
  const versionId = randomUUID();
  store.setVersion(arn, versionId, ['AWSCURRENT'], value);
  return versionId;
}

function versionWith(rotation: Rotation, stage: string, arn = rotation.arn): string {
  const stages = rotation.store.stages(arn);
  return Object.keys(stages).find((id) => stages[id]?.includes(stage)) as string;
}

/** Another secret B rotated by the same function, holding a key its own rotation created. */
function secretB(rotation: Rotation, options: { sharePrefixWith?: string } = {}): { arn: string; key: Key } {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing-AbCdEf';
  const key = rotation.factify.addKey(rotation.orgId, {
    name: keyNameFor(arn, randomUUID()),
    ...(options.sharePrefixWith === undefined ? {} : { sharePrefixWith: options.sharePrefixWith }),
  });
  rotation.store.addSecret('prod/billing', {
    apiKey: key.key,
    apiKeyId: key.id,
    organizationId: rotation.orgId,
  });
  return { arn, key };
}

/** Starts the next rotation of A and runs its four steps; resolves with the error of the step that failed. */
async function rotateAgain(rotation: Rotation): Promise<unknown> {
  const token = rotation.store.addPendingPlaceholder(rotation.arn);
  try {
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation.run(step, token);
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function active(rotation: Rotation, id: string): boolean {
  return rotation.factify.key(id)?.isActive === true;
}

describe('issue 16: provenance the writer of a secret cannot forge', () => {
  captureLogs();

  describe('prefix shadow: A edited twice by hand keeps only its own apiKey, which B’s key shares the prefix of', () => {
    async function shadowed(options: { admin?: boolean; graceSeconds?: number }) {
      const rotation = startRotation(options);
      await rotation.rotate();
      const own = pendingKey(rotation);
      const b = secretB(rotation, { sharePrefixWith: own.apiKey });
      // Two edits push the sealed version out of the labels; the value keeps only the key.
      putByHand(rotation, { apiKey: own.apiKey, team: 'payments' });
      putByHand(rotation, { apiKey: own.apiKey, team: 'payments' });
      return { rotation, own, b };
    }

    it.each([
      ['admin', { admin: true }],
      ['self-rotation', {}],
      ['grace', { graceSeconds: GRACE }],
    ] as const)(
      'in %s mode, never revokes B’s key: A’s own key is told apart by its seal',
      async (_mode, options) => {
        const { rotation, own, b } = await shadowed(options);

        const failure = await rotateAgain(rotation);
        rotation.advance(GRACE * 3);
        for (const schedule of [...rotation.scheduler.schedules.values()])
          await rotation.invoke(schedule.input);

        expect(failure).toBeUndefined();
        expect(active(rotation, b.key.id)).toBe(true);
        expect(rotation.factify.revokeCalls(b.key.id)).toBe(0);
        // A's own key, which the edits kept, is what this rotation replaced: revoked once, as "rotated".
        expect(rotation.factify.revokeCalls(own.apiKeyId)).toBe(1);
        expect(rotation.factify.key(own.apiKeyId)?.revokedComment).toBe('rotated');
        expect(
          active(
            rotation,
            String(rotation.store.valueOf(rotation.arn, versionWith(rotation, 'AWSCURRENT'))?.apiKeyId),
          ),
        ).toBe(true);
      },
    );

    it('when no sealed version tells them apart any more, nothing is revoked and the rotation stops, naming the keys', async () => {
      const { rotation, own, b } = await shadowed({ admin: true });
      // Secrets Manager deleted the old version (it keeps about 100): the seal is gone.
      rotation.store.setVersion(rotation.arn, rotation.token, [], {
        apiKey: 'ffy_test_gone',
        team: 'payments',
      });
      const revokesBefore = rotation.factify.revokeCalls();

      const failure = await rotateAgain(rotation);

      expect(failure).toMatchObject({ code: 'KEY_NOT_RESOLVED' });
      expect(String((failure as Error).message)).toContain(b.key.id);
      expect(active(rotation, b.key.id)).toBe(true);
      expect(active(rotation, own.apiKeyId)).toBe(true);
      expect(rotation.factify.revokeCalls()).toBe(revokesBefore);
    });

    it('the clumsy operator’s recover finds no orphan in A’s own current key, and the next createSecret keeps it', async () => {
      const { rotation, own } = await shadowed({});
      const { report, manager } = await inspectSecret(
        {
          store: rotation.store,
          factify: rotation.factify,
          sealKey: rotation.sealKey,
          now: () => new Date(),
        },
        rotation.arn,
      );

      expect(report.orphans.map((orphan) => orphan.keyId)).not.toContain(own.apiKeyId);
      await expect(
        recheckRevocation(
          {
            secret: await rotation.store.describe(rotation.arn),
            store: rotation.store,
            factify: rotation.factify,
            sealKey: rotation.sealKey,
            rotatedSecrets: () => rotation.store.listSecretsRotatedBy(FUNCTION_ARN),
          },
          manager,
          { kind: 'orphan', keyId: own.apiKeyId },
        ),
      ).rejects.toMatchObject({ name: 'RevocationRefusedError' });

      await rotation.run('createSecret', rotation.store.addPendingPlaceholder(rotation.arn));
      expect(active(rotation, own.apiKeyId)).toBe(true);
      expect(rotation.factify.revokeCalls()).toBe(1);
    });
  });

  describe('cross-secret copies, with the admin key', () => {
    it('AWSPREVIOUS moved onto a copy of B’s value, then finishSecret retried: B’s key stays active', async () => {
      const rotation = startRotation({ admin: true });
      const b = secretB(rotation);
      await rotation.rotate();
      const copy = randomUUID();
      rotation.store.setVersion(
        rotation.arn,
        copy,
        ['AWSPREVIOUS'],
        rotation.store.valueOf(b.arn, versionWith(rotation, 'AWSCURRENT', b.arn)),
      );

      await rotation.run('finishSecret');

      expect(active(rotation, b.key.id)).toBe(true);
      expect(active(rotation, pendingKey(rotation).apiKeyId)).toBe(true);
      expect(rotation.factify.revokeCalls(b.key.id)).toBe(0);
    });

    it('B’s value put into A and A rotated: B’s key stays active, A gets its own', async () => {
      const rotation = startRotation({ admin: true });
      const b = secretB(rotation);
      putByHand(rotation, rotation.store.valueOf(b.arn, versionWith(rotation, 'AWSCURRENT', b.arn)));

      const failure = await rotateAgain(rotation);

      expect(failure).toMatchObject({ name: 'RevocationRefusedError' });
      expect(active(rotation, b.key.id)).toBe(true);
      expect(rotation.factify.revokeCalls(b.key.id)).toBe(0);
    });

    it('two secrets created with one hand-made key: rotating one leaves the key the other uses', async () => {
      const rotation = startRotation({ admin: true });
      rotation.store.addSecret('prod/billing', {
        apiKey: rotation.currentKey.key,
        apiKeyId: rotation.currentKey.id,
      });

      const failure = await rotateAgain(rotation);

      expect(failure).toMatchObject({ name: 'RevocationRefusedError' });
      expect(active(rotation, rotation.currentKey.id)).toBe(true);
      expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(0);
    });

    it('recover of a foreign AWSPREVIOUS: the inspection offers B’s key for no revocation, the re-check refuses it', async () => {
      const rotation = startRotation({ admin: true });
      const b = secretB(rotation);
      await rotation.rotate();
      rotation.store.setVersion(
        rotation.arn,
        randomUUID(),
        ['AWSPREVIOUS'],
        rotation.store.valueOf(b.arn, versionWith(rotation, 'AWSCURRENT', b.arn)),
      );
      const context = {
        store: rotation.store,
        factify: rotation.factify,
        sealKey: rotation.sealKey,
        adminSecretId: String(process.env.FACTIFY_ADMIN_SECRET_ID),
        now: () => new Date(),
      };

      const { report, manager } = await inspectSecret(context, rotation.arn);

      expect(JSON.stringify(report.awaitingRevocation)).not.toContain(b.key.id);
      await expect(
        recheckRevocation(
          { ...context, secret: await rotation.store.describe(rotation.arn), rotatedSecrets: async () => [] },
          manager,
          { kind: 'replaced', keyId: b.key.id, versionId: versionWith(rotation, 'AWSPREVIOUS') },
        ),
      ).rejects.toMatchObject({ name: 'RevocationRefusedError' });
      expect(active(rotation, b.key.id)).toBe(true);
    });
  });

  it('the minted key: a made-up apiKey with an orphan’s id in its never-stored version mints nothing, revokes nothing', async () => {
    const rotation = startRotation({ admin: true });
    const orphanVersion = randomUUID();
    const orphan = rotation.factify.addKey(rotation.orgId, { name: keyNameFor(rotation.arn, orphanVersion) });
    const previous = rotation.currentKey;
    // The writer fills the orphan's version with the orphan's id and an apiKey that only shows its prefix.
    putByHand(rotation, { apiKey: `${orphan.key.slice(0, 16)}${'Z'.repeat(48)}`, apiKeyId: orphan.id });
    rotation.store.setVersion(rotation.arn, orphanVersion, ['AWSCURRENT'], {
      apiKey: `${orphan.key.slice(0, 16)}${'Z'.repeat(48)}`,
      apiKeyId: orphan.id,
      organizationId: rotation.orgId,
    });
    const creates = rotation.factify.calls.filter((call) => call.method === 'createKey').length;

    const failure = await rotateAgain(rotation);

    expect(failure).toBeDefined();
    expect(rotation.factify.calls.filter((call) => call.method === 'createKey')).toHaveLength(creates);
    expect(active(rotation, previous.id)).toBe(true);
    expect(rotation.factify.revokeCalls()).toBe(0);
  });

  it('a copy of a sealed value under another version is a copy, never new evidence', async () => {
    const rotation = startRotation();
    await rotation.rotate();
    const sealed = rotation.store.valueOf(rotation.arn, rotation.token);
    putByHand(rotation, sealed);
    const revokesBefore = rotation.factify.revokeCalls();

    // The copy holds the sealed key, but its seal names another version: it replaced nothing the function
    // knows of, so createSecret's backstop revokes nothing on its strength.
    await rotation.run('createSecret', rotation.store.addPendingPlaceholder(rotation.arn));

    expect(rotation.factify.revokeCalls()).toBe(revokesBefore);
    expect(active(rotation, String(sealed?.apiKeyId))).toBe(true);
  });
});
