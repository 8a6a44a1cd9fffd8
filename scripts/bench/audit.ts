import { performance } from 'node:perf_hooks';
import { startFactifySimulator } from '../../test/emulators/factify.js';
import { startKmsEmulator } from '../../test/emulators/kms.js';
import { startSecretsManagerEmulator } from '../../test/emulators/secrets-manager.js';
import { invokeBundle } from '../../test/support/lambda-runtime.js';
import { FUNCTION_ARN } from '../../test/support/rotation-environment.js';

export interface AuditOptions {
  readonly secrets: number;
  readonly organizations: number;
  /** The function's timeout: the deployed default, 90 s. */
  readonly timeoutMs: number;
}

export interface AuditFigures extends AuditOptions {
  /** From the invocation to its answer, in a fresh process (a cold Lambda): module load included. */
  readonly wallMs: number;
  readonly checked: number;
  readonly notChecked: number;
  readonly secretsManagerCalls: Record<string, number>;
  readonly factifyRequests: number;
  /** GET /v1/api-keys requests: each organization's listing. */
  readonly factifyListings: number;
  readonly peakRssMb: number;
  /** The invocation's answer, as JSON: Lambda's synchronous response may be at most 6 MB. */
  readonly responseBytes: number;
  readonly firstError?: string;
}

/**
 * The daily audit `{"Action": "audit"}` of `secrets` secrets spread over `organizations` Factify organizations
 * (three or four keys of the fleet in each, every secret holding its own key and the organizationId createSecret
 * records), plus secrets of another function it must leave alone: one invocation of the built bundle in a fresh
 * process, against the emulators with Factify's documented per-key limits.
 */
export async function measureAudit(options: AuditOptions): Promise<AuditFigures> {
  const secretsManager = await startSecretsManagerEmulator();
  const factify = await startFactifySimulator();
  // The seal key the stack creates and names in FACTIFY_SEAL_KEY_ID: the function refuses to run without it.
  const kms = await startKmsEmulator({ region: secretsManager.region });
  try {
    const organizations = Array.from(
      { length: options.organizations },
      (_, index) => factify.createOrganization(`Fleet ${index}`).id,
    );
    for (let index = 0; index < options.secrets; index++) {
      const orgId = organizations[index % organizations.length] as string;
      const key = factify.seedKey(orgId, { name: `service-${index}` });
      secretsManager.createSecretDirect(
        `fleet/factify-${index}`,
        JSON.stringify({ apiKey: key.key, apiKeyId: key.id, organizationId: orgId }),
        { rotation: { lambdaArn: FUNCTION_ARN, rules: { ScheduleExpression: 'rate(30 days)' } } },
      );
    }
    for (let index = 0; index < 20; index++) {
      secretsManager.createSecretDirect(`other/secret-${index}`, '{"password": "not ours"}');
    }

    const env = {
      AWS_REGION: secretsManager.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      FACTIFY_SEAL_KEY_ID: kms.createKeyDirect().arn,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret-access-key',
      FACTIFY_API_URL: factify.url,
    };
    const started = performance.now();
    const invocation = await invokeBundle({ Action: 'audit' }, env, FUNCTION_ARN, options.timeoutMs).done;
    const wallMs = performance.now() - started;
    const report = invocation.result as
      | { summary: { audited: number; notChecked: number }; secrets: { error?: { message: string } }[] }
      | undefined;
    const secretsManagerCalls: Record<string, number> = {};
    for (const call of secretsManager.calls) {
      secretsManagerCalls[call.operation] = (secretsManagerCalls[call.operation] ?? 0) + 1;
    }
    const firstError =
      invocation.error?.errorMessage ??
      (invocation.timedOut
        ? 'the audit timed out'
        : report?.secrets.find((secret) => secret.error)?.error?.message);
    return {
      ...options,
      wallMs,
      checked: (report?.summary.audited ?? 0) - (report?.summary.notChecked ?? 0),
      notChecked: report?.summary.notChecked ?? options.secrets,
      secretsManagerCalls,
      factifyRequests: factify.requests.length,
      factifyListings: factify.requests.filter(
        (request) => request.method === 'GET' && request.path === '/v1/api-keys',
      ).length,
      peakRssMb: (invocation.maxRssKb ?? 0) / 1024,
      responseBytes: Buffer.byteLength(JSON.stringify(invocation.result ?? null)),
      ...(firstError === undefined ? {} : { firstError }),
    };
  } finally {
    await Promise.allSettled([secretsManager.close(), factify.close(), kms.close()]);
  }
}
