import { describe, expect, it, vi } from 'vitest';
import { secretTag } from '../../lambda/keys/key-naming.js';
import { revokeOrSchedule } from '../../lambda/keys/revocation.js';
import { revocationScheduleName } from '../../lambda/keys/revocation-schedule.js';
import type { StepContext } from '../../lambda/step-context.js';
import {
  ConfigurationError,
  FactifyRequestError,
  RotationStateError,
} from '../../lambda/telemetry/errors.js';
import { Logger } from '../../lambda/telemetry/log.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { FakeFactify } from '../fakes/factify-keys.js';
import { FakeScheduler } from '../fakes/scheduler.js';
import { captureLogs, FUNCTION_ARN, pendingKey, SCHEDULER_ROLE_ARN, startRotation } from './fixture.js';

const GRACE = 3600;
const START = Date.parse('2026-11-27T00:00:00Z');
const emfLines = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line);
const ages = (lines: Record<string, unknown>[]) =>
  emfLines(lines).flatMap((line) => ('ReplacedKeyAgeDays' in line ? [line.ReplacedKeyAgeDays] : []));
const entry = (lines: Record<string, unknown>[], message: string) =>
  lines.filter((line) => line.message === message);

describe('what the revocation of a replaced key does, says and refuses', () => {
  const logs = captureLogs();

  describe('in finishSecret without a grace period', () => {
    it('logs the revoked key and its outcome, and publishes the age of the key it revoked', async () => {
      const rotation = startRotation();

      await rotation.rotate();

      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
      expect(entry(logs.lines(), 'Revoked the replaced key')).toEqual([
        expect.objectContaining({ level: 'INFO', keyId: rotation.currentKey.id, outcome: 'revoked' }),
      ]);
      expect(ages(logs.lines())).toEqual([0]);
      for (const secret of rotation.secrets()) expect(logs.text()).not.toContain(secret);
    });

    it('publishes no age when another actor revoked the key first (Factify answers 409)', async () => {
      const rotation = startRotation();
      for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await rotation.run(step);
      const revoke = rotation.factify.revokeKey.bind(rotation.factify);
      vi.spyOn(rotation.factify, 'revokeKey').mockImplementationOnce(async (auth, keyId) => {
        await revoke(auth, keyId, 'by an operator');
        throw new FactifyRequestError('already revoked', 409);
      });

      await rotation.run('finishSecret');

      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('by an operator');
      expect(entry(logs.lines(), 'Revoked the replaced key')).toEqual([
        expect.objectContaining({ keyId: rotation.currentKey.id, outcome: 'already-revoked' }),
      ]);
      expect(ages(logs.lines())).toEqual([]);
    });
  });

  describe('in finishSecret with a grace period', () => {
    it('logs the schedule it made (key, name, time, outcome), and "exists" when retried', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      await rotation.run('finishSecret');

      const name = revocationScheduleName(rotation.arn, rotation.currentVersionId);
      const scheduled = entry(
        logs.lines(),
        'Scheduled the revocation of the replaced key after its grace period',
      );
      expect(
        scheduled.map(({ keyId, scheduleName, revokeAt, outcome }) => ({
          keyId,
          scheduleName,
          revokeAt,
          outcome,
        })),
      ).toEqual([
        {
          keyId: rotation.currentKey.id,
          scheduleName: name,
          revokeAt: '2026-11-27T01:00:00.000Z',
          outcome: 'created',
        },
        {
          keyId: rotation.currentKey.id,
          scheduleName: name,
          revokeAt: '2026-11-27T01:00:00.000Z',
          outcome: 'exists',
        },
      ]);
      expect(ages(logs.lines())).toEqual([]);
    });

    function contextWithout(missing: 'functionArn' | 'schedulerRoleArn'): {
      ctx: StepContext;
      scheduler: FakeScheduler;
      factify: FakeFactify;
    } {
      const scheduler = new FakeScheduler();
      const factify = new FakeFactify(() => new Date(START));
      const ctx = {
        secret: {
          arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/factify-AbCdEf',
          versions: {},
        },
        factify,
        scheduler: async () => scheduler,
        revokeGraceSeconds: GRACE,
        token: 'b1f0c1de-0000-4000-8000-000000000001',
        now: () => new Date(START),
        log: new Logger(),
        ...(missing === 'functionArn' ? {} : { functionArn: FUNCTION_ARN }),
        ...(missing === 'schedulerRoleArn' ? {} : { schedulerRoleArn: SCHEDULER_ROLE_ARN }),
      } as unknown as StepContext;
      return { ctx, scheduler, factify };
    }

    it.each(['functionArn', 'schedulerRoleArn'] as const)(
      'refuses with INVALID_CONFIGURATION, scheduling and revoking nothing, when the %s is unknown',
      async (missing) => {
        const { ctx, scheduler, factify } = contextWithout(missing);
        const prove = vi.fn(async () => {});

        const failure = revokeOrSchedule(
          ctx,
          { key: new Sensitive('ffy_test_x'), label: 'k' },
          {
            versionId: 'v-old',
            keyId: 'key_old',
            prove,
          },
        );

        await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
        await expect(failure).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
        await expect(failure).rejects.toThrow(
          'A grace period is set but the revocation cannot be scheduled: the invocation has no function ARN or ' +
            'REVOKE_SCHEDULER_ROLE_ARN is unset.',
        );
        expect(scheduler.calls).toEqual([]);
        expect(factify.calls).toEqual([]);
      },
    );
  });

  describe('the scheduled revokeReplacedKey event', () => {
    it('is refused before its schedule runs, naming the time, and the key and the schedule stay', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      const [schedule] = [...rotation.scheduler.schedules.values()];
      rotation.advance(GRACE - 1);

      const failure = rotation.invoke(schedule?.input);

      await expect(failure).rejects.toBeInstanceOf(RotationStateError);
      await expect(failure).rejects.toThrow(
        `Refusing to revoke key ${rotation.currentKey.id} of secret ${rotation.arn}: its schedule runs at ` +
          '2026-11-27T01:00:00.000Z, and the revocation runs then, not before. To revoke a leaked key at once, ' +
          'rotate the secret with {"SecretId": ..., "RevokeImmediately": true}.',
      );
      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
      expect(rotation.scheduler.schedules.size).toBe(1);
    });

    it('is refused before a schedule made under the earlier (literal) name runs', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      const [schedule] = [...rotation.scheduler.schedules.values()];
      if (schedule === undefined) throw new Error('no schedule');
      const legacy = `fkr-revoke-${secretTag(rotation.arn)}-${rotation.currentVersionId}`;
      rotation.scheduler.schedules.delete(schedule.name);
      rotation.scheduler.schedules.set(legacy, { ...schedule, name: legacy });

      await expect(rotation.invoke(schedule.input)).rejects.toThrow(/its schedule runs at/);
      expect(rotation.factify.key(rotation.currentKey.id)?.isActive).toBe(true);
    });

    it('revokes when its time has come, logs it, publishes the age, and deletes the schedule under both names', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      const [schedule] = [...rotation.scheduler.schedules.values()];
      if (schedule === undefined) throw new Error('no schedule');
      const legacy = `fkr-revoke-${secretTag(rotation.arn)}-${rotation.currentVersionId}`;
      rotation.scheduler.schedules.set(legacy, { ...schedule, name: legacy });
      rotation.advance(GRACE);
      logs.reset();
      // The key it asks Factify with is named in any rejection an operator reads.
      const labels: string[] = [];
      const list = rotation.factify.listKeys.bind(rotation.factify);
      vi.spyOn(rotation.factify, 'listKeys').mockImplementation(async (auth, options) => {
        labels.push(auth.label);
        return list(auth, options);
      });

      await rotation.invoke(schedule.input);

      expect(new Set(labels)).toEqual(new Set([`the current key of secret ${rotation.arn}`]));

      expect(rotation.factify.key(rotation.currentKey.id)?.revokedComment).toBe('rotated');
      expect(entry(logs.lines(), 'Revoked the replaced key after its grace period')).toEqual([
        expect.objectContaining({ keyId: rotation.currentKey.id, outcome: 'revoked' }),
      ]);
      // The key was made at the fixture's start, an hour (the grace) before.
      expect(ages(logs.lines())).toEqual([0.04]);
      expect(rotation.scheduler.schedules.size).toBe(0);

      logs.reset();
      await rotation.invoke(schedule.input);

      expect(entry(logs.lines(), 'The replaced key is already revoked')).toEqual([
        expect.objectContaining({ keyId: rotation.currentKey.id }),
      ]);
      expect(entry(logs.lines(), 'Revoked the replaced key after its grace period')).toEqual([]);
      expect(ages(logs.lines())).toEqual([]);
      expect(rotation.factify.revokeCalls()).toBe(1);
    });

    it('publishes no age when the key was revoked by another actor while it was being revoked', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      const [schedule] = [...rotation.scheduler.schedules.values()];
      rotation.advance(GRACE);
      const revoke = rotation.factify.revokeKey.bind(rotation.factify);
      vi.spyOn(rotation.factify, 'revokeKey').mockImplementationOnce(async (auth, keyId) => {
        await revoke(auth, keyId, 'by an operator');
        throw new FactifyRequestError('already revoked', 409);
      });
      logs.reset();

      await rotation.invoke(schedule?.input);

      expect(entry(logs.lines(), 'Revoked the replaced key after its grace period')).toEqual([
        expect.objectContaining({ keyId: rotation.currentKey.id, outcome: 'already-revoked' }),
      ]);
      expect(ages(logs.lines())).toEqual([]);
      expect(rotation.scheduler.schedules.size).toBe(0);
    });

    it('is refused without a grace period, saying it did not come from this function', async () => {
      const rotation = startRotation();
      await rotation.rotate();
      const old = rotation.factify.addKey(rotation.orgId, { name: 'old' });

      const failure = rotation.invoke({
        Action: 'revokeReplacedKey',
        SecretId: rotation.arn,
        VersionId: rotation.currentVersionId,
        ApiKeyId: old.id,
      });

      await expect(failure).rejects.toMatchObject({ code: 'INVALID_ROTATION_STATE' });
      await expect(failure).rejects.toThrow(
        `Refusing to revoke key ${old.id} of secret ${rotation.arn}: no grace period is configured ` +
          '(REVOKE_GRACE_SECONDS), so finishSecret revokes replaced keys itself and schedules nothing; this ' +
          'event did not come from this function.',
      );
      expect(rotation.factify.key(old.id)?.isActive).toBe(true);
    });

    it('names every label of a live version it refuses', async () => {
      const rotation = startRotation({ graceSeconds: GRACE });
      await rotation.rotate();
      rotation.advance(GRACE);
      const current = rotation.store.valueOf(rotation.arn, rotation.token);
      rotation.store.setVersion(rotation.arn, rotation.token, ['AWSCURRENT', 'BLUE'], current);

      const failure = rotation.invoke({
        Action: 'revokeReplacedKey',
        SecretId: rotation.arn,
        VersionId: rotation.token,
        ApiKeyId: pendingKey(rotation).apiKeyId,
      });

      await expect(failure).rejects.toThrow(
        `version ${rotation.token} is AWSCURRENT, BLUE, not a replaced version`,
      );
      expect(rotation.factify.revokeCalls()).toBe(0);
    });
  });
});
