import { describe, expect, it } from 'vitest';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { retryUntilRotated, SCHEDULE_GROUP_ENV } from '../support/rotation-environment.js';
import { expectRotated, keyWorks, rotateSecret } from '../support/seeded-secret.js';

const GRACE_SECONDS = 3600;
const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';
const GROUP = SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_GROUP;
const DLQ_ARN = SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_DLQ_ARN;

const afterGrace = () => new Date(Date.now() + (GRACE_SECONDS + 60) * 1000);

describe("revocation schedules in the construct's own schedule group", () => {
  const { environment, seeded } = useSeededEnvironment({
    env: { REVOKE_GRACE_SECONDS: String(GRACE_SECONDS), REVOKE_SCHEDULER_ROLE_ARN: SCHEDULER_ROLE_ARN },
  });

  const useGroup = () => {
    environment.env.REVOKE_SCHEDULE_GROUP = GROUP;
    environment.env.REVOKE_SCHEDULE_DLQ_ARN = DLQ_ARN;
  };

  it('creates the schedule in the group with the dead-letter queue, and revokes when it fires', async () => {
    useGroup();
    const versionId = await rotateSecret(environment, seeded.arn);
    expect((await retryUntilRotated(environment, seeded.arn, 0)).at(-1)?.status).toBe('succeeded');

    expect(environment.scheduler.schedules()).toEqual([
      expect.objectContaining({
        groupName: GROUP,
        actionAfterCompletion: 'DELETE',
        target: expect.objectContaining({ RoleArn: SCHEDULER_ROLE_ARN, DeadLetterConfig: { Arn: DLQ_ARN } }),
      }),
    ]);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);

    const ran = await environment.scheduler.runDue(afterGrace());

    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, versionId);
  });

  it("still finds and honours a schedule an earlier version made in the account's default group", async () => {
    const versionId = await rotateSecret(environment, seeded.arn);
    expect((await retryUntilRotated(environment, seeded.arn, 0)).at(-1)?.status).toBe('succeeded');
    expect(environment.scheduler.schedules().map((schedule) => schedule.groupName)).toEqual(['default']);
    // The function is updated to the version with a group of its own.
    useGroup();

    const audit = await environment.invoke({ Action: 'audit', SecretIds: [seeded.arn] });

    expect(audit.ok).toBe(true);
    const [report] = (audit.result as { secrets: Record<string, unknown>[] }).secrets;
    // The audit reports counts and times, no key id (issue 16).
    expect(report).toMatchObject({
      replacedKeysNotRevoked: 0,
      scheduledRevocations: [{ revokeAt: expect.any(String) }],
    });
    const ran = await environment.scheduler.runDue(afterGrace());
    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(environment.scheduler.schedules()).toEqual([]);
    await expectRotated(environment, seeded, versionId);
  });

  it('refuses the revocation event sent before a pending schedule of the default group, then runs it on time', async () => {
    await rotateSecret(environment, seeded.arn);
    expect((await retryUntilRotated(environment, seeded.arn, 0)).at(-1)?.status).toBe('succeeded');
    const [legacy] = environment.scheduler.schedules();
    useGroup();

    // The same event, sent early by anyone who may invoke the function, would end the grace period: refused.
    const early = await environment.invoke(JSON.parse(String(legacy?.target.Input)));

    expect(early.ok).toBe(false);
    expect(early.error?.errorMessage).toMatch(/not before/);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    expect(environment.scheduler.schedules()).toHaveLength(1);
    const ran = await environment.scheduler.runDue(afterGrace());
    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(false);
    expect(environment.scheduler.schedules()).toEqual([]);
  });
});
