import { DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { DUPLICATE_REASON } from '../../lambda/keys/key-management.js';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { FUNCTION_ARN } from '../support/rotation-environment.js';
import { expectRotated, rotateSecret, seedSecret } from '../support/seeded-secret.js';

const GRACE_ENV = {
  REVOKE_GRACE_SECONDS: '3600',
  REVOKE_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/factify-revoke-scheduler',
};

/**
 * A step delivered again while the first delivery still runs (or invoked by hand at the same time): every
 * step of a rotation is invoked twice at once, each in its own process of the built bundle, and the
 * rotation must end as if each had run once.
 */
describe('every step invoked twice at the same time', () => {
  const { environment, restart } = useRotationEnvironment();

  async function doubledEnvironment(env: Record<string, string> = {}) {
    await restart({ env });
    const failures: string[] = [];
    environment.secretsManager.setRotationInvoker(FUNCTION_ARN, async (event) => {
      const both = await Promise.all([environment.invoke(event), environment.invoke(event)]);
      for (const invocation of both) {
        if (!invocation.ok) failures.push(`${event.Step}: ${invocation.error?.errorMessage ?? 'killed'}`);
      }
      if (failures.length > 0) throw new Error(failures.join('; '));
    });
    return failures;
  }

  it('ends with one new key stored and working, the old one revoked once, no orphan, nothing printed', async () => {
    const failures = await doubledEnvironment();
    const seeded = seedSecret(environment);
    // Both createSecret calls create a key before either stores it: one PutSecretValue wins, the other is
    // refused (ResourceExistsException) and must revoke the key it made.
    environment.secretsManager.failNext('PutSecretValue', { hangMs: 1_500, times: 2 });

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 60_000);

    expect(failures).toEqual([]);
    expect(outcome.status).toBe('succeeded');
    const named = environment.factify
      .keys(seeded.orgId, { includeRevoked: true })
      .filter((key) => key.name === keyNameFor(seeded.arn, versionId));
    expect(named).toHaveLength(2);
    expect(named.filter((key) => !key.is_active).map((key) => key.revoked_comment)).toEqual([
      DUPLICATE_REASON,
    ]);
    await expectRotated(environment, seeded, versionId);
  });

  it('with a grace period: one schedule, and the scheduled revocation doubled revokes the old key once', async () => {
    const failures = await doubledEnvironment(GRACE_ENV);
    const seeded = seedSecret(environment);

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 60_000);
    expect(failures).toEqual([]);
    expect(outcome.status).toBe('succeeded');
    const schedules = environment.scheduler.schedules();
    expect(schedules).toHaveLength(1);

    const [schedule] = schedules;
    const input = JSON.parse(String(schedule?.target.Input));
    // The service deletes a one-time DELETE schedule once it has delivered the event, before the function
    // runs (an event sent while its schedule is still to come is refused); the event then arrives twice.
    await environment.scheduler
      .client()
      .send(new DeleteScheduleCommand({ Name: schedule?.name, GroupName: schedule?.groupName }));
    const both = await Promise.all([environment.invoke(input), environment.invoke(input)]);

    expect(both.map((invocation) => invocation.ok)).toEqual([true, true]);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, versionId);
  });
});
