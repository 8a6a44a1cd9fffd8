import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../lambda/adapters/secrets-manager-store.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from '../emulators/secrets-manager.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation';

/** The adapter against the emulator through the real SDK: the operator CLI's reads, and storing a value. */
describe('SecretsManagerStore', () => {
  let sm: SecretsManagerEmulator;
  let store: SecretsManagerStore;
  beforeEach(async () => {
    sm = await startSecretsManagerEmulator();
    store = new SecretsManagerStore(sm.client());
  });
  afterEach(async () => {
    await sm.close();
  });

  it('reads the rotation settings, with AutomaticallyAfterDays shown as a rate', async () => {
    const { arn, versionId } = sm.createSecretDirect('prod/factify', '{}', {
      rotation: { lambdaArn: LAMBDA, rules: { AutomaticallyAfterDays: 7, Duration: '3h' } },
    });

    const details = await store.describeDetails('prod/factify');

    expect(details).toEqual({
      arn,
      name: 'prod/factify',
      rotationEnabled: true,
      versions: { [versionId]: ['AWSCURRENT'] },
      rotation: {
        lambdaArn: LAMBDA,
        schedule: 'rate(7 days)',
        window: '3h',
        nextRotationDate: expect.any(Date),
      },
    });
  });

  it('reports no rotation settings for a secret that never had rotation configured', async () => {
    sm.createSecretDirect('plain', '{}');

    const details = await store.describeDetails('plain');

    expect(details.rotationEnabled).toBe(false);
    expect(details.rotation).toEqual({});
  });

  it('lists the staged versions with their creation dates, not the deprecated ones', async () => {
    const { arn, versionId: first } = sm.createSecretDirect('prod/factify', 'v1');
    const client = sm.client();
    const second = (await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v2' })))
      .VersionId;
    const third = (await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v3' })))
      .VersionId;
    const longAgo = new Date('2026-01-01T00:00:00Z');
    sm.backdateVersion(arn, String(second), longAgo);

    const versions = await store.listVersions(arn);

    expect(versions).toEqual([
      { versionId: second, stages: ['AWSPREVIOUS'], createdDate: longAgo },
      { versionId: third, stages: ['AWSCURRENT'], createdDate: expect.any(Date) },
    ]);
    expect(versions.map((version) => version.versionId)).not.toContain(first);
  });

  it('says so when a concurrent attempt stored another value for the token (ResourceExistsException)', async () => {
    const { arn } = sm.createSecretDirect('prod/factify', '{}');
    const token = randomUUID();

    const first = await store.putPendingValue(arn, token, new Sensitive('{"n":1}'));
    const again = await store.putPendingValue(arn, token, new Sensitive('{"n":1}'));
    const other = await store.putPendingValue(arn, token, new Sensitive('{"n":2}'));

    expect([first, again, other]).toEqual(['stored', 'stored', 'another-value']);
    expect((await store.getValue(arn, { versionId: token }))?.reveal()).toBe('{"n":1}');
  });

  it('lists every secret rotated by a function, across pages, whatever qualifier either side names', async () => {
    const ours: string[] = [];
    // More than one ListSecrets page (100 a page).
    for (let i = 0; i < 120; i += 1) {
      ours.push(
        sm.createSecretDirect(`fleet/${i}`, '{}', {
          rotation: { lambdaArn: LAMBDA, rules: { AutomaticallyAfterDays: 30 } },
        }).arn,
      );
    }
    for (const qualifier of [':$LATEST', ':live', ':7']) {
      ours.push(
        sm.createSecretDirect(`qualified${qualifier}`.replace(/[:$]/g, '-'), '{}', {
          rotation: { lambdaArn: `${LAMBDA}${qualifier}`, rules: { AutomaticallyAfterDays: 30 } },
        }).arn,
      );
    }
    sm.createSecretDirect('other-function', '{}', {
      rotation: { lambdaArn: `${LAMBDA}-other`, rules: { AutomaticallyAfterDays: 30 } },
    });
    sm.createSecretDirect('not-rotated', '{}');

    const arns = async (wanted: string) =>
      (await store.listSecretsRotatedBy(wanted)).map((secret) => secret.arn).sort();
    expect(await arns(LAMBDA)).toEqual([...ours].sort());
    expect(await arns(`${LAMBDA}:$LATEST`)).toEqual([...ours].sort());
    expect(await arns('factify-key-rotation')).toEqual([...ours].sort());
    // Each entry says what DescribeSecret would.
    const [first] = await store.listSecretsRotatedBy(LAMBDA);
    expect(first).toEqual(await store.describeDetails(String(first?.arn)));
  });
});
