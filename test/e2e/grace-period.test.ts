import { describe, expect, it } from 'vitest';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { killWhileHeld, retryUntilRotated, SCHEDULE_GROUP_ENV } from '../support/rotation-environment.js';
import { expectRotated, keyWorks, rotateSecret, seedSecret } from '../support/seeded-secret.js';

const GRACE_SECONDS = 3600;
const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';

/** A moment after every grace period started in these tests has ended. */
const afterGrace = () => new Date(Date.now() + (GRACE_SECONDS + 60) * 1000);

describe('a grace period before the replaced key is revoked', () => {
  const { environment, seeded } = useSeededEnvironment({
    env: {
      REVOKE_GRACE_SECONDS: String(GRACE_SECONDS),
      REVOKE_SCHEDULER_ROLE_ARN: SCHEDULER_ROLE_ARN,
      // In the construct's own schedule group, as the stack deploys the function.
      ...SCHEDULE_GROUP_ENV,
    },
  });

  it('keeps the old key working after finishSecret, then revokes it when the schedule fires', async () => {
    const versionId = await rotateSecret(environment, seeded.arn);
    const [outcome] = await retryUntilRotated(environment, seeded.arn, 0);
    expect(outcome?.status).toBe('succeeded');

    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    const [schedule] = environment.scheduler.schedules();
    expect(schedule).toMatchObject({
      name: expect.stringMatching(/^fkr-revoke-/),
      groupName: SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_GROUP,
      actionAfterCompletion: 'DELETE',
      target: {
        RoleArn: SCHEDULER_ROLE_ARN,
        DeadLetterConfig: { Arn: SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_DLQ_ARN },
      },
    });
    expect(JSON.parse(String(schedule?.target.Input))).toEqual({
      Action: 'revokeReplacedKey',
      SecretId: seeded.arn,
      VersionId: seeded.initialVersionId,
      ApiKeyId: seeded.initialKey.id,
    });

    const ran = await environment.scheduler.runDue(afterGrace());

    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(false);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, versionId);
  });

  it('does not fire before the grace period is over', async () => {
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    expect(await environment.scheduler.runDue(new Date(Date.now() + (GRACE_SECONDS - 60) * 1000))).toEqual(
      [],
    );
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
  });

  it('schedules once when finishSecret is retried, even after dying as the schedule was created', async () => {
    killWhileHeld(environment, environment.scheduler, 'CreateSchedule');

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn);
    const finish = environment.invocations.at(-1);
    await environment.invoke({ Step: 'finishSecret', SecretId: seeded.arn, ClientRequestToken: versionId });

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'succeeded']);
    expect(finish?.ok).toBe(true);
    expect(environment.scheduler.schedules()).toHaveLength(1);
    await environment.scheduler.runDue(afterGrace());
    await expectRotated(environment, seeded, versionId);
  });

  it('revokes on a retry by Lambda when the scheduled revocation fails, its schedule already gone', async () => {
    // Every attempt of the first invocation (the client makes 4), so that the function itself fails.
    environment.factify.inject({
      method: 'DELETE',
      path: /^\/v1\/api-keys\/key_/,
      kind: 'status',
      status: 503,
      times: 4,
    });
    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const [run] = await environment.scheduler.runDue(afterGrace());

    expect(run).toMatchObject({ delivered: true, deleted: true, result: 'succeeded' });
    expect(run?.runs?.map((attempt) => attempt.ok)).toEqual([false, true]);
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(1);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, versionId);
  });

  it('revokes a first value written without apiKeyId when its schedule fires', async () => {
    const handWritten = seedSecret(environment, { name: 'prod/no-key-id', withoutKeyId: true });
    const versionId = await rotateSecret(environment, handWritten.arn);
    await retryUntilRotated(environment, handWritten.arn, 0);
    const [schedule] = environment.scheduler.schedules();
    expect(JSON.parse(String(schedule?.target.Input))).toMatchObject({ ApiKeyId: handWritten.initialKey.id });

    const ran = await environment.scheduler.runDue(afterGrace());

    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(await keyWorks(environment, handWritten.initialKey.key)).toBe(false);
    await expectRotated(environment, handWritten, versionId);
  });

  it('refuses a revoke event for the current key', async () => {
    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);
    const current = JSON.parse(
      String(
        environment.secretsManager.versions(seeded.arn).find((version) => version.versionId === versionId)
          ?.value,
      ),
    ) as { apiKey: string; apiKeyId: string };

    const invocation = await environment.invoke({
      Action: 'revokeReplacedKey',
      SecretId: seeded.arn,
      VersionId: versionId,
      ApiKeyId: current.apiKeyId,
    });

    expect(invocation.ok).toBe(false);
    expect(invocation.error?.errorMessage).toMatch(/Refusing to revoke key .* not a replaced version/);
    expect(await keyWorks(environment, current.apiKey)).toBe(true);
    expect(environment.factify.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
  });

  it('revokes at once in an emergency rotation started from the console, whatever the grace', async () => {
    const started = await environment.invoke({ SecretId: seeded.arn, RevokeImmediately: true });
    const outcomes = await retryUntilRotated(environment, seeded.arn, 0);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, (started.result as { VersionId: string }).VersionId);
  });

  it('rotates again while the previous key awaits its revocation, within the 5-key limit', async () => {
    // A second application's key: with the secret's three (in grace, current, new) the organization is full.
    environment.factify.seedKey(seeded.orgId, {
      name: 'app-2',
      createdAt: new Date(Date.now() - 3_600_000),
    });
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);
    const firstKeyId = JSON.parse(
      String(
        environment.secretsManager.versions(seeded.arn).find((v) => v.stages.includes('AWSCURRENT'))?.value,
      ),
    ).apiKeyId as string;

    await rotateSecret(environment, seeded.arn);
    const [second] = await retryUntilRotated(environment, seeded.arn, 0);

    expect(second?.status).toBe('succeeded');
    expect(environment.scheduler.schedules()).toHaveLength(2);
    const ran = await environment.scheduler.runDue(afterGrace());
    expect(ran.map((run) => run.result)).toEqual(['succeeded', 'succeeded']);
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(1);
    expect(environment.factify.revocations(firstKeyId)).toBe(1);
    expect(environment.factify.keys(seeded.orgId).filter((key) => key.is_active)).toHaveLength(3);
  });
});
