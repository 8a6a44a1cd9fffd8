import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KMSClient } from '@aws-sdk/client-kms';
import { PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { KmsSealKey } from '../../lambda/adapters/kms-seal-key.js';
import { seal } from '../../lambda/keys/seal.js';
import { serializeKeySecret } from '../../lambda/keys/secret-value.js';
import { Sensitive } from '../../lambda/telemetry/redaction.js';
import { startFactifySimulator } from '../../test/emulators/factify.js';
import { type KmsEmulator, startKmsEmulator } from '../../test/emulators/kms.js';
import {
  type RotationEvent,
  type RotationOutcome,
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '../../test/emulators/secrets-manager.js';
import { FUNCTION_ARN } from '../../test/support/rotation-environment.js';
import { startWarmLambda, type WarmLambda } from './warm-lambda.js';

export interface ScaleOptions {
  readonly secrets: number;
  /** Factify's POST budget, per second (per window, with windowMs), shared by every caller. */
  readonly postPerSecond: number;
  /** Factify's GET budget, per second (per window, with windowMs), shared by every caller. */
  readonly getPerSecond: number;
  /** The rate limits' window: one second unless given. */
  readonly windowMs?: number;
  /** Whether DELETE draws on the POST budget (the docs leave it open) instead of the GET budget. */
  readonly deleteIsWrite: boolean;
  /** The Lambda timeout of each step. */
  readonly stepTimeoutMs: number;
  /** Warm processes ("containers") the invocations are shared among. */
  readonly containers: number;
  /**
   * Rotations started a window, as Secrets Manager spreads scheduled rotations over their rotation window;
   * all at once when absent.
   */
  readonly startsPerWindow?: number;
  /**
   * Each secret's value as the function's own last rotation wrote it, sealed: the rotation every 30 days of a
   * fleet already on the platform. Without it, a hand-written first value: the fleet's first rotation, which
   * also checks every other secret the function rotates before revoking the hand-written key.
   */
  readonly sealedValues?: boolean;
}

export interface ScaleFigures extends ScaleOptions {
  /** The least time the rate limits allow for every rotation's requests of the binding budget. */
  readonly lowerBoundMs: number;
  readonly boundBy: 'POST' | 'GET';
  /** From the first RotateSecret to the last rotation's outcome, Secrets Manager's retry of failures included. */
  readonly totalMs: number;
  /** Rotations that failed their first attempt and were retried, as Secrets Manager does. */
  readonly retried: number;
  /** Rotations whose outcome is not "succeeded" after the retry, or that never reported one. */
  readonly failures: number;
  /** Active keys in the secrets' organizations that no AWSCURRENT holds. */
  readonly orphans: number;
  readonly factifyRequests: number;
  readonly rateLimited: number;
  /** The slowest single step invocation. */
  readonly slowestStepMs: number;
  /** CPU time of the function's processes over the run. */
  readonly functionCpuMs: number;
  readonly firstFailure?: string;
}

const WINDOW_MS = 1_000;

/** Writes each secret's value again as the function writes it, sealed, over the hand-written first one. */
async function sealValues(
  secretsManager: SecretsManagerEmulator,
  kms: KmsEmulator,
  sealKeyArn: string,
  secrets: readonly { arn: string; orgId: string; key: { id: string; key: string } }[],
): Promise<void> {
  const sealKey = new KmsSealKey(
    sealKeyArn,
    new KMSClient({
      region: secretsManager.region,
      endpoint: kms.endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret-access-key' },
    }),
  );
  const client = secretsManager.client();
  for (const { arn, orgId, key } of secrets) {
    const versionId = randomUUID();
    const apiKey = new Sensitive(key.key);
    const claims = {
      secretArn: arn,
      versionId,
      keyId: key.id,
      apiKey,
      organizationId: orgId,
      replacesKeyId: null,
    };
    const value = serializeKeySecret({
      apiKey,
      apiKeyId: key.id,
      organizationId: orgId,
      createdAt: new Date().toISOString(),
      seal: await seal(sealKey, claims),
      carried: {},
    });
    await client.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: versionId,
        SecretString: value.reveal(),
      }),
    );
  }
}
/** Secrets Manager's retry of failed rotations is one more attempt in this run. */
const MAX_ATTEMPTS = 2;

/**
 * `secrets` secrets, each holding the only key of its own Factify organization, rotated concurrently,
 * with Factify's limits shared by all callers (`rateLimitScope: 'global'`) and scaled down to per-second
 * windows. The invocations run in `containers` warm processes that each imported the built bundle once, a
 * secret's steps always in the same one: 800 fresh processes do not fit 2 cores. Each invocation still paces
 * itself alone, as separate Lambda containers would, because the function keeps no rate-limit state across
 * invocations: only connection pools are shared.
 */
export async function measureScale(options: ScaleOptions): Promise<ScaleFigures> {
  const windowMs = options.windowMs ?? WINDOW_MS;
  const secretsManager = await startSecretsManagerEmulator();
  const factify = await startFactifySimulator({
    rateLimitScope: 'global',
    rateLimits: {
      write: { limit: options.postPerSecond, windowMs },
      read: { limit: options.getPerSecond, windowMs },
    },
    deleteRateClass: options.deleteIsWrite ? 'write' : 'read',
  });
  // The seal key the stack creates and names in FACTIFY_SEAL_KEY_ID: the function refuses to run without it.
  const kms = await startKmsEmulator({ region: secretsManager.region });
  const sealKeyArn = kms.createKeyDirect().arn;
  const containers: WarmLambda[] = [];
  try {
    const env = {
      AWS_REGION: secretsManager.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      FACTIFY_SEAL_KEY_ID: sealKeyArn,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret-access-key',
      FACTIFY_API_URL: factify.url,
    };
    const secrets = Array.from({ length: options.secrets }, (_, index) => {
      const orgId = factify.createOrganization(`Scale ${index}`).id;
      const key = factify.seedKey(orgId, { name: 'Production' });
      const { arn } = secretsManager.createSecretDirect(
        `scale/factify-${index}`,
        JSON.stringify({ apiKey: key.key, apiKeyId: key.id }),
        { rotation: { lambdaArn: FUNCTION_ARN, rules: { ScheduleExpression: 'rate(30 days)' } } },
      );
      return { arn, orgId, key };
    });
    if (options.sealedValues) await sealValues(secretsManager, kms, sealKeyArn, secrets);

    for (let index = 0; index < options.containers; index++) containers.push(await startWarmLambda(env));
    const cpuMs = async () =>
      (await Promise.all(containers.map((c) => c.stats()))).reduce((a, s) => a + s.cpuMs, 0);
    const containerOf = new Map(
      secrets.map(({ arn }, index) => [arn, containers[index % containers.length]]),
    );
    const cpuBefore = await cpuMs();
    let slowestStepMs = 0;
    secretsManager.setRotationInvoker(FUNCTION_ARN, async (event: RotationEvent) => {
      const container = containerOf.get(event.SecretId);
      if (container === undefined) throw new Error(`No container for ${event.SecretId}`);
      const invocation = await container.invoke(event, options.stepTimeoutMs);
      slowestStepMs = Math.max(slowestStepMs, invocation.durationMs);
      if (!invocation.ok) {
        throw new Error(invocation.error?.errorMessage ?? 'Task timed out');
      }
    });

    const writesPerRotation = options.deleteIsWrite ? 2 : 1;
    // createSecret 1 list; testSecret 2 organization reads and 1 list; finishSecret 1 list and, for a
    // hand-written first value, 1 organization read proving the value holds the key it revokes.
    const readsPerRotation = options.deleteIsWrite ? 6 : 7;
    const postBoundMs = ((options.secrets * writesPerRotation) / options.postPerSecond) * windowMs;
    const getBoundMs = ((options.secrets * readsPerRotation) / options.getPerSecond) * windowMs;
    const lowerBoundMs = Math.max(postBoundMs, getBoundMs);
    // Generous, yet bounded: a run that has not finished by then counts its stragglers as failures.
    const waitMs = Math.max(lowerBoundMs * 4, options.stepTimeoutMs * 4) + 30_000;

    const client = secretsManager.client();
    const started = performance.now();
    const batch = options.startsPerWindow ?? secrets.length;
    for (let first = 0; first < secrets.length; first += batch) {
      const windowStarted = performance.now();
      await Promise.all(
        secrets
          .slice(first, first + batch)
          .map(({ arn }) => client.send(new RotateSecretCommand({ SecretId: arn }))),
      );
      const rest = windowMs - (performance.now() - windowStarted);
      if (first + batch < secrets.length && rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const wait = (arn: string) =>
      secretsManager.waitForRotation(arn, waitMs).catch((): RotationOutcome | undefined => undefined);
    let outcomes = await Promise.all(secrets.map(({ arn }) => wait(arn)));
    let retried = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      outcomes = await Promise.all(
        secrets.map(async ({ arn }, index) => {
          const outcome = outcomes[index];
          if (outcome?.status !== 'failed') return outcome;
          retried++;
          return secretsManager.retryRotation(arn).catch(() => undefined);
        }),
      );
    }
    const totalMs = performance.now() - started;
    const functionCpuMs = (await cpuMs()) - cpuBefore;

    let orphans = 0;
    for (const { arn, orgId } of secrets) {
      const current = secretsManager.versions(arn).find((version) => version.stages.includes('AWSCURRENT'));
      const currentKeyId = (JSON.parse(String(current?.value)) as { apiKeyId?: string }).apiKeyId;
      orphans += factify.keys(orgId).filter((key) => key.is_active && key.id !== currentKeyId).length;
    }
    const failed = outcomes.filter((outcome) => outcome?.status !== 'succeeded');
    const firstFailure = failed[0]
      ? `${failed[0].status} in ${failed[0].failedStep}: ${failed[0].errorMessage}`
      : outcomes.includes(undefined)
        ? 'a rotation reported no outcome in time'
        : undefined;
    return {
      ...options,
      lowerBoundMs,
      boundBy: postBoundMs >= getBoundMs ? 'POST' : 'GET',
      totalMs,
      retried,
      failures: failed.length,
      orphans,
      factifyRequests: factify.requests.length,
      rateLimited: factify.requests.filter((request) => request.status === 429).length,
      slowestStepMs,
      functionCpuMs,
      ...(firstFailure === undefined ? {} : { firstFailure }),
    };
  } finally {
    await Promise.allSettled(containers.map((container) => container.close()));
    await Promise.allSettled([secretsManager.close(), factify.close(), kms.close()]);
  }
}
