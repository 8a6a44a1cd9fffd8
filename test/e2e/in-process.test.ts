import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFactifySimulator } from '../emulators/factify.js';
import { startKmsEmulator } from '../emulators/kms.js';
import { startSecretsManagerEmulator } from '../emulators/secrets-manager.js';
import { BUNDLE } from '../support/lambda-runtime.js';
import { FUNCTION_ARN } from '../support/rotation-environment.js';

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * The bundle read in one process, as a warm Lambda container or a local script would: the handler reads its
 * environment at each invocation, so a process that points it at other endpoints gets fresh clients.
 */
describe('the built bundle in one process', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('rotates against one pair of emulators, then against a new pair on other ports', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = (await import(pathToFileURL(BUNDLE).href)) as { handler: Handler };

    for (const round of [1, 2]) {
      const secretsManager = await startSecretsManagerEmulator();
      const factify = await startFactifySimulator();
      const kms = await startKmsEmulator();
      try {
        vi.stubEnv('AWS_ENDPOINT_URL_KMS', kms.endpoint);
        vi.stubEnv('FACTIFY_SEAL_KEY_ID', kms.createKeyDirect().arn);
        vi.stubEnv('AWS_REGION', secretsManager.region);
        vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secretsManager.endpoint);
        vi.stubEnv('AWS_ACCESS_KEY_ID', `AKID${round}`);
        vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'emulator-secret');
        vi.stubEnv('FACTIFY_API_URL', factify.url);
        const orgId = factify.createOrganization().id;
        const key = factify.seedKey(orgId, { name: 'Production' });
        const { arn } = secretsManager.createSecretDirect(
          'prod/factify',
          JSON.stringify({ apiKey: key.key, apiKeyId: key.id }),
          { rotation: { lambdaArn: FUNCTION_ARN } },
        );
        secretsManager.setRotationInvoker(FUNCTION_ARN, async (event) => {
          await handler(event, { getRemainingTimeInMillis: () => 60_000, invokedFunctionArn: FUNCTION_ARN });
        });

        await handler({ SecretId: arn });
        const outcome = await secretsManager.waitForRotation(arn, 30_000);

        expect(outcome.status).toBe('succeeded');
        expect(factify.revocations(key.id)).toBe(1);
      } finally {
        await Promise.all([secretsManager.close(), factify.close(), kms.close()]);
      }
    }
  });
});
