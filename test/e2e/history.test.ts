import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../lambda/keys/key-naming.js';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { retryUntilRotated } from '../support/rotation-environment.js';
import { expectRotated, rotateSecret, seedSecret } from '../support/seeded-secret.js';

const DAY_MS = 86_400_000;

/**
 * Every rotation leaves a revoked key behind, and Factify lists them all with include_revoked. After years
 * the listing runs to many pages: that must never turn into a failure.
 */
describe('years of history at Factify', () => {
  const { environment } = useRotationEnvironment({ factify: { listPageSize: 10 } });

  it('rotates with 400 old keys listed 10 to a page, past any fixed page cap', async () => {
    const seeded = seedSecret(environment);
    for (let day = 1; day <= 400; day++) {
      environment.factify.seedKey(seeded.orgId, {
        name: keyNameFor(seeded.arn, randomUUID()),
        createdAt: new Date(Date.now() - (day + 1) * DAY_MS),
        expiresAt: new Date(Date.now() - day * DAY_MS),
      });
    }
    environment.factify.resetRequests();

    const versionId = await rotateSecret(environment, seeded.arn);
    const outcomes = await retryUntilRotated(environment, seeded.arn, 0);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    const pages = environment.factify.requests.filter(
      (request) => request.method === 'GET' && request.path.startsWith('/v1/api-keys'),
    );
    expect(pages.length).toBeGreaterThan(40);
    await expectRotated(environment, seeded, versionId);
  });
});
