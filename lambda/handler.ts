import type { Context } from 'aws-lambda';
import { loadConfig } from './config.js';
import { type InvocationEvent, parseEvent, type Step } from './event.js';
import { FactifyClient } from './factify/client.js';
import { FactifyHttp } from './factify/http.js';
import { checkRotationState } from './guard.js';
import { Logger } from './log.js';
import type { FactifyKeys, SecretStore } from './ports.js';
import { SecretsManagerStore } from './secrets-manager-store.js';
import { redact } from './sensitive.js';
import type { StepContext } from './steps/context.js';
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
  readonly store: SecretStore;
  factify(options: { baseUrl: string; remainingMs: () => number; log: Logger }): FactifyKeys;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

let defaultStore: SecretsManagerStore | undefined;

function defaultDependencies(): Dependencies {
  // One SDK client per container: its connections are reused across invocations.
  defaultStore ??= new SecretsManagerStore();
  return {
    store: defaultStore,
    factify: (options) => new FactifyClient(new FactifyHttp(options)),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
  };
}

// Without a Lambda context (a local run), assume Lambda's maximum timeout.
const NO_CONTEXT_REMAINING_MS = 15 * 60 * 1000;

/**
 * Builds the Lambda handler: parse the event, read the configuration (both before any call), then either
 * start a rotation (console invocation) or run the staging guard and dispatch one rotation step.
 */
export function createHandler(dependencies: () => Dependencies = defaultDependencies) {
  return async function handler(
    event: unknown,
    context?: Partial<Context>,
  ): Promise<{ VersionId: string } | undefined> {
    const started = Date.now();
    const remainingMs = () =>
      context?.getRemainingTimeInMillis?.() ?? NO_CONTEXT_REMAINING_MS - (Date.now() - started);
    let log = new Logger({ requestId: context?.awsRequestId });
    let parsed: InvocationEvent | undefined;
    try {
      parsed = parseEvent(event);
      log = log.child(
        parsed.kind === 'rotation-step'
          ? { secretId: parsed.secretId, step: parsed.step, versionId: parsed.token }
          : { secretId: parsed.secretId, step: 'startRotation' },
      );
      const config = loadConfig(process.env);
      const deps = dependencies();

      if (parsed.kind === 'start-rotation') {
        const versionId = await deps.store.startRotation(parsed.secretId);
        log.info('Started a rotation', { versionId, outcome: 'started' });
        return { VersionId: versionId };
      }

      const state = await checkRotationState(deps.store, parsed.secretId, parsed.token);
      const ctx: StepContext = {
        secret: state.secret,
        token: parsed.token,
        ...(parsed.rotationToken === undefined ? {} : { rotationToken: parsed.rotationToken }),
        alreadyCurrent: state.alreadyCurrent,
        store: deps.store,
        factify: deps.factify({ baseUrl: config.factifyApiUrl, remainingMs, log }),
        ...(config.adminSecretId === undefined ? {} : { adminSecretId: config.adminSecretId }),
        log,
        remainingMs,
        sleep: deps.sleep,
        now: deps.now,
      };
      await STEP_HANDLERS[parsed.step](ctx);
      log.info('Step succeeded', { outcome: 'succeeded', durationMs: Date.now() - started });
      return undefined;
    } catch (error) {
      if (error instanceof Error) {
        // Defence in depth: whatever the source of the message, it leaves this function scrubbed.
        error.message = redact(error.message);
        if (error.stack) error.stack = redact(error.stack);
      }
      log.error('Step failed', { outcome: 'failed', durationMs: Date.now() - started, error });
      throw error;
    }
  };
}
