import { randomUUID } from 'node:crypto';
import { DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { CancelRotateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { FUNCTION_ARN, retryUntilRotated } from '../support/rotation-environment.js';
import {
  expectNoSecretsPrinted,
  revokeInDashboard,
  rotateSecret,
  type SeededSecret,
  seedSecret,
} from '../support/seeded-secret.js';

const DAY_MS = 86_400_000;
const GRACE_SECONDS = 3600;

interface AuditedSecret {
  secretId: string;
  verdict?: string;
  findings?: { code: string }[];
  rotation?: { daysSinceRotation: number | null };
  error?: { name: string; code: string };
}

/** Every EMF document the function printed, by secret name. */
function metricsBySecret(output: string): Map<string, Record<string, unknown>> {
  const bySecret = new Map<string, Record<string, unknown>>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{"_aws"')) continue;
    const document = JSON.parse(line) as Record<string, unknown>;
    bySecret.set(String(document.SecretName), document);
  }
  return bySecret;
}

describe('the daily audit, run by the built function against the emulators', () => {
  const { environment } = useRotationEnvironment({
    env: {
      REVOKE_GRACE_SECONDS: String(GRACE_SECONDS),
      REVOKE_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/factify-revoke-scheduler',
    },
  });

  it('reports each state of a secret correctly, publishes its metrics, and only reads', async () => {
    const { secretsManager, factify } = environment;
    const sm = secretsManager.client();
    const seeded: Record<string, SeededSecret> = {};
    for (const name of [
      'healthy',
      'overdue',
      'disabled',
      'revoked',
      'stuck',
      'orphans',
      'crowded',
      'replaced-not-revoked',
    ]) {
      seeded[name] = seedSecret(environment, { name });
    }
    const the = (name: string) => seeded[name] as SeededSecret;

    // Rotated 40 days ago on a 30-day schedule.
    secretsManager.backdateVersion(
      the('overdue').arn,
      the('overdue').initialVersionId,
      new Date(Date.now() - 40 * DAY_MS),
    );
    // Rotation turned off by hand.
    await sm.send(new CancelRotateSecretCommand({ SecretId: the('disabled').arn }));
    // Someone revoked the current key in the Factify dashboard.
    await revokeInDashboard(environment, the('revoked').initialKey.id, the('revoked').otherAppKey.key);
    // AWSPENDING left for an hour on a version of its own.
    const strayVersion = randomUUID();
    // Keys made minutes after the hand-written first value show their own prefix: were they made within the
    // same half minute, no evidence would tell the current key from them (see ownership.ts).
    const later = new Date(Date.now() - 5 * 60_000);
    const stray = factify.seedKey(the('stuck').orgId, {
      name: keyNameFor(the('stuck').arn, strayVersion),
      createdAt: later,
    });
    await sm.send(
      new PutSecretValueCommand({
        SecretId: the('stuck').arn,
        ClientRequestToken: strayVersion,
        SecretString: JSON.stringify({ apiKey: stray.key, apiKeyId: stray.id, team: 'payments' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    secretsManager.backdateVersion(the('stuck').arn, strayVersion, new Date(Date.now() - 3_600_000));
    // A key a failed rotation of this secret created and never stored.
    const orphan = factify.seedKey(the('orphans').orgId, {
      name: keyNameFor(the('orphans').arn, randomUUID()),
      createdAt: later,
    });
    // Two more applications' keys: 4 of Factify's 5.
    for (const app of ['search', 'reports'])
      factify.seedKey(the('crowded').orgId, { name: app, createdAt: later });
    // Rotated with a grace period whose revocation was lost: the schedule is gone, the old key still active.
    await rotateSecret(environment, the('replaced-not-revoked').arn);
    expect((await retryUntilRotated(environment, the('replaced-not-revoked').arn, 0)).at(-1)?.status).toBe(
      'succeeded',
    );
    const [schedule] = environment.scheduler.schedules();
    await environment.scheduler.client().send(new DeleteScheduleCommand({ Name: schedule?.name }));

    secretsManager.resetCalls();
    factify.resetRequests();
    environment.scheduler.resetCalls();
    const ids = Object.values(seeded).map((secret) => secret.arn);
    const invocation = await environment.invoke({
      Action: 'audit',
      SecretIds: [...ids, 'prod/no-such-secret'],
    });

    expect(invocation.ok).toBe(true);
    const report = invocation.result as { secrets: AuditedSecret[]; summary: Record<string, number> };
    const audited = (name: string) => report.secrets.find((secret) => secret.secretId === the(name).arn);
    const codes = (name: string) => audited(name)?.findings?.map((finding) => finding.code);
    expect(report.summary).toEqual({ audited: 9, healthy: 1, withFindings: 7, notChecked: 1 });

    expect(audited('healthy')).toMatchObject({ verdict: 'healthy', findings: [] });
    expect(audited('overdue')).toMatchObject({
      verdict: 'rotation-overdue',
      rotation: { daysSinceRotation: 40 },
    });
    expect(codes('overdue')).toEqual(['rotation-overdue']);
    expect(audited('disabled')?.verdict).toBe('rotation-disabled');
    expect(codes('disabled')).toEqual(['rotation-disabled']);
    expect(audited('revoked')?.verdict).toBe('current-key-not-active');
    expect(codes('revoked')).toEqual(['current-key-not-active', 'factify-unchecked']);
    expect(audited('stuck')?.verdict).toBe('stuck');
    expect(codes('stuck')).toEqual(['rotation-stuck']);
    expect(audited('orphans')).toMatchObject({ verdict: 'orphans-present', orphanedKeys: 1 });
    expect(codes('orphans')).toEqual(['orphaned-keys']);
    expect(audited('crowded')?.verdict).toBe('healthy');
    expect(codes('crowded')).toEqual(['active-keys-near-limit']);
    expect(audited('replaced-not-revoked')).toMatchObject({
      verdict: 'orphans-present',
      replacedKeysNotRevoked: 1,
    });
    // An invoker of the audit learns verdicts, counts and dates: no key id, no version id.
    const returned = JSON.stringify(report);
    const privateIds = Object.values(seeded).flatMap((secret) => [
      secret.initialKey.id,
      secret.otherAppKey.id,
      secret.initialVersionId,
    ]);
    expect(privateIds.filter((id) => returned.includes(id))).toEqual([]);
    expect(returned).not.toContain(orphan.id);
    expect(codes('replaced-not-revoked')).toEqual(['replaced-key-not-revoked']);
    expect(report.secrets.at(-1)).toMatchObject({
      secretId: 'prod/no-such-secret',
      error: { name: 'ResourceNotFoundException', code: 'UNEXPECTED_ERROR' },
    });

    // One log line per finding, with the secret and the finding's code.
    const lines = invocation.output
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const findingLines = lines.filter((line) => line.message === 'Audit finding');
    expect(findingLines).toHaveLength(
      report.secrets.reduce((sum, secret) => sum + (secret.findings?.length ?? 0), 0),
    );
    expect(findingLines).toContainEqual(
      expect.objectContaining({ level: 'WARN', secretName: 'stuck', finding: 'rotation-stuck' }),
    );

    const metrics = metricsBySecret(invocation.output);
    const published = (name: string, metric: string) => metrics.get(name)?.[metric];
    expect(metrics.get('healthy')).toMatchObject({
      DaysSinceRotation: 0,
      RotationOverdue: 0,
      RotationStuck: 0,
      CurrentKeyNotActive: 0,
      OrphanedKeys: 0,
      ActiveKeys: 2,
    });
    expect(published('overdue', 'RotationOverdue')).toBe(1);
    expect(published('overdue', 'DaysSinceRotation')).toBe(40);
    expect(published('disabled', 'RotationOverdue')).toBe(1);
    expect(published('revoked', 'CurrentKeyNotActive')).toBe(1);
    expect(published('stuck', 'RotationStuck')).toBe(1);
    expect(published('orphans', 'OrphanedKeys')).toBe(1);
    expect(published('crowded', 'ActiveKeys')).toBe(4);
    expect(published('replaced-not-revoked', 'ReplacedKeysNotRevoked')).toBe(1);
    expect(metrics.has('prod/no-such-secret')).toBe(false);

    // An audit reads: nothing written to Secrets Manager, Factify or the scheduler.
    expect(new Set(secretsManager.calls.map((call) => call.operation))).toEqual(
      new Set(['DescribeSecret', 'ListSecretVersionIds', 'GetSecretValue']),
    );
    expect(new Set(factify.requests.map((entry) => entry.method))).toEqual(new Set(['GET']));
    // The replaced key's schedule was looked up, under today's name and an earlier release's, and found gone.
    expect(environment.scheduler.calls.map((call) => call.operation)).toEqual(['GetSchedule', 'GetSchedule']);
    expectNoSecretsPrinted(
      environment,
      Object.values(seeded).flatMap((secret) => [secret.initialKey.key, secret.otherAppKey.key]),
    );
  });
});

describe('the audit of every secret this function rotates, by the built function', () => {
  const { environment } = useRotationEnvironment();

  it('with no SecretIds, covers exactly the secrets whose rotation function is this one', async () => {
    const { secretsManager, factify } = environment;
    // More than one ListSecrets page of secrets, some on a qualified ARN of this function.
    const ours = Array.from({ length: 104 }, (_, i) => seedSecret(environment, { name: `fleet/${i}` }).arn);
    for (const qualifier of [':$LATEST', ':live']) {
      const key = factify.seedKey(factify.createOrganization('Qualified').id, { name: 'Production' });
      ours.push(
        secretsManager.createSecretDirect(
          `fleet/qualified${qualifier.replace(/[:$]/g, '-')}`,
          JSON.stringify({ apiKey: key.key, apiKeyId: key.id }),
          {
            rotation: {
              lambdaArn: `${FUNCTION_ARN}${qualifier}`,
              rules: { ScheduleExpression: 'rate(30 days)' },
            },
          },
        ).arn,
      );
    }
    // Another rotation function's secrets, and secrets nobody rotates: not this audit's.
    const others = [
      secretsManager.createSecretDirect('other/rotated', '{"apiKey": "ffy_test_other"}', {
        rotation: { lambdaArn: `${FUNCTION_ARN}-staging`, rules: { ScheduleExpression: 'rate(30 days)' } },
      }).arn,
      secretsManager.createSecretDirect('other/plain', '{"password": "hunter2"}').arn,
    ];

    secretsManager.resetCalls();
    const invocation = await environment.invoke({ Action: 'audit' });

    expect(invocation.ok).toBe(true);
    const report = invocation.result as { secrets: AuditedSecret[]; summary: Record<string, number> };
    expect(report.secrets.map((secret) => secret.secretId).sort()).toEqual([...ours].sort());
    expect(report.summary).toMatchObject({ audited: ours.length, notChecked: 0 });
    const read = new Set(secretsManager.calls.map((call) => call.secretId));
    for (const other of others) expect(read.has(other)).toBe(false);
    expect(secretsManager.calls.filter((call) => call.operation === 'ListSecrets')).toHaveLength(2);
    // ListSecrets described each secret already.
    expect(secretsManager.calls.filter((call) => call.operation === 'DescribeSecret')).toEqual([]);

    const fleet = invocation.output
      .split('\n')
      .filter((line) => line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((document) => 'SecretsAudited' in document);
    expect(fleet).toMatchObject({ SecretsAudited: ours.length, SecretsNotChecked: 0 });
    expect(fleet?._aws).toMatchObject({ CloudWatchMetrics: [{ Dimensions: [[]] }] });
  });
});

describe('metrics of a rotation, from the built function', () => {
  const { environment } = useRotationEnvironment();

  it('publishes every step, the completed rotation, and the Factify 429 it waited out', async () => {
    const seeded = seedSecret(environment, { name: 'prod/factify' });
    environment.factify.inject({ method: 'POST', path: '/v1/api-keys', kind: 'status', status: 429 });

    await rotateSecret(environment, seeded.arn);
    expect((await retryUntilRotated(environment, seeded.arn, 0)).at(-1)?.status).toBe('succeeded');

    const documents = environment
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const perSecret = documents.filter((document) => !('Step' in document));
    const perStep = documents.filter((document) => 'Step' in document);
    expect(perSecret.map((document) => document.SecretName)).toEqual(Array(4).fill('prod/factify'));
    expect(perStep.map((document) => [document.Step, document.StepSucceeded, document.StepFailed])).toEqual([
      ['createSecret', 1, 0],
      ['setSecret', 1, 0],
      ['testSecret', 1, 0],
      ['finishSecret', 1, 0],
    ]);
    expect(perSecret[0]).toMatchObject({ FactifyThrottles: 1, FactifyRetries: 1 });
    expect(perSecret[3]).toMatchObject({ RotationsCompleted: 1 });
    for (const document of documents) {
      expect(document._aws).toMatchObject({
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [{ Namespace: 'FactifyKeyRotation' }],
      });
    }
  });
});
