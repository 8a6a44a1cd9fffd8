import {
  type FactifySimulator,
  type FactifySimulatorOptions,
  startFactifySimulator,
} from '../emulators/factify.js';
import { type KmsEmulator, startKmsEmulator } from '../emulators/kms.js';
import { type SchedulerEmulator, startSchedulerEmulator } from '../emulators/scheduler.js';
import type { RotationEvent, RotationOutcome } from '../emulators/secrets-manager.js';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from '../emulators/secrets-manager.js';
import { type Invocation, invokeBundle, type RunningInvocation } from './lambda-runtime.js';

export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:factify-key-rotation';

/**
 * The revocation schedule settings the construct gives the function: a schedule group of its own (which the
 * Scheduler emulator of every environment has) and the schedules' dead-letter queue.
 */
export const SCHEDULE_GROUP_ENV = {
  REVOKE_SCHEDULE_GROUP: 'factify-key-rotation-revocations',
  REVOKE_SCHEDULE_DLQ_ARN: 'arn:aws:sqs:us-east-1:123456789012:factify-key-rotation-revoke-dlq',
} as const;

export interface RotationEnvironment {
  readonly secretsManager: SecretsManagerEmulator;
  readonly factify: FactifySimulator;
  /** EventBridge Scheduler, whose schedules invoke the same bundle when run with runDue(). */
  readonly scheduler: SchedulerEmulator;
  /** KMS, holding the HMAC key the function seals its values with (FACTIFY_SEAL_KEY_ID), as the stack creates it. */
  readonly kms: KmsEmulator;
  readonly sealKeyArn: string;
  /** The function's environment, as the stack would set it, pointed at the emulators. */
  readonly env: Record<string, string>;
  /** Every invocation so far, with everything it printed. */
  readonly invocations: Invocation[];
  /** The invocation running now, with its event, so a fault hook can kill it mid-call. */
  running(): (RunningInvocation & { readonly event: unknown }) | undefined;
  /** Invokes the built bundle once, as Lambda would. */
  invoke(event: unknown, extraEnv?: Record<string, string>): Promise<Invocation>;
  /** Everything the function printed, for leak checks. */
  output(): string;
  close(): Promise<void>;
}

export interface RotationEnvironmentOptions {
  readonly factify?: FactifySimulatorOptions;
  readonly env?: Record<string, string>;
  /** Called after each rotation step Secrets Manager invoked, e.g. to narrate a demo. */
  readonly onStep?: (event: RotationEvent, invocation: Invocation) => void;
}

/**
 * Both emulators on loopback, and Secrets Manager wired to run rotations through the built bundle, each
 * step in a fresh process, the way Secrets Manager invokes the deployed function.
 */
export async function startRotationEnvironment(
  options: RotationEnvironmentOptions = {},
): Promise<RotationEnvironment> {
  const secretsManager = await startSecretsManagerEmulator();
  const factify = await startFactifySimulator(options.factify);
  const scheduler = await startSchedulerEmulator({ region: secretsManager.region });
  const kms = await startKmsEmulator({ region: secretsManager.region });
  const sealKey = kms.createKeyDirect();
  scheduler.createGroup(SCHEDULE_GROUP_ENV.REVOKE_SCHEDULE_GROUP);
  const env = {
    AWS_REGION: secretsManager.region,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    FACTIFY_SEAL_KEY_ID: sealKey.arn,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret-access-key',
    FACTIFY_API_URL: factify.url,
    ...options.env,
  };
  const invocations: Invocation[] = [];
  let current: (RunningInvocation & { readonly event: unknown }) | undefined;

  const invoke = async (event: unknown, extraEnv: Record<string, string> = {}) => {
    current = { ...invokeBundle(event, { ...env, ...extraEnv }, FUNCTION_ARN), event };
    const invocation = await current.done;
    current = undefined;
    invocations.push(invocation);
    return invocation;
  };
  secretsManager.setRotationInvoker(FUNCTION_ARN, async (event) => {
    const invocation = await invoke(event);
    options.onStep?.(event, invocation);
    if (!invocation.ok) {
      throw new Error(
        invocation.error?.errorMessage ?? (invocation.killed ? 'process killed' : 'Task timed out'),
      );
    }
  });

  scheduler.setTargetInvoker(FUNCTION_ARN, async ({ input }) => {
    const invocation = await invoke(input);
    if (!invocation.ok) throw new Error(invocation.error?.errorMessage ?? 'invocation failed');
  });

  return {
    secretsManager,
    factify,
    scheduler,
    kms,
    sealKeyArn: sealKey.arn,
    env,
    invocations,
    running: () => current,
    invoke,
    output: () => invocations.map((invocation) => invocation.output).join(''),
    close: async () => {
      await Promise.allSettled([secretsManager.close(), factify.close(), scheduler.close(), kms.close()]);
    },
  };
}

/** Keeps retrying a failed rotation with the same token, as Secrets Manager does, until it succeeds. */
export async function retryUntilRotated(
  environment: RotationEnvironment,
  secretId: string,
  maxRetries = 4,
): Promise<RotationOutcome[]> {
  const outcomes = [await environment.secretsManager.waitForRotation(secretId, 60_000)];
  while (outcomes.at(-1)?.status === 'failed' && outcomes.length <= maxRetries) {
    outcomes.push(await environment.secretsManager.retryRotation(secretId));
  }
  return outcomes;
}

/**
 * Holds the next `operation` call at `emulator` and kills the invocation that made it as the hold starts:
 * the call is applied afterwards, as a request in flight when a Lambda dies can be. Event-driven, so no
 * poll can lose a race with the hold on a loaded machine; the short hold still ends before the retry,
 * started only once the killed process is reaped, can make a call of its own.
 */
export function killWhileHeld(
  environment: RotationEnvironment,
  emulator: { failNext(operation: string, fault: { hangMs: number; onHeld: () => void }): void },
  operation: string,
): void {
  emulator.failNext(operation, { hangMs: 0, onHeld: () => environment.running()?.kill() });
}
