import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { expectRotated } from '../support/seeded-secret.js';
import { AN_HOUR_AGO, failRotationInCreateSecret, useCliHarness } from './harness.js';

describe('factify-rotation rotate', () => {
  const harness = useCliHarness();

  it('with --wait, shows the rotation until it is promoted and finished, then the new state (exit 0)', async () => {
    const { environment, seeded } = harness;

    const { code, stdout, stderr } = await harness.run(['rotate', 'prod/factify', '--wait']);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [versionId] = harness.versionsWith('AWSCURRENT');
    await expectRotated(environment, seeded, String(versionId));
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(
      `Started a rotation of prod/factify: new version ${versionId} is staged AWSPENDING.`,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}createSecret done: AWSPENDING holds the new key key_\w+$/),
    );
    expect(lines).toContain(`  finishSecret: promoted, AWSCURRENT is on ${versionId}`);
    expect(lines).toContain('Rotation finished.');
    expect(stdout).toMatch(new RegExp(`AWSPREVIOUS +${seeded.initialKey.id} +revoked`));
    expect(stdout).toContain('Status: healthy');
  });

  it('without --wait, starts the rotation and leaves it to Secrets Manager', async () => {
    const { environment, seeded } = harness;

    const { code, stdout } = await harness.run(['rotate', seeded.arn]);

    expect(code).toBe(0);
    expect(stdout).toContain('Follow it with: npx factify-rotation status prod/factify');
    const [pending] = harness.versionsWith('AWSPENDING');
    expect(stdout).toContain(`new version ${pending} is staged AWSPENDING`);
    await environment.secretsManager.waitForRotation(seeded.arn, 30_000);
  });

  it('with --wait, says what it can see of a rotation that does not finish, and how to read the log (exit 1)', async () => {
    const { environment, seeded } = harness;
    for (const n of [1, 2, 3])
      environment.factify.seedKey(seeded.orgId, { name: `app-${n}`, createdAt: AN_HOUR_AGO() });

    const { code, stdout } = await harness.run(['rotate', 'prod/factify', '--wait', '--timeout', '10s']);

    expect(code).toBe(1);
    const [versionId] = harness.versionsWith('AWSPENDING');
    expect(stdout).toMatch(/The rotation did not finish within 10 s/);
    expect(stdout).toContain('KEY_LIMIT_REACHED');
    expect(stdout).toContain(`--filter-pattern '{ $.versionId = "${versionId}" }'`);
    expect(stdout).toContain('npx factify-rotation recover prod/factify --force');
    expect(harness.versionsWith('AWSCURRENT')).toEqual([seeded.initialVersionId]);
  });

  it('with --wait, names the Factify error when Factify could not be checked, as status does (exit 1)', async () => {
    const { environment, seeded } = harness;
    // The key may authenticate but not manage keys: createSecret fails, and so does the inspection.
    environment.factify.setKeyAdmin(seeded.initialKey.id, false);

    const { code, stdout } = await harness.run(['rotate', 'prod/factify', '--wait', '--timeout', '10s']);
    const status = JSON.parse((await harness.run(['status', 'prod/factify', '--json'])).stdout);

    expect(code).toBe(1);
    expect(status.factify.error).toMatch(/lacks the organization admin role/);
    expect(stdout.replace(/\s+/g, ' ')).toContain(`Factify could not be checked: ${status.factify.error}`);
    expect(stdout).not.toContain('a rotation is running, or failed moments ago');
  });

  it('with --wait, reports a rotation abandoned by a value written meanwhile (exit 1)', async () => {
    const { environment, seeded } = harness;
    // Keep the rotation from finishing (key limit), then write a value as a person would.
    for (const n of [1, 2, 3])
      environment.factify.seedKey(seeded.orgId, { name: `app-${n}`, createdAt: AN_HOUR_AGO() });
    const running = harness.run(['rotate', 'prod/factify', '--wait']);
    while (harness.versionsWith('AWSPENDING').length === 0) await new Promise((r) => setTimeout(r, 50));
    await environment.secretsManager.waitForRotation(seeded.arn, 30_000);
    await environment.secretsManager.client().send(
      new PutSecretValueCommand({
        SecretId: seeded.arn,
        SecretString: JSON.stringify({ apiKey: seeded.initialKey.key, apiKeyId: seeded.initialKey.id }),
      }),
    );

    const { code, stdout } = await running;

    expect(code).toBe(1);
    expect(stdout).toMatch(/Rotation abandoned: version \S+ lost AWSPENDING without becoming AWSCURRENT/);
  });

  it('refuses to start while another rotation is pending, pointing at status', async () => {
    await failRotationInCreateSecret(harness);
    const [pending] = harness.versionsWith('AWSPENDING');
    harness.environment.secretsManager.resetCalls();

    const { code, stderr } = await harness.run(['rotate', 'prod/factify']);

    expect(code).toBe(1);
    expect(stderr).toContain(`already pending on version ${pending}`);
    expect(stderr).toContain('npx factify-rotation status prod/factify');
    expect(harness.environment.secretsManager.calls.map((call) => call.operation)).not.toContain(
      'RotateSecret',
    );
  });
});
