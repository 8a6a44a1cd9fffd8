import { describe, expect, it } from 'vitest';
import type { Fault } from '../emulators/secrets-manager.js';
import { useSeededEnvironment } from '../support/e2e-fixture.js';
import { killWhileHeld, retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, rotateSecret } from '../support/seeded-secret.js';

// The SDK retries transient errors itself (3 attempts); this many failures get through to the step.
const PAST_SDK_RETRIES = 3;

/**
 * Every Secrets Manager call of a rotation failing, throttled, hanging, or applied just as the process
 * dies. Retrying the rotation with the same token must converge on an undisturbed rotation's end state.
 */
describe('a rotation under Secrets Manager faults converges', () => {
  const { environment, seeded } = useSeededEnvironment();

  const operations = ['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage'];
  const faults: [string, Fault][] = [
    ['fails (500) past the SDK retries', { type: 'InternalServiceError', times: PAST_SDK_RETRIES }],
    ['is throttled past the SDK retries', { type: 'ThrottlingException', times: PAST_SDK_RETRIES }],
    // Far past the function's 5 s request timeout however loaded the machine (close() drops it): a hang of
    // 6 s left a second, and a late timer let the answer through, testing no timeout at all.
    ['hangs longer than the request timeout', { hangMs: 30_000 }],
  ];
  const cases = operations.flatMap((operation) =>
    faults.map(([how, fault]) => [`${operation} ${how}`, operation, fault] as const),
  );

  it.each(cases)('when %s', async (_name, operation, fault) => {
    environment.secretsManager.failNext(operation, fault);

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn);

    expect(outcomes.at(-1)?.status).toBe('succeeded');
    await expectRotated(environment, seeded, versionId);
  });

  it.each(['PutSecretValue', 'UpdateSecretVersionStage'])(
    'when the process is killed while %s is being applied',
    async (operation) => {
      killWhileHeld(environment, environment.secretsManager, operation);

      const versionId = await rotateSecret(environment, seeded.arn);
      const outcomes = await retryUntilRotated(environment, seeded.arn);

      // The killed invocation's call is applied after it died, as a request in flight can be in AWS.
      expect(outcomes[0]?.status).toBe('failed');
      expect(outcomes.at(-1)?.status).toBe('succeeded');
      await expectRotated(environment, seeded, versionId);
    },
  );
});
