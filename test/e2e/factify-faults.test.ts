import { describe, expect, it } from 'vitest';
import type { Fault } from '../emulators/factify.js';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, rotateSecret } from '../support/seeded-secret.js';

const CREATE = { method: 'POST', path: '/v1/api-keys' } as const;
const LIST = { method: 'GET', path: '/v1/api-keys' } as const;
const ORGANIZATION = { method: 'GET', path: '/v1/organization' } as const;
const REVOKE = { method: 'DELETE', path: /^\/v1\/api-keys\/key_/ } as const;

/**
 * Every Factify call of a rotation, failing in each way the network and the API can fail. Whatever
 * happens, retrying the rotation with the same token (as Secrets Manager does) must converge on the same
 * end state as an undisturbed rotation: see expectRotated.
 */
describe('a rotation under Factify faults converges', () => {
  const { environment, seeded } = useSeededEnvironment();

  const killRunningInvocation = () => environment.running()?.kill();

  const cases: [string, () => Fault][] = [
    ['listing keys answers 503 twice', () => ({ ...LIST, kind: 'status', status: 503, times: 2 })],
    [
      'listing keys is throttled (429 with retry_after)',
      () => ({ ...LIST, kind: 'status', status: 429, retryAfter: 1 }),
    ],
    ['creating a key answers 500 without applying it', () => ({ ...CREATE, kind: 'status', status: 500 })],
    [
      'creating a key is applied but answered 500',
      () => ({ ...CREATE, kind: 'apply-then-status', status: 500 }),
    ],
    [
      'creating a key is applied, then the connection resets',
      () => ({ ...CREATE, kind: 'apply-then-reset' }),
    ],
    [
      'creating a key is rate-limited (429)',
      () => ({ ...CREATE, kind: 'status', status: 429, retryAfter: 1 }),
    ],
    [
      'the new key is checked while Factify answers 502',
      () => ({ ...ORGANIZATION, kind: 'status', status: 502, times: 3 }),
    ],
    // A hang lasts until the client's request timeout (10 s): the slowest cases here, and the ones that
    // prove no call can outlive the invocation.
    ['checking the new key hangs', () => ({ ...ORGANIZATION, kind: 'hang' })],
    ['creating a key hangs without being applied', () => ({ ...CREATE, kind: 'hang' })],
    [
      'revoking answers 500 on every attempt of an invocation',
      () => ({ ...REVOKE, kind: 'status', status: 500, times: 4 }),
    ],
    ['revoking is applied, then the connection resets', () => ({ ...REVOKE, kind: 'apply-then-reset' })],
    [
      'the process is killed between creating the key and storing it',
      () => ({ ...CREATE, kind: 'apply-then-hang', onApplied: killRunningInvocation }),
    ],
    [
      'the process is killed after the revoke was applied',
      () => ({ ...REVOKE, kind: 'apply-then-hang', onApplied: killRunningInvocation }),
    ],
  ];

  it.each(cases)('when %s', async (_name, fault) => {
    environment.factify.inject(fault());

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn);

    expect(outcomes.at(-1)?.status).toBe('succeeded');
    await expectRotated(environment, seeded, versionId);
  });

  it('waits for a new key that Factify takes a moment to accept', async () => {
    environment.factify.setPropagationDelay({ requests: 3 });

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn, 0);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    await expectRotated(environment, seeded, versionId);
  });

  it.each([204, 404, 409] as const)(
    'counts a retried revoke as done when Factify answers %i for an already revoked key',
    async (status) => {
      environment.factify.setRevokeAlreadyRevokedStatus(status);
      environment.factify.inject({ ...REVOKE, kind: 'apply-then-reset' });

      const versionId = await rotateSecret(environment, seeded.arn);
      await retryUntilRotated(environment, seeded.arn);

      await expectRotated(environment, seeded, versionId);
    },
  );

  it('revokes the old key exactly once when killed after the revoke was applied', async () => {
    environment.factify.inject({ ...REVOKE, kind: 'apply-then-hang', onApplied: killRunningInvocation });

    await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'succeeded']);
    expect(environment.factify.deleteCalls(seeded.initialKey.id)).toBe(1);
  });

  it('revokes a replaced key stranded by a finishSecret that was never retried, at the next rotation', async () => {
    environment.factify.inject({ ...REVOKE, kind: 'status', status: 503, times: 4 });
    await rotateSecret(environment, seeded.arn);
    expect(await environment.secretsManager.waitForRotation(seeded.arn, 30_000)).toMatchObject({
      status: 'failed',
      failedStep: 'finishSecret',
    });
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(0);

    await rotateSecret(environment, seeded.arn);
    const outcome = await environment.secretsManager.waitForRotation(seeded.arn, 30_000);

    expect(outcome.status).toBe('succeeded');
    expect(environment.factify.revocations(seeded.initialKey.id)).toBe(1);
    const stranded = environment.factify.keys(seeded.orgId, { includeRevoked: true });
    expect(stranded.find((key) => key.id === seeded.initialKey.id)?.revoked_comment).toBe('rotated');
    expect(environment.factify.keys(seeded.orgId).filter((key) => key.is_active)).toHaveLength(2);
  });

  it('does not leave a second key when the create was reset before Factify applied it', async () => {
    environment.factify.inject({ ...CREATE, kind: 'reset' });

    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn);

    await expectRotated(environment, seeded, versionId);
    expect(environment.factify.requests.filter((request) => request.method === 'DELETE')).toHaveLength(1);
  });
});
