import { describe, expect, it } from 'vitest';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { expectNoSecrets } from '../support/no-secrets.js';
import { FUNCTION_ARN, retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, keyWorks, rotateSecret } from '../support/seeded-secret.js';

const LIST = { method: 'GET', path: '/v1/api-keys' } as const;
const CREATE = { method: 'POST', path: '/v1/api-keys' } as const;

/**
 * Hostile values and answers, through the built bundle: each is refused with a typed error before anything
 * is written, the current key keeps working and the other keys stay active.
 */
describe('hostile input is refused before any write, end to end', () => {
  const { environment, seeded } = useSeededEnvironment();

  const activeKeyIds = () =>
    environment.factify
      .keys(seeded.orgId)
      .filter((key) => key.is_active)
      .map((key) => key.id)
      .sort();

  async function failedRotation(arn: string) {
    await rotateSecret(environment, arn);
    const outcome = await environment.secretsManager.waitForRotation(arn, 60_000);
    expect(outcome.status).toBe('failed');
    return environment.invocations.find((invocation) => !invocation.ok);
  }

  it('a carried field nested 10,000 levels deep: no key is created', async () => {
    const levels = 10_000;
    const { arn } = environment.secretsManager.createSecretDirect(
      'prod/deep',
      `{"apiKey":"${seeded.initialKey.key}","apiKeyId":"${seeded.initialKey.id}","deep":${'['.repeat(levels)}${']'.repeat(levels)}}`,
      { rotation: { lambdaArn: FUNCTION_ARN, rules: { ScheduleExpression: 'rate(30 days)' } } },
    );
    const before = activeKeyIds();

    const failed = await failedRotation(arn);

    expect(failed?.error).toMatchObject({
      errorType: 'MalformedSecretValueError',
      code: 'MALFORMED_SECRET_VALUE',
    });
    expect(failed?.error?.errorMessage).toMatch(/nested more than 64 levels/);
    expect(environment.factify.keys(seeded.orgId, { includeRevoked: true })).toHaveLength(before.length);
    expect(activeKeyIds()).toEqual(before);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    expectNoSecrets(environment.output(), [seeded.initialKey.key, seeded.otherAppKey.key]);
  });

  it('an 80 MB answer to the key listing: reading stops at 1 MB', async () => {
    const huge = `{"api_keys":[${'{"id":"key_x"},'.repeat((80 * 1024 * 1024) / 15)}{}]}`;
    environment.factify.inject({ ...LIST, kind: 'status', status: 200, body: huge, times: 5 });
    const before = activeKeyIds();

    const failed = await failedRotation(seeded.arn);

    expect(failed?.error).toMatchObject({
      errorType: 'FactifyResponseTooLargeError',
      code: 'FACTIFY_RESPONSE_TOO_LARGE',
    });
    // The function has 256 MB; reading the answer whole took the process past 300 MB.
    expect(failed?.maxRssKb).toBeLessThan(200 * 1024);
    expect(activeKeyIds()).toEqual(before);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
  });

  it('a key listing whose pages never end: it stops at the page or key limit, in under 128 MB', async () => {
    // Each page 1,000 revoked keys (about 330 KB, under the 1 MB cap) and a cursor never seen before.
    environment.factify.inject({ ...LIST, kind: 'endless-pages' });
    const before = activeKeyIds();

    const failed = await failedRotation(seeded.arn);

    expect(failed?.error).toMatchObject({ errorType: 'ListingLimitError', code: 'LISTING_LIMIT_REACHED' });
    expect(failed?.maxRssKb).toBeLessThan(128 * 1024);
    environment.factify.clearFaults();
    expect(activeKeyIds()).toEqual(before);
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
  });

  it('a malformed id in the answer to the key creation: nothing is stored, the retry converges', async () => {
    environment.factify.inject({
      ...CREATE,
      kind: 'apply-then-status',
      status: 201,
      body: {
        id: 'key_../../admin',
        org_id: seeded.orgId,
        name: 'x',
        prefix: 'ffy_test_0000000...',
        is_active: true,
        key: `ffy_test_${'0'.repeat(69)}`,
      },
    });

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn);

    expect(outcomes[0]?.status).toBe('failed');
    expect(environment.invocations.find((invocation) => !invocation.ok)?.error).toMatchObject({
      code: 'FACTIFY_UNEXPECTED_RESPONSE',
    });
    expect(outcomes.at(-1)?.status).toBe('succeeded');
    await expectRotated(environment, seeded, versionId);
  });

  it.each([
    // 100 KB: the runner hands the event over in an environment variable, which Linux caps at 128 KB.
    ['a SecretId of 100 KB', { SecretId: 's'.repeat(100_000) }],
    [
      'a scheduled revocation of version __proto__',
      {
        Action: 'revokeReplacedKey',
        SecretId: 'prod/factify',
        VersionId: '__proto__',
        ApiKeyId: 'key_01h2xcejqtf2nbrexx3vqjhp41',
      },
    ],
    [
      'a scheduled revocation of version constructor',
      {
        Action: 'revokeReplacedKey',
        SecretId: 'prod/factify',
        VersionId: 'constructor',
        ApiKeyId: 'key_01h2xcejqtf2nbrexx3vqjhp41',
      },
    ],
  ])('an event with %s: a typed error before any call, and short log lines', async (_case, event) => {
    const callsBefore = environment.secretsManager.calls.length;

    const invocation = await environment.invoke(event);

    expect(invocation.error).toMatchObject({ errorType: 'InvalidEventError', code: 'INVALID_EVENT' });
    expect(environment.secretsManager.calls.length).toBe(callsBefore);
    expect(Math.max(...invocation.output.split('\n').map((line) => line.length))).toBeLessThan(8_000);
  });
});
