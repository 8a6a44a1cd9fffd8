import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { useRotationEnvironment } from '../support/e2e-fixture.js';
import { retryUntilRotated } from '../support/rotation-environment.js';
import { expectNoSecretsPrinted, keyWorks, rotateSecret, seedSecret } from '../support/seeded-secret.js';

/**
 * Someone allowed only to write their own secret, with the function holding an admin key: they store a
 * version naming another key and invoke the function with the scheduled revocation's event.
 */
describe('a forged revokeReplacedKey event, with an admin secret', () => {
  const { environment } = useRotationEnvironment({
    env: {
      REVOKE_GRACE_SECONDS: '3600',
      REVOKE_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/factify-revoke-scheduler',
    },
  });

  it("revokes neither another application's key nor the admin key, however the version names them", async () => {
    const seeded = seedSecret(environment, { admin: true });
    const adminSecretArn = String(seeded.adminSecretArn);
    Object.assign(environment.env, { FACTIFY_ADMIN_SECRET_ID: adminSecretArn });
    await rotateSecret(environment, seeded.arn);
    expect((await retryUntilRotated(environment, seeded.arn, 0)).map((outcome) => outcome.status)).toEqual([
      'succeeded',
    ]);
    const admin = seeded.adminKey as { id: string; key: string };

    for (const victim of [seeded.otherAppKey, admin]) {
      const versionId = randomUUID();
      // The visible prefix, then anything: all the writer knows of the victim's key.
      const imitation = `${victim.key.slice(0, 16)}${'Q'.repeat(62)}`;
      await environment.secretsManager.client().send(
        new PutSecretValueCommand({
          SecretId: seeded.arn,
          ClientRequestToken: versionId,
          SecretString: JSON.stringify({ apiKey: imitation, apiKeyId: victim.id }),
          VersionStages: ['forged'],
        }),
      );

      const invocation = await environment.invoke({
        Action: 'revokeReplacedKey',
        SecretId: seeded.arn,
        VersionId: versionId,
        ApiKeyId: victim.id,
      });

      expect(invocation.ok).toBe(false);
      expect(invocation.error?.errorMessage).toMatch(/Refusing to revoke key|does not prove it holds/);
      expect(environment.factify.deleteCalls(victim.id)).toBe(0);
      expect(await keyWorks(environment, victim.key)).toBe(true);
    }
    expectNoSecretsPrinted(environment, [seeded.initialKey.key, seeded.otherAppKey.key, admin.key]);
  });
});
