import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { EMERGENCY_TOKEN_PREFIX } from '../../lambda/keys/revocation.js';
import { revocationScheduleName } from '../../lambda/keys/revocation-schedule.js';
import { ConfigurationError, InvalidEventError, RotationStateError } from '../../lambda/telemetry/errors.js';
import { captureLogs, FUNCTION_ARN, pendingKey, SCHEDULER_ROLE_ARN, startRotation } from './fixture.js';

const GRACE = 3600;

describe('the grace period before a replaced key is revoked', () => {
  captureLogs();

  it('schedules the revocation instead of revoking in finishSecret, and the old key keeps working', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });

    await rotation.rotate();

    expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
    expect(rotation.factify.revokeCalls()).toBe(0);
    const [schedule] = [...rotation.scheduler.schedules.values()];
    expect(schedule).toEqual({
      name: revocationScheduleName(rotation.arn, rotation.currentVersionId),
      at: new Date(Date.parse('2026-11-27T00:00:00Z') + GRACE * 1000),
      targetArn: FUNCTION_ARN,
      roleArn: SCHEDULER_ROLE_ARN,
      input: {
        Action: 'revokeReplacedKey',
        SecretId: rotation.arn,
        VersionId: rotation.currentVersionId,
        ApiKeyId: rotation.currentKey.id,
      },
    });
    expect(schedule?.name).toMatch(/^fkr-revoke-[0-9a-f]{10}-/);
    expect(schedule?.name.length).toBeLessThanOrEqual(64);
  });

  it('schedules once when finishSecret is retried', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();

    await rotation.run('finishSecret');

    expect(rotation.scheduler.schedules.size).toBe(1);
    expect(rotation.factify.revokeCalls()).toBe(0);
  });

  it('revokes at once, whatever the grace, in a rotation started with RevokeImmediately', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    const started = (await rotation.invoke({ SecretId: rotation.arn, RevokeImmediately: true })) as {
      VersionId: string;
    };
    expect(started.VersionId.startsWith(EMERGENCY_TOKEN_PREFIX)).toBe(true);
    // The placeholder the fixture made is not part of this rotation.
    rotation.store.setVersion(rotation.arn, rotation.token, []);

    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation.run(step, started.VersionId);
    }

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    expect(rotation.scheduler.schedules.size).toBe(0);
    expect(keyNameFor(rotation.arn, started.VersionId).length).toBeLessThanOrEqual(63);
  });

  it('revokes the key when the scheduled event arrives, then deletes the schedule; a second event is harmless', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    const [schedule] = [...rotation.scheduler.schedules.values()];
    rotation.advance(GRACE);

    await rotation.invoke(schedule?.input);
    await rotation.invoke(schedule?.input);

    expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
    expect(rotation.factify.revokeCalls(rotation.currentKey.id)).toBe(1);
    expect(rotation.scheduler.schedules.size).toBe(0);
  });

  it('refuses a revoke event for the AWSCURRENT key', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    const current = pendingKey(rotation);

    const failure = rotation.invoke({
      Action: 'revokeReplacedKey',
      SecretId: rotation.arn,
      VersionId: rotation.token,
      ApiKeyId: current.apiKeyId,
    });

    await expect(failure).rejects.toBeInstanceOf(RotationStateError);
    await expect(failure).rejects.toThrow(/not a replaced version/);
    expect(rotation.factify.revokeCalls()).toBe(0);
  });

  it('refuses a revoke event for a key the named version does not hold', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    // Past the grace: the schedule's time is no reason to refuse here, the version's key must be.
    rotation.advance(GRACE);
    const otherApp = rotation.factify.addKey(rotation.orgId, { name: 'billing-service' });

    const failure = rotation.invoke({
      Action: 'revokeReplacedKey',
      SecretId: rotation.arn,
      VersionId: rotation.currentVersionId,
      ApiKeyId: otherApp.id,
    });

    await expect(failure).rejects.toThrow(/does not hold that key/);
    expect(rotation.factify.key(otherApp.id)?.isActive).toBe(true);
  });

  it('refuses a revoke event whose old version was made to hold the current key', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    // Past the grace: the schedule's time is no reason to refuse here, the version's key must be.
    rotation.advance(GRACE);
    const current = rotation.store.valueOf(rotation.arn, rotation.token);
    rotation.store.setVersion(rotation.arn, rotation.currentVersionId, ['AWSPREVIOUS'], current);

    const failure = rotation.invoke({
      Action: 'revokeReplacedKey',
      SecretId: rotation.arn,
      VersionId: rotation.currentVersionId,
      ApiKeyId: String(current?.apiKeyId),
    });

    await expect(failure).rejects.toThrow(/key of AWSCURRENT or AWSPENDING/);
  });

  it('keeps a key in its grace period out of the next rotation’s cleanup, within the 5-key limit', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    const inGrace = rotation.currentKey.id;
    const second = rotation.store.addPendingPlaceholder(rotation.arn);

    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation.run(step, second);
    }

    // Rotation 2 replaced rotation 1's key (now in its grace); the original key, two rotations old, is not
    // held by AWSCURRENT or AWSPREVIOUS any more and was not created by a rotation: its schedule revokes it.
    expect(rotation.factify.key(inGrace)?.isActive).toBe(true);
    expect(rotation.scheduler.schedules.size).toBe(2);
  });

  it('revokes the AWSPREVIOUS key in createSecret once its grace is long over (its schedule never ran)', async () => {
    const rotation = startRotation({ graceSeconds: GRACE });
    await rotation.rotate();
    const replacedByFirst = rotation.currentKey.id;
    const firstKey = pendingKey(rotation).apiKeyId;
    const second = rotation.store.addPendingPlaceholder(rotation.arn);
    await rotation.run('createSecret', second);
    for (const step of ['setSecret', 'testSecret', 'finishSecret'] as const) await rotation.run(step, second);
    rotation.advance(GRACE + 2 * 24 * 3600);
    const third = rotation.store.addPendingPlaceholder(rotation.arn);

    await rotation.run('createSecret', third);

    // The first rotation's key is AWSPREVIOUS now, and long past its grace.
    expect(rotation.factify.key(firstKey)?.revokedComment).toBe('rotated');
    expect(rotation.factify.key(replacedByFirst)?.isActive).toBe(true);
  });

  it.each([
    [{ REVOKE_GRACE_SECONDS: '-5' }, /whole number/],
    [{ REVOKE_GRACE_SECONDS: '1.5' }, /whole number/],
    [{ REVOKE_GRACE_SECONDS: '300' }, /REVOKE_SCHEDULER_ROLE_ARN is not/],
    [{ REVOKE_GRACE_SECONDS: '300', REVOKE_SCHEDULER_ROLE_ARN: 'my-role' }, /not an IAM role ARN/],
    [{ REVOKE_SCHEDULE_GROUP: 'my group' }, /REVOKE_SCHEDULE_GROUP is not an EventBridge Scheduler group/],
    [{ REVOKE_SCHEDULE_GROUP: 'g'.repeat(65) }, /REVOKE_SCHEDULE_GROUP is not/],
    [{ REVOKE_SCHEDULE_DLQ_ARN: 'my-queue' }, /REVOKE_SCHEDULE_DLQ_ARN is not an SQS queue ARN/],
    [{ REVOKE_SCHEDULE_DLQ_ARN: 'arn:aws:sns:us-east-1:123456789012:topic' }, /not an SQS queue ARN/],
  ])('rejects the configuration %j before any call', async (env, message) => {
    const rotation = startRotation();
    for (const [name, value] of Object.entries(env)) process.env[name] = value;
    try {
      const failure = rotation.run('createSecret');
      await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
      await expect(failure).rejects.toThrow(message);
      expect(rotation.store.calls).toEqual([]);
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
  });

  it.each([
    [{ Action: 'deleteEverything', SecretId: 's' }],
    [{ Action: 'revokeReplacedKey', SecretId: 's', VersionId: 'v' }],
    [{ Action: 'revokeReplacedKey', SecretId: 's', VersionId: 'v', ApiKeyId: 'not-a-key-id' }],
    [{ SecretId: 's', RevokeImmediately: 'yes' }],
  ])('rejects the malformed event %j before any call', async (event) => {
    const rotation = startRotation();

    await expect(rotation.invoke(event)).rejects.toBeInstanceOf(InvalidEventError);
    expect(rotation.store.calls).toEqual([]);
  });
});
