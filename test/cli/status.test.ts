import { randomUUID } from 'node:crypto';
import { CancelRotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { FUNCTION_ARN, retryUntilRotated } from '../support/rotation-environment.js';
import { rotateSecret, seedSecret } from '../support/seeded-secret.js';
import {
  AN_HOUR_AGO,
  failRevokeInFinishSecret,
  failRotationInCreateSecret,
  failRotationInTestSecret,
  revokeAtFactify,
  seedOrphan,
  stageOtherAppKeyAsPending,
  useCliHarness,
  withGracePeriod,
} from './harness.js';

describe('factify-rotation status', () => {
  const harness = useCliHarness();

  it('calls a freshly rotated secret healthy (exit 0), with each version, its key and its state', async () => {
    const { environment, seeded } = harness;
    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const { code, stdout, stderr } = await harness.run(['status', 'prod/factify']);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/Rotation +enabled, rate\(30 days\)/);
    expect(stdout).toContain('function arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation');
    expect(stdout).toMatch(new RegExp(`${versionId} +AWSCURRENT .* key_\\w+ +active`));
    expect(stdout).toMatch(
      new RegExp(`${seeded.initialVersionId} +AWSPREVIOUS .* ${seeded.initialKey.id} +revoked`),
    );
    expect(stdout).toMatch(/Verdict +healthy/);
  });

  it('shows a hand-written current key by its apiKeyId when another key shares its prefix', async () => {
    const { environment, seeded } = harness;
    // Made in the same seconds as the secret's key: the rotation would stop with KEY_NOT_RESOLVED.
    environment.factify.seedKey(seeded.orgId, { name: 'made-alongside' });

    const { code, stdout } = await harness.run(['status', 'prod/factify']);

    expect(stdout).toMatch(
      new RegExp(`${seeded.initialVersionId} +AWSCURRENT .* ${seeded.initialKey.id} +active`),
    );
    expect(code).toBe(0);
  });

  it('prints the report as JSON with --json, for scripts', async () => {
    const { seeded } = harness;

    const { code, stdout } = await harness.run(['status', seeded.arn, '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      schemaVersion: 1,
      command: 'status',
      secret: { arn: seeded.arn, name: 'prod/factify' },
      region: 'us-east-1',
      rotation: {
        enabled: true,
        function: 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation',
        schedule: 'rate(30 days)',
        window: null,
        lastRotatedDate: null,
        nextRotationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        daysSinceRotation: 0,
        // 30 days, then the rest of the UTC day the rotation is due (a whole day at most), then an hour.
        rotateBy: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      keyManager: { kind: 'self' },
      factify: { organizationId: seeded.orgId, activeKeys: 2, activeKeyLimit: 5, error: null },
      versions: [
        {
          versionId: seeded.initialVersionId,
          stages: ['AWSCURRENT'],
          createdDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          keyId: seeded.initialKey.id,
          keyState: 'active',
          revokedComment: null,
          createdByThisSecret: false,
        },
      ],
      pending: null,
      orphans: [],
      awaitingRevocation: [],
      scheduledRevocations: [],
      verdict: 'healthy',
      findings: [],
      explanation: expect.any(String),
      nextSteps: [],
    });
    const report = JSON.parse(stdout);
    const created = Date.parse(report.versions[0].createdDate);
    expect(Date.parse(report.rotation.rotateBy) - created).toBe((30 + 1) * 86_400_000 + 3_600_000);
  });

  it('reports a rotation pending for less than 15 minutes as in progress (exit 3)', async () => {
    const versionId = await failRotationInCreateSecret(harness);

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(3);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      verdict: 'rotation-in-progress',
      pending: { versionId, hasValue: false },
      factify: { activeKeys: 5 },
    });
    expect(
      report.versions.find((version: { versionId: string }) => version.versionId === versionId),
    ).toMatchObject({ stages: ['AWSPENDING'], keyState: 'no-value' });
  });

  it('reports a rotation pending for longer as stuck (exit 5), with the log command and recover', async () => {
    const versionId = await failRotationInTestSecret(harness);
    // 59.5 minutes old: the CLI rounds the age up to whole minutes, so it reads 60 (and suggests 65 minutes of
    // log) however long, up to 30 s, its process takes to start on a loaded machine. A full hour went to 61.
    harness.environment.secretsManager.backdateVersion(
      harness.seeded.arn,
      versionId,
      new Date(AN_HOUR_AGO().getTime() + 30_000),
    );

    const { code, stdout } = await harness.run(['status', 'prod/factify']);

    expect(code).toBe(5);
    expect(stdout).toMatch(/Verdict +stuck/);
    expect(stdout).toMatch(new RegExp(`${versionId} +AWSPENDING .* key_\\w+ +active`));
    expect(stdout).toContain(
      `aws logs tail "$(aws lambda get-function-configuration --function-name factify-key-rotation --region us-east-1 --query LoggingConfig.LogGroup --output text)" --region us-east-1 --since 65m --filter-pattern '{ $.versionId = "${versionId}" }'`,
    );
    expect(stdout).toContain('npx factify-rotation recover prod/factify');
  });

  it('reports keys made by this secret that no version holds as orphans (exit 4)', async () => {
    const orphan = seedOrphan(harness);

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(4);
    const report = JSON.parse(stdout);
    expect(report.verdict).toBe('orphans-present');
    expect(report.orphans).toEqual([
      { keyId: orphan, name: expect.stringMatching(/^fkr-[0-9a-f]{10}-/), createdAt: expect.any(String) },
    ]);
    // Another application's key is never an orphan of this secret.
    expect(JSON.stringify(report.orphans)).not.toContain(harness.seeded.otherAppKey.id);
  });

  it('reports a replaced key that finishSecret could not revoke as awaiting revocation (exit 4)', async () => {
    const { seeded } = harness;
    await failRevokeInFinishSecret(harness);

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(4);
    expect(JSON.parse(stdout)).toMatchObject({
      verdict: 'orphans-present',
      orphans: [],
      awaitingRevocation: [{ keyId: seeded.initialKey.id, versionId: seeded.initialVersionId }],
    });
  });

  it('calls a replaced key in its grace period healthy, showing when its schedule revokes it', async () => {
    const { environment, seeded } = harness;
    withGracePeriod(harness);
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      verdict: 'healthy',
      awaitingRevocation: [],
      scheduledRevocations: [
        { keyId: seeded.initialKey.id, versionId: seeded.initialVersionId, revokeAt: expect.any(String) },
      ],
    });
    const revokeAt = Date.parse(report.scheduledRevocations[0].revokeAt);
    expect(revokeAt).toBeGreaterThan(Date.now() + 3_000_000);
  });

  it('shows why a replaced key was revoked', async () => {
    const { environment, seeded } = harness;
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const { stdout } = await harness.run(['status', 'prod/factify']);

    expect(stdout).toMatch(new RegExp(`${seeded.initialKey.id} +revoked \\("rotated"\\)`));
  });

  it('reports a revoked current key as not active (exit 6), with self-rotation', async () => {
    const { seeded } = harness;
    await revokeAtFactify(harness, seeded.initialKey.id, seeded.otherAppKey.key);

    const { code, stdout } = await harness.run(['status', 'prod/factify']);

    expect(code).toBe(6);
    expect(stdout).toMatch(/Verdict +current-key-not-active/);
    expect(stdout).toMatch(new RegExp(`${seeded.initialKey.id} +rejected`));
    expect(stdout).toContain('aws secretsmanager put-secret-value');
  });

  it('reports a revoked current key as not active (exit 6), with an admin key', async () => {
    const seeded = seedSecret(harness.environment, { name: 'prod/factify-admin', admin: true });
    await revokeAtFactify(harness, seeded.initialKey.id, String(seeded.adminKey?.key));

    const { code, stdout } = await harness.run(['status', seeded.arn, '--json'], {
      FACTIFY_ADMIN_SECRET_ID: String(seeded.adminSecretArn),
    });

    expect(code).toBe(6);
    expect(JSON.parse(stdout)).toMatchObject({
      keyManager: { kind: 'admin', secretId: seeded.adminSecretArn },
      verdict: 'current-key-not-active',
      versions: [{ keyId: seeded.initialKey.id, keyState: 'revoked' }],
    });
  });

  it('reports a current version older than its schedule allows as overdue (exit 7)', async () => {
    const { environment, seeded } = harness;
    environment.secretsManager.backdateVersion(
      seeded.arn,
      seeded.initialVersionId,
      new Date(Date.now() - 32 * 86_400_000),
    );

    const { code, stdout } = await harness.run(['status', 'prod/factify']);

    expect(code).toBe(7);
    expect(stdout).toMatch(/current version 32 days old, to be replaced by/);
    expect(stdout).toMatch(/rotation-overdue: The AWSCURRENT version is 32 days old; by rate\(30 days\)/);
    expect(stdout).toMatch(/Verdict +rotation-overdue/);
    expect(stdout).toContain('npx factify-rotation rotate prod/factify --wait');
  });

  it('reports rotation turned off as disabled (exit 7), however young the key', async () => {
    const { environment, seeded } = harness;
    await environment.secretsManager.client().send(new CancelRotateSecretCommand({ SecretId: seeded.arn }));

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(7);
    expect(JSON.parse(stdout)).toMatchObject({
      rotation: { enabled: false },
      verdict: 'rotation-disabled',
      findings: [{ code: 'rotation-disabled' }],
      nextSteps: [expect.stringContaining('npx cdk deploy'), 'npx factify-rotation status prod/factify'],
    });
  });

  it('says Factify could not be checked (exit 1) when the managing key may not list keys', async () => {
    const { environment, seeded } = harness;
    environment.factify.setKeyAdmin(seeded.initialKey.id, false);

    const { code, stdout } = await harness.run(['status', 'prod/factify', '--json']);

    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.verdict).toBe('unknown');
    expect(report.factify.error).toMatch(/lacks the organization admin role/);
    expect(report.versions[0].keyState).toBe('unchecked');
  });
});

describe('factify-rotation status with several secrets', () => {
  const harness = useCliHarness();

  it('reports each secret with the same verdicts, and exits with the most urgent code', async () => {
    const { environment } = harness;
    const stuck = seedSecret(environment, { name: 'prod/stuck-one' });
    const orphanOwner = seedSecret(environment, { name: 'prod/with-orphan' });
    // Made minutes after the first value, so it shows its own prefix (see seedOrphan).
    environment.factify.seedKey(orphanOwner.orgId, {
      name: keyNameFor(orphanOwner.arn, randomUUID()),
      admin: false,
      createdAt: new Date(Date.now() - 5 * 60_000),
    });
    const stray = await stageOtherAppKeyAsPending(harness, stuck);
    environment.secretsManager.backdateVersion(stuck.arn, stray, AN_HOUR_AGO());

    const text = await harness.run([
      'status',
      'prod/factify',
      'prod/with-orphan',
      'prod/stuck-one',
      'prod/none',
    ]);
    const json = await harness.run([
      'status',
      'prod/factify',
      'prod/with-orphan',
      'prod/stuck-one',
      'prod/none',
      '--json',
    ]);

    // The most urgent of healthy (0), orphans (4), stuck (5) and one that cannot be checked (1): stuck.
    expect(text.code).toBe(5);
    expect(json.code).toBe(5);
    expect(text.stdout).toMatch(/Summary\n +SECRET +VERDICT +FINDINGS\n/);
    expect(text.stdout).toMatch(/prod\/factify +healthy +-/);
    expect(text.stdout).toMatch(/prod\/with-orphan +orphans-present +orphaned-keys/);
    expect(text.stdout).toMatch(/prod\/stuck-one +stuck +rotation-stuck/);
    expect(text.stdout).toMatch(/prod\/none +not checked +Secret prod\/none was not found/);
    const report = JSON.parse(json.stdout);
    expect(report.verdict).toBe('stuck');
    expect(
      report.secrets.map((secret: { verdict?: string; error?: string }) => secret.verdict ?? 'error'),
    ).toEqual(['healthy', 'orphans-present', 'stuck', 'error']);
    // The verdict for each is the one status gives the secret alone.
    for (const [name, code] of [
      ['prod/with-orphan', 4],
      ['prod/stuck-one', 5],
    ] as const) {
      expect((await harness.run(['status', name])).code).toBe(code);
    }
  });

  it("audits the stack's secrets: every secret whose rotation function is the one named", async () => {
    const { environment } = harness;
    seedSecret(environment, { name: 'prod/second' });
    environment.secretsManager.createSecretDirect('unrelated', JSON.stringify({ apiKey: 'ffy_test_x' }));

    const { code, stdout } = await harness.run(['status', '--function', 'factify-key-rotation', '--json']);

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.secrets.map((secret: { secret: { name: string } }) => secret.secret.name).sort()).toEqual([
      'prod/factify',
      'prod/second',
    ]);
    expect((await harness.run(['status', '--function', 'other-function'])).stderr).toMatch(
      /No secret in region us-east-1 has other-function as its rotation function/,
    );
  });

  it("status --all gives the fleet table of every secret the function rotates: the audit's counts, then a line each", async () => {
    const { environment } = harness;
    const second = seedSecret(environment, { name: 'prod/second' });
    // Made minutes after the first value, so it shows its own prefix (see seedOrphan).
    environment.factify.seedKey(second.orgId, {
      name: keyNameFor(second.arn, randomUUID()),
      createdAt: new Date(Date.now() - 5 * 60_000),
    });
    environment.secretsManager.createSecretDirect('unrelated', JSON.stringify({ apiKey: 'ffy_test_x' }), {
      rotation: {
        lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:another-function',
        rules: { ScheduleExpression: 'rate(30 days)' },
      },
    });

    const text = await harness.run(['status', '--all', 'factify-key-rotation']);
    const json = await harness.run(['status', '--all', '--function', FUNCTION_ARN, '--json']);

    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/Fleet of factify-key-rotation\n +METRIC +COUNT +MEANING\n/);
    expect(text.stdout).toMatch(/SecretsAudited +2 /);
    expect(text.stdout).toMatch(/OrphanedKeys +1 /);
    expect(text.stdout).toMatch(/SecretsNotChecked +0 /);
    expect(text.stdout).toMatch(/prod\/factify +healthy +-/);
    expect(text.stdout).toMatch(/prod\/second +orphans-present +orphaned-keys/);
    expect(text.stdout).not.toContain('unrelated');
    const report = JSON.parse(json.stdout);
    expect(json.code).toBe(4);
    expect(report.fleet).toEqual({
      SecretsAudited: 2,
      SecretsOverdue: 0,
      SecretsStuck: 0,
      SecretsCurrentKeyNotActive: 0,
      SecretsReplacedKeyNotRevoked: 0,
      SecretsNearKeyLimit: 0,
      OrphanedKeys: 1,
      SecretsNotChecked: 0,
    });
    expect(report.secrets).toHaveLength(2);
  });
});
