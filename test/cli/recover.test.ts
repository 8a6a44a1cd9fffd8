import { CancelRotateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, keyWorks, rotateSecret } from '../support/seeded-secret.js';
import {
  AN_HOUR_AGO,
  failRevokeInFinishSecret,
  failRotationInCreateSecret,
  failRotationInTestSecret,
  seedOrphan,
  stageOtherAppKeyAsPending,
  useCliHarness,
  withGracePeriod,
} from './harness.js';

const WRITES = ['UpdateSecretVersionStage', 'PutSecretValue', 'RotateSecret'];

describe('factify-rotation recover', () => {
  const harness = useCliHarness();

  function pendingKeyId(versionId: string): string {
    const version = harness.environment.secretsManager
      .versions(harness.seeded.arn)
      .find((candidate) => candidate.versionId === versionId);
    return JSON.parse(String(version?.value)).apiKeyId;
  }

  it('clears a stuck rotation: AWSPENDING off the stray version, its key revoked, then rotations work again', async () => {
    const { environment, seeded } = harness;
    const stuck = await failRotationInTestSecret(harness);
    environment.secretsManager.backdateVersion(seeded.arn, stuck, AN_HOUR_AGO());
    const strayKey = pendingKeyId(stuck);

    const { code, stdout } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(stdout).toContain(`remove AWSPENDING from version ${stuck}`);
    expect(stdout).toContain(
      `revoke ${strayKey}: the key of that version, created by this secret's rotation`,
    );
    expect(stdout).toContain('Status: healthy');
    expect(harness.versionsWith('AWSPENDING')).toEqual([]);
    expect(harness.versionsWith('AWSCURRENT')).toEqual([seeded.initialVersionId]);
    const keys = environment.factify.keys(seeded.orgId, { includeRevoked: true });
    expect(keys.find((key) => key.id === strayKey)).toMatchObject({
      is_active: false,
      revoked_comment: 'rotation-abandoned: stuck rotation cleared by factify-rotation recover',
    });
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    expect(environment.factify.deleteCalls(seeded.otherAppKey.id)).toBe(0);

    const next = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);
    await expectRotated(environment, seeded, next);
  });

  it("takes AWSPENDING off a stray version holding another application's key, and leaves that key alone", async () => {
    const { environment, seeded } = harness;
    const stray = await stageOtherAppKeyAsPending(harness);
    environment.secretsManager.backdateVersion(seeded.arn, stray, AN_HOUR_AGO());

    const { code, stdout } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(stdout).toContain(`${seeded.otherAppKey.id}, which no rotation of this secret created`);
    expect(stdout).not.toContain(`revoke ${seeded.otherAppKey.id}`);
    expect(harness.versionsWith('AWSPENDING')).toEqual([]);
    expect(environment.factify.deleteCalls(seeded.otherAppKey.id)).toBe(0);
    expect(await keyWorks(environment, seeded.otherAppKey.key)).toBe(true);
  });

  it('revokes orphans of this secret with reason rotation-orphan, and nothing else', async () => {
    const { environment, seeded } = harness;
    const orphan = seedOrphan(harness);

    const { code, stdout } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(stdout).toContain(`Revoked ${orphan}.`);
    const revoked = environment.factify
      .keys(seeded.orgId, { includeRevoked: true })
      .filter((key) => !key.is_active);
    expect(revoked.map((key) => [key.id, key.revoked_comment])).toEqual([
      [orphan, 'rotation-orphan: created by a failed rotation attempt, never stored'],
    ]);
  });

  it('revokes a replaced key that finishSecret left active, with reason rotated', async () => {
    const { environment, seeded } = harness;
    await failRevokeInFinishSecret(harness);

    const { code, stdout } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(stdout).toContain(`revoke ${seeded.initialKey.id}: the replaced key in AWSPREVIOUS`);
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(1);
    const replaced = environment.factify
      .keys(seeded.orgId, { includeRevoked: true })
      .find((key) => key.id === seeded.initialKey.id);
    expect(replaced?.revoked_comment).toBe('rotated');
  });

  it('does not revoke the key a change by hand replaced: only a rotation replaces keys it may revoke', async () => {
    const { environment, seeded } = harness;
    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);
    const rotated = pendingKeyId(versionId);
    // Someone puts another key in by hand (put-secret-value): the rotation's key moves to AWSPREVIOUS.
    const handPut = environment.factify.seedKey(seeded.orgId, {
      name: 'Production (by hand)',
      createdAt: new Date(Date.now() - 40 * 60_000),
    });
    await environment.secretsManager.client().send(
      new PutSecretValueCommand({
        SecretId: seeded.arn,
        SecretString: JSON.stringify({ apiKey: handPut.key, apiKeyId: handPut.id, team: 'payments' }),
      }),
    );

    const { stdout } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(stdout).not.toContain(`revoke ${rotated}`);
    expect(environment.factify.deleteCalls(rotated)).toBe(0);
    expect(await keyWorks(environment, handPut.key)).toBe(true);
  });

  it('refuses without --yes when it cannot ask (stdin is not a terminal), and changes nothing', async () => {
    const { environment, seeded } = harness;
    const stuck = await failRotationInTestSecret(harness);
    environment.secretsManager.backdateVersion(seeded.arn, stuck, AN_HOUR_AGO());
    environment.secretsManager.resetCalls();
    environment.factify.resetRequests();

    const { code, stdout, stderr } = await harness.run(['recover', 'prod/factify']);

    expect(code).toBe(1);
    expect(stdout).toContain(`remove AWSPENDING from version ${stuck}`);
    expect(stderr).toMatch(
      /not running in an interactive terminal\. Nothing was changed\. Re-run with --yes/,
    );
    expect(harness.versionsWith('AWSPENDING')).toEqual([stuck]);
    expect(environment.secretsManager.calls.filter((call) => WRITES.includes(call.operation))).toEqual([]);
    expect(environment.factify.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('leaves a rotation that may still be running alone unless --force (exit 3)', async () => {
    const { environment, seeded } = harness;
    const pending = await failRotationInCreateSecret(harness);

    const refused = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('re-run with --force');
    expect(harness.versionsWith('AWSPENDING')).toEqual([pending]);

    const forced = await harness.run(['recover', 'prod/factify', '--yes', '--force']);

    // The rotation failed on the key limit; with AWSPENDING cleared the secret is healthy again.
    expect(forced.code).toBe(0);
    expect(harness.versionsWith('AWSPENDING')).toEqual([]);
    expect(environment.factify.keys(seeded.orgId).filter((key) => key.is_active)).toHaveLength(5);
  });

  it('leaves a replaced key in its grace period to its schedule', async () => {
    const { environment, seeded } = harness;
    withGracePeriod(harness);
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const { code } = await harness.run(['recover', 'prod/factify', '--yes']);

    expect(code).toBe(0);
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(0);
    expect(environment.scheduler.schedules()).toHaveLength(1);
  });

  it('has nothing to do on a healthy secret (exit 0)', async () => {
    const { code, stdout } = await harness.run(['recover', 'prod/factify']);

    expect(code).toBe(0);
    expect(stdout).toContain('Nothing to recover: prod/factify is healthy.');
    expect(
      harness.environment.secretsManager.calls.filter((call) => WRITES.includes(call.operation)),
    ).toEqual([]);
  });

  it('cannot turn rotation back on, and says so without asking (exit 7)', async () => {
    const { environment, seeded } = harness;
    await environment.secretsManager.client().send(new CancelRotateSecretCommand({ SecretId: seeded.arn }));
    environment.secretsManager.resetCalls();

    const { code, stdout } = await harness.run(['recover', 'prod/factify']);

    expect(code).toBe(7);
    expect(stdout).toContain('recover cannot fix this (rotation-disabled):');
    expect(stdout).toContain('npx cdk deploy');
    expect(environment.secretsManager.calls.filter((call) => WRITES.includes(call.operation))).toEqual([]);
  });
});
