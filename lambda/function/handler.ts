import type { Context } from 'aws-lambda';
import type { AuditReport } from '../health/audit.js';
import { checkStagedRotation } from '../keys/guard.js';
import { emergencyToken, revokeReplacedKey } from '../keys/revocation.js';
import type {
  FactifyKeys,
  InspectableRevocationScheduler,
  InspectableSecretStore,
  SealKey,
  SecretDescription,
} from '../ports.js';
import { loadConfig } from '../settings/config.js';
import type { StepContext } from '../step-context.js';
import { ConfigurationError, reportedError } from '../telemetry/errors.js';
import { Logger } from '../telemetry/log.js';
import { SecretMetrics } from '../telemetry/metrics.js';
import { redactingInvocation } from '../telemetry/redaction.js';
import { type InvocationEvent, parseEvent, type Step } from './event.js';
import { createSecret } from './steps/create-secret.js';
import { finishSecret } from './steps/finish-secret.js';
import { setSecret } from './steps/set-secret.js';
import { testSecret } from './steps/test-secret.js';

const STEP_HANDLERS: Record<Step, (ctx: StepContext) => Promise<void>> = {
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
};

/** What the handler needs from the outside world; the tests substitute fakes. */
export interface Dependencies {
  readonly store: InspectableSecretStore;
  factify(options: {
    baseUrl: string;
    remainingMs: () => number;
    log: Logger;
    onRateLimited?: () => void;
    onRetry?: () => void;
  }): FactifyKeys;
  /** The KMS HMAC key FACTIFY_SEAL_KEY_ID names. */
  sealKey(keyId: string): SealKey;
  /** EventBridge Scheduler, its revocation schedules in `group` with `deadLetterArn` as their DLQ. */
  readonly scheduler: (settings: {
    readonly group?: string;
    readonly deadLetterArn?: string;
  }) => Promise<InspectableRevocationScheduler>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

/**
 * The production adapters (AWS SDK, undici) are imported on the first invocation that gets past parsing
 * and configuration, not when Lambda loads the module: an invalid event or environment fails without
 * loading them, and the init phase stays short.
 */
const productionDependencies = async (): Promise<Dependencies> =>
  (await import('./production-dependencies.js')).productionDependencies();

// Without a Lambda context (a local run), assume Lambda's maximum timeout.
const NO_CONTEXT_REMAINING_MS = 15 * 60 * 1000;

/**
 * Builds the Lambda handler: parse the event and read the configuration (both before any call), then start
 * a rotation (console invocation), run one rotation step behind the staging guard, or run a scheduled
 * revocation.
 */
export function createHandler(
  dependencies: () => Dependencies | Promise<Dependencies> = productionDependencies,
) {
  // Every value the invocation sees stays redacted until it ends, whatever else it registers.
  return async function handler(
    event: unknown,
    context?: Partial<Context>,
  ): Promise<{ VersionId: string } | AuditReport | undefined> {
    return redactingInvocation(() => invoke(event, context));
  };

  async function invoke(
    event: unknown,
    context?: Partial<Context>,
  ): Promise<{ VersionId: string } | AuditReport | undefined> {
    const started = Date.now();
    const remainingMs = () =>
      context?.getRemainingTimeInMillis?.() ?? NO_CONTEXT_REMAINING_MS - (Date.now() - started);
    let log = new Logger({ requestId: context?.awsRequestId });
    // Every invocation about one secret publishes its outcome; the audit publishes per secret itself.
    let metrics: SecretMetrics | undefined;
    try {
      const parsed = parseEvent(event);
      const keys = logKeys(parsed);
      log = log.child(keys);
      const config = loadConfig(process.env);
      // Every step reads or writes seals: refuse before any call rather than after a key was created.
      if (parsed.kind !== 'start-rotation' && config.sealKeyId === undefined) {
        throw new ConfigurationError(
          'FACTIFY_SEAL_KEY_ID is not set: the function seals every value it writes with that KMS HMAC key and ' +
            'revokes nothing without a seal. Deploy with the stack, which creates the key and sets it.',
        );
      }
      // Published only for a secret Secrets Manager described, under its own name: an invoker's SecretId
      // must not trip another secret's alarms.
      const metricsFor = (secret: SecretDescription) => {
        metrics = new SecretMetrics(secret.name, config.metricsNamespace).forStep(String(keys.step));
        return secret;
      };
      const deps = await dependencies();
      const scheduler = () =>
        deps.scheduler({
          ...(config.revokeScheduleGroup === undefined ? {} : { group: config.revokeScheduleGroup }),
          ...(config.revokeScheduleDlqArn === undefined
            ? {}
            : { deadLetterArn: config.revokeScheduleDlqArn }),
        });
      const factify = deps.factify({
        baseUrl: config.factifyApiUrl,
        remainingMs,
        log,
        onRateLimited: () => metrics?.count('FactifyThrottles'),
        onRetry: () => metrics?.count('FactifyRetries'),
      });

      if (parsed.kind === 'audit') {
        const { runAudit } = await import('../health/audit.js');
        const functionArn = context?.invokedFunctionArn;
        if (parsed.secretIds === undefined && functionArn === undefined) {
          throw new ConfigurationError(
            'An audit without SecretIds audits every secret whose rotation function is this function, but the ' +
              'invocation carries no function ARN (the Lambda context): name the secrets in SecretIds.',
          );
        }
        // Every secret whose rotation function is this one (ListSecrets, every page, which describes each).
        const toAudit = parsed.secretIds ?? (await deps.store.listSecretsRotatedBy(functionArn as string));
        log.info('Audit started', {
          secretCount: toAudit.length,
          discovered: parsed.secretIds === undefined,
        });
        return await runAudit(
          {
            store: deps.store,
            factify,
            sealKey: deps.sealKey(config.sealKeyId ?? ''),
            ...(config.adminSecretId === undefined ? {} : { adminSecretId: config.adminSecretId }),
            // Without a grace period no revocation is ever scheduled (and the role may not read schedules).
            ...(config.revokeGraceSeconds === 0
              ? {}
              : {
                  scheduledRevocationAt: async (name: string) => (await scheduler()).scheduledAt(name),
                }),
            now: deps.now,
            remainingMs,
            log,
            metricsNamespace: config.metricsNamespace,
          },
          toAudit,
        );
      }

      if (parsed.kind === 'start-rotation') {
        const token = parsed.revokeImmediately ? emergencyToken() : undefined;
        const secret = metricsFor(await deps.store.describe(parsed.secretId));
        const versionId = await deps.store.startRotation(secret.arn, token);
        log.info('Started a rotation', {
          versionId,
          revokeImmediately: parsed.revokeImmediately,
          outcome: 'started',
        });
        metrics?.stepOutcome(true, Date.now() - started);
        return { VersionId: versionId };
      }

      const functionArn = context?.invokedFunctionArn;
      const base = {
        store: deps.store,
        factify,
        sealKey: deps.sealKey(config.sealKeyId ?? ''),
        ...(functionArn === undefined
          ? {}
          : {
              rotatedSecrets: () => deps.store.listSecretsRotatedBy(functionArn),
            }),
        scheduler,
        ...(config.adminSecretId === undefined ? {} : { adminSecretId: config.adminSecretId }),
        revokeGraceSeconds: config.revokeGraceSeconds,
        ...(config.schedulerRoleArn === undefined ? {} : { schedulerRoleArn: config.schedulerRoleArn }),
        ...(context?.invokedFunctionArn === undefined ? {} : { functionArn: context.invokedFunctionArn }),
        log,
        // Read when a step's context is built, after the secret was described.
        get metrics() {
          return metrics;
        },
        remainingMs,
        sleep: deps.sleep,
        now: deps.now,
      };
      if (parsed.kind === 'revoke-replaced-key') {
        const secret = metricsFor(await deps.store.describe(parsed.secretId));
        await revokeReplacedKey({ ...base, secret }, parsed);
      } else {
        const state = checkStagedRotation(
          metricsFor(await deps.store.describe(parsed.secretId)),
          parsed.token,
        );
        await STEP_HANDLERS[parsed.step]({
          ...base,
          secret: state.secret,
          token: parsed.token,
          ...(parsed.rotationToken === undefined ? {} : { rotationToken: parsed.rotationToken }),
          alreadyCurrent: state.alreadyCurrent,
        });
        if (parsed.step === 'finishSecret') metrics?.count('RotationsCompleted');
      }
      log.info('Step succeeded', { outcome: 'succeeded', durationMs: Date.now() - started });
      metrics?.stepOutcome(true, Date.now() - started);
      return undefined;
    } catch (error) {
      // Whatever failed, only its name, code and scrubbed message leave this function (see reportedError).
      const reported = reportedError(error);
      log.error('Step failed', { outcome: 'failed', durationMs: Date.now() - started, error: reported });
      metrics?.stepOutcome(false, Date.now() - started);
      throw reported;
    } finally {
      metrics?.flush();
    }
  }
}

function logKeys(event: InvocationEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'rotation-step':
      return { secretId: event.secretId, step: event.step, versionId: event.token };
    case 'start-rotation':
      return { secretId: event.secretId, step: 'startRotation' };
    case 'revoke-replaced-key':
      return { secretId: event.secretId, step: 'revokeReplacedKey', versionId: event.versionId };
    case 'audit':
      return { step: 'audit' };
  }
}
