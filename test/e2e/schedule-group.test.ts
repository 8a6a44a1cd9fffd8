import { randomUUID } from 'node:crypto';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { keyNameFor, secretTag } from '../../lambda/keys/key-naming.js';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import {
  FUNCTION_ARN,
  type RotationEnvironment,
  retryUntilRotated,
  SCHEDULE_GROUP_ENV,
} from '../support/rotation-environment.js';
import { expectNoSecretsPrinted, expectRotated, keyWorks, rotateSecret } from '../support/seeded-secret.js';

const GRACE_SECONDS = 3600;
const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';
const GROUP = SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_GROUP;
const DLQ_ARN = SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_DLQ_ARN;

const afterGrace = () => new Date(Date.now() + (GRACE_SECONDS + 60) * 1000);

/**
 * What a rotation by the release before seals and schedule groups left behind: it made the replacement with
 * the current key, wrote it unsealed as AWSCURRENT (the original value becoming AWSPREVIOUS), and scheduled
 * the original key's revocation in the account's default group, under the name that release gave it.
 */
async function rotatedBeforeSeals(environment: RotationEnvironment) {
  const { factify, secretsManager, scheduler } = environment;
  const orgId = factify.createOrganization('Acme').id;
  // Made by a person a month before the rotation, so each key shows its own prefix.
  const original = factify.seedKey(orgId, {
    name: 'Production',
    createdAt: new Date(Date.now() - 30 * 86_400_000),
  });
  const { arn, versionId: originalVersionId } = secretsManager.createSecretDirect(
    'prod/factify-before-seals',
    JSON.stringify({ apiKey: original.key, apiKeyId: original.id, team: 'payments' }),
    { rotation: { lambdaArn: FUNCTION_ARN, rules: { ScheduleExpression: 'rate(30 days)' } } },
  );
  const token = randomUUID();
  const response = await request(`${factify.url}/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${original.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: keyNameFor(arn, token) }),
  });
  const replacement = (await response.body.json()) as { id: string; key: string; created_at: string };
  await secretsManager.client().send(
    new PutSecretValueCommand({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: JSON.stringify({
        apiKey: replacement.key,
        apiKeyId: replacement.id,
        organizationId: orgId,
        createdAt: replacement.created_at,
        team: 'payments',
      }),
      VersionStages: ['AWSCURRENT'],
    }),
  );
  const at = new Date(Date.now() + GRACE_SECONDS * 1000).toISOString().slice(0, 19);
  await scheduler.client().send(
    new CreateScheduleCommand({
      Name: `fkr-revoke-${secretTag(arn)}-${originalVersionId}`,
      GroupName: 'default',
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: FUNCTION_ARN,
        RoleArn: SCHEDULER_ROLE_ARN,
        Input: JSON.stringify({
          Action: 'revokeReplacedKey',
          SecretId: arn,
          VersionId: originalVersionId,
          ApiKeyId: original.id,
        }),
      },
    }),
  );
  return { arn, orgId, original, replacement };
}

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

  it('honours the revocation a release before seals scheduled in the default group, its values unsealed', async () => {
    const { orgId, original, replacement } = await rotatedBeforeSeals(environment);
    // The function is updated to this version, with a group of its own.
    useGroup();

    const ran = await environment.scheduler.runDue(afterGrace());

    expect(ran.map((run) => run.result)).toEqual(['succeeded']);
    expect(environment.scheduler.schedules()).toEqual([]);
    expect(await keyWorks(environment, original.key)).toBe(false);
    expect(await keyWorks(environment, replacement.key)).toBe(true);
    const revoked = environment.factify
      .keys(orgId, { includeRevoked: true })
      .find((key) => key.id === original.id);
    expect(revoked?.revoked_comment).toBe('rotated');
    expect(environment.factify.revocations(original.id)).toBe(1);
    expectNoSecretsPrinted(environment, [original.key, replacement.key]);
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
