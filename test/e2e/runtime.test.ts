import { describe, expect, it } from 'vitest';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, rotateSecret, seedSecret } from '../support/seeded-secret.js';

const major = (version: string | undefined) => version?.replace(/^v/, '').split('.')[0];

/**
 * CI runs this suite a second time on Lambda's runtime (nodejs24.x) and names its major in
 * E2E_NODE_MAJOR: the function's processes must run on it, not on whatever Node.js started the tests.
 */
describe('the runtime the function runs on', () => {
  const { environment } = useRotationEnvironment();

  it('rotates in processes of the Node.js major CI asks for (E2E_NODE_MAJOR), else of this one', async () => {
    const seeded = seedSecret(environment);

    const versionId = await rotateSecret(environment, seeded.arn);
    await retryUntilRotated(environment, seeded.arn, 0);

    const versions = new Set(environment.invocations.map((invocation) => invocation.nodeVersion));
    console.log(`The function ran on Node.js ${[...versions].join(', ')}`);
    expect([...versions].map(major)).toEqual([process.env.E2E_NODE_MAJOR ?? major(process.version)]);
    await expectRotated(environment, seeded, versionId);
  });
});
