import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { FUNCTION_ARN, retryUntilRotated } from '../support/rotation-environment.js';
import {
  expectNoSecretsPrinted,
  expectRotated,
  keyWorks,
  rotateSecret,
  seedSecret,
} from '../support/seeded-secret.js';

describe('a rotation of the built bundle, driven by Secrets Manager', () => {
  const { environment, restart } = useRotationEnvironment();

  it('creates, stores, verifies and promotes a new key, then revokes the old one with reason "rotated"', async () => {
    const seeded = seedSecret(environment);

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn, 0);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    await expectRotated(environment, seeded, versionId);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(false);
    expect(environment.secretsManager.receivedRotationTokens(seeded.arn)).toHaveLength(1);
    expect(environment.invocations.map((invocation) => invocation.ok)).toEqual([true, true, true, true]);
  });

  it('rotates again on top of a rotated secret, revoking only the key it replaced', async () => {
    const seeded = seedSecret(environment);
    await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);
    const firstValue = JSON.parse(
      String(
        environment.secretsManager.versions(seeded.arn).find((v) => v.stages.includes('AWSCURRENT'))?.value,
      ),
    );

    await rotateSecret(environment, seeded.arn);
    const [outcome] = await retryUntilRotated(environment, seeded.arn, 0);

    expect(outcome?.status).toBe('succeeded');
    expect(environment.factify.revocations(firstValue.apiKeyId)).toBe(1);
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(1);
    const active = environment.factify.keys(seeded.orgId).filter((key) => key.is_active);
    expect(active).toHaveLength(2);
  });

  it('rotates with an admin key from FACTIFY_ADMIN_SECRET_ID', async () => {
    await restart();
    const seeded = seedSecret(environment, { admin: true });
    environment.env.FACTIFY_ADMIN_SECRET_ID = String(seeded.adminSecretArn);

    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    await expectRotated(environment, seeded, versionId);
  });

  it('finds the id of a first value written without apiKeyId by its prefix', async () => {
    // Factify prefixes start with a time-ordered id: keys made seconds apart share them. Make the other
    // application's key an hour older, as it would be in real life.
    let now = Date.now() - 3_600_000;
    await restart({ factify: { clock: () => now } });
    const orgId = environment.factify.createOrganization('Acme').id;
    const otherAppKey = environment.factify.seedKey(orgId, { name: 'billing-service' });
    now += 3_600_000;
    const initialKey = environment.factify.seedKey(orgId, { name: 'Production' });
    const { arn, versionId: initialVersionId } = environment.secretsManager.createSecretDirect(
      'prod/factify',
      JSON.stringify({ apiKey: initialKey.key, team: 'payments' }),
      { rotation: { lambdaArn: FUNCTION_ARN } },
    );

    const versionId = await rotateSecret(environment, arn);
    await retryUntilRotated(environment, arn, 0);

    await expectRotated(environment, { arn, orgId, initialVersionId, initialKey, otherAppKey }, versionId);
  });

  it.each([
    ['without apiKeyId', { withoutKeyId: true }],
    ['even with its apiKeyId', {}],
  ])(
    'refuses a hand-written first value %s when its prefix is ambiguous, naming the candidates',
    async (_case, options) => {
      const seeded = seedSecret(environment, options);
      // Another application's key made in the same seconds: Factify shows it with the same prefix.
      const twin = environment.factify.seedKey(seeded.orgId, { name: 'made-alongside' });

      await rotateSecret(environment, seeded.arn);
      const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

      expect(outcome).toMatchObject({ status: 'failed', failedStep: 'createSecret' });
      expect(outcome.errorMessage).toContain(
        `2 keys of the organization show a prefix that starts its apiKey`,
      );
      expect(outcome.errorMessage).toContain(`${seeded.initialKey.id}, ${twin.id}`);
      expect(outcome.errorMessage).toMatch(
        /KEY_NOT_RESOLVED|Put in the secret a key whose prefix no other key shares/,
      );
      expect(environment.factify.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    },
  );

  it('passes the configuration test (RotateImmediately=false) without creating a key', async () => {
    const seeded = seedSecret(environment);

    await environment.secretsManager
      .client()
      .send(new RotateSecretCommand({ SecretId: seeded.arn, RotateImmediately: false }));
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

    expect(outcome).toMatchObject({ kind: 'test', status: 'succeeded' });
    expect(
      environment.factify
        .keys(seeded.orgId)
        .map((key) => key.id)
        .sort(),
    ).toEqual([seeded.initialKey.id, seeded.otherAppKey.id].sort());
    expect(environment.factify.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('starts a proper rotation when invoked by hand with {"SecretId": ...}', async () => {
    const seeded = seedSecret(environment);

    const invocation = await environment.invoke({ SecretId: seeded.arn });
    await retryUntilRotated(environment, seeded.arn, 0);

    expect(invocation.ok).toBe(true);
    const versionId = (invocation.result as { VersionId: string }).VersionId;
    await expectRotated(environment, seeded, versionId);
  });

  it('refuses at the 5-key limit without revoking anything, and the secret keeps working', async () => {
    const seeded = seedSecret(environment);
    const others = [1, 2, 3].map(
      (n) =>
        environment.factify.seedKey(seeded.orgId, {
          name: `app-${n}`,
          createdAt: new Date(Date.now() - 3_600_000),
        }).id,
    );

    await rotateSecret(environment, seeded.arn);
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

    expect(outcome).toMatchObject({ status: 'failed', failedStep: 'createSecret' });
    expect(outcome.errorMessage).toContain('limit is 5');
    for (const id of [seeded.otherAppKey.id, ...others]) expect(outcome.errorMessage).toContain(id);
    expect(environment.factify.requests.filter((request) => request.method !== 'GET')).toEqual([]);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
  });

  describe('bad input changes nothing', () => {
    it.each([
      ['the console default test event', { key1: 'value1', key2: 'value2' }],
      ['an unknown step', { Step: 'rotate', SecretId: 'prod/factify', ClientRequestToken: 'c'.repeat(36) }],
      ['a JSON array', [1, 2]],
    ])('rejects %s with the accepted shapes before any call', async (_name, event) => {
      seedSecret(environment);

      const invocation = await environment.invoke(event);

      expect(invocation.ok).toBe(false);
      expect(invocation.error?.errorMessage).toMatch(/Accepted shapes/);
      expect(environment.secretsManager.calls).toEqual([]);
      expect(environment.factify.requests).toEqual([]);
    });

    // The URL rules themselves: test/unit/factify-api-url.test.ts.
    it('rejects an invalid FACTIFY_API_URL before any call', async () => {
      const seeded = seedSecret(environment);

      const invocation = await environment.invoke(
        { SecretId: seeded.arn },
        { FACTIFY_API_URL: 'http://factify.example.com/v1' },
      );

      expect(invocation.error).toMatchObject({ code: 'INVALID_CONFIGURATION' });
      expect(environment.secretsManager.calls).toEqual([]);
    });

    it('fails a rotation of a secret whose value is not a Factify key secret, without calling Factify', async () => {
      const seeded = seedSecret(environment);
      await environment.secretsManager
        .client()
        .send(new PutSecretValueCommand({ SecretId: seeded.arn, SecretString: 'hunter2-not-json' }));

      await rotateSecret(environment, seeded.arn);
      const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

      expect(outcome).toMatchObject({ status: 'failed', failedStep: 'createSecret' });
      expect(outcome.errorMessage).toContain('not valid JSON');
      expect(environment.factify.requests).toEqual([]);
      expectNoSecretsPrinted(environment, ['hunter2-not-json']);
    });

    it('fails on an unexpected Factify answer and leaves the secret working', async () => {
      const seeded = seedSecret(environment);
      environment.factify.inject({
        method: 'GET',
        path: '/v1/api-keys',
        kind: 'status',
        status: 200,
        body: { keys: 'not the documented shape' },
        times: 1,
      });

      await rotateSecret(environment, seeded.arn);
      const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

      expect(outcome.errorMessage).toMatch(/not the documented response/);
      expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    });
  });
});
