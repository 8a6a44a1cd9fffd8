import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { AWSCURRENT, AWSPENDING, pendingRotationVersion, type SecretRecord } from './store.js';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** The event Secrets Manager sends the rotation Lambda, once per step. */
export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
  RotationToken: string;
}

/** How the emulator "invokes the rotation Lambda" for RotateSecret. Throwing = the step failed. */
export type RotationInvoker = (event: RotationEvent) => Promise<void>;

export type ServiceEventName =
  | 'RotationStarted'
  | 'RotationSucceeded'
  | 'RotationFailed'
  | 'RotationAbandoned'
  | 'TestRotationStarted'
  | 'TestRotationSucceeded'
  | 'TestRotationFailed';

/** A CloudTrail `AwsServiceEvent` as Secrets Manager logs it for rotations. */
export interface ServiceEvent {
  eventName: ServiceEventName;
  eventTime: Date;
  /** The secret's ARN (CloudTrail's `additionalEventData.SecretId`). */
  secretId: string;
  /** The ClientRequestToken of the rotation. */
  versionId: string;
  /** On failures: "Error when executing lambda <arn> during <step> step: <thrown message>". */
  errorMessage?: string;
}

/**
 * How a rotation started by RotateSecret ended. `kind` 'test' is the RotateImmediately=false
 * configuration test. 'abandoned' means a manual write replaced the pending version, 'cancelled' that
 * CancelRotateSecret stopped it.
 */
export interface RotationOutcome {
  kind: 'rotation' | 'test';
  status: 'succeeded' | 'failed' | 'abandoned' | 'cancelled';
  versionId: string;
  failedStep?: RotationStep;
  errorMessage?: string;
}

interface Run {
  readonly secret: SecretRecord;
  readonly kind: RotationOutcome['kind'];
  readonly versionId: string;
  /** Issued once per rotation; retries reuse it, as they reuse the ClientRequestToken. */
  readonly rotationToken: string;
  readonly lambdaArn: string;
  status: 'running' | RotationOutcome['status'];
  step?: RotationStep;
  failure?: { step: RotationStep; message: string };
  /** The current attempt, set when it is launched and replaced when the rotation is retried. */
  attempt?: Promise<RotationOutcome>;
}

const ROTATION_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const CONFIGURATION_TEST_STEPS: readonly RotationStep[] = ['testSecret'];

/** Runs rotations the way Secrets Manager does: asynchronously, one Lambda invocation per step. */
export class RotationEngine {
  readonly #invokers = new Map<string, RotationInvoker>();
  /** The latest rotation RotateSecret started, per secret ARN. */
  readonly #runs = new Map<string, Run>();
  readonly #events: ServiceEvent[] = [];
  readonly #closing = new AbortController();

  constructor() {
    // Every pending wait() listens for close(): a benchmark waits on hundreds of rotations at once.
    setMaxListeners(0, this.#closing.signal);
  }

  setInvoker(lambdaArn: string, invoker: RotationInvoker): void {
    this.#invokers.set(lambdaArn, invoker);
  }

  canInvoke(lambdaArn: string): boolean {
    return this.#invokers.has(lambdaArn);
  }

  /** Starts a rotation whose AWSPENDING placeholder `versionId` already exists. */
  start(secret: SecretRecord, kind: Run['kind'], versionId: string, lambdaArn: string): void {
    const run: Run = { secret, kind, versionId, rotationToken: randomUUID(), lambdaArn, status: 'running' };
    this.#launch(run);
    this.#runs.set(secret.arn, run);
  }

  /**
   * Re-runs a failed rotation from createSecret with the same ClientRequestToken and RotationToken, as
   * Secrets Manager's own retries do ("if any rotation step fails, Secrets Manager retries the entire
   * rotation process"). A failure after finishSecret moved AWSCURRENT is retried too: the docs do not
   * exempt it, and a function must not depend on that retry not happening (or happening). Throws if the
   * last rotation did not fail, or its version has since lost both AWSPENDING and AWSCURRENT.
   */
  retry(secret: SecretRecord): Promise<RotationOutcome> {
    const run = this.#runs.get(secret.arn);
    const stages = secret.versions.get(run?.versionId ?? '')?.stages;
    if (run?.status !== 'failed' || !(stages?.has(AWSPENDING) || stages?.has(AWSCURRENT))) {
      throw new Error(`No failed rotation of ${secret.name} is waiting for a retry.`);
    }
    return this.#launch(run);
  }

  /** The rotation that owns the pending version: running, or failed and waiting for a retry. */
  outstanding(secret: SecretRecord): Run | undefined {
    const run = this.#runs.get(secret.arn);
    if (run?.status === 'running') return run;
    if (run?.status === 'failed' && pendingRotationVersion(secret)?.id === run.versionId) return run;
    return undefined;
  }

  acceptsRotationToken(secret: SecretRecord, rotationToken: string): boolean {
    return this.outstanding(secret)?.rotationToken === rotationToken;
  }

  /**
   * A manual write replaced the pending version: Secrets Manager removes AWSPENDING from it "to allow
   * future rotations to succeed" and logs RotationAbandoned. No further steps are invoked.
   */
  abandon(secret: SecretRecord): void {
    const run = this.outstanding(secret);
    const pending = pendingRotationVersion(secret);
    if (!run || !pending || pending.id !== run.versionId) return;
    run.status = 'abandoned';
    pending.stages.delete(AWSPENDING);
    this.#emit(run, 'RotationAbandoned');
  }

  /** CancelRotateSecret: stop invoking steps, but leave the labels for the caller to clean up. */
  cancel(secret: SecretRecord): void {
    const run = this.outstanding(secret);
    if (run) run.status = 'cancelled';
  }

  /** Resolves with the outcome of the latest rotation of `secret` once it has finished. */
  wait(secret: SecretRecord, timeoutMs: number): Promise<RotationOutcome> {
    const run = this.#runs.get(secret.arn);
    const attempt = run?.attempt;
    if (!run || !attempt) return Promise.reject(new Error(`No rotation of ${secret.name} was started.`));
    return new Promise((resolve, reject) => {
      const settle = (finish: () => void) => {
        clearTimeout(timer);
        this.#closing.signal.removeEventListener('abort', onClose);
        finish();
      };
      const onClose = () => settle(() => reject(new Error('The emulator was closed during the rotation.')));
      const timer = setTimeout(() => {
        const where = run.step ? `in its ${run.step} step` : 'not started';
        settle(() => reject(new Error(`Rotation of ${secret.name} still ${where} after ${timeoutMs} ms.`)));
      }, timeoutMs);
      this.#closing.signal.addEventListener('abort', onClose);
      void attempt.then((outcome) => settle(() => resolve(outcome)));
    });
  }

  events(secretArn?: string): ServiceEvent[] {
    return this.#events.filter((event) => secretArn === undefined || event.secretId === secretArn);
  }

  /** Stops invoking steps and rejects pending waits. */
  close(): void {
    this.#closing.abort();
  }

  #launch(run: Run): Promise<RotationOutcome> {
    // Looked up per attempt so a test can replace a failing Lambda before retrying.
    const invoker = this.#invokers.get(run.lambdaArn);
    if (!invoker) throw new Error(`No rotation invoker is registered for ${run.lambdaArn}.`);
    run.status = 'running';
    delete run.failure;
    // Secrets Manager answers RotateSecret first and invokes the Lambda afterwards.
    run.attempt = new Promise((resolve) => setImmediate(() => resolve(this.#execute(run, invoker))));
    return run.attempt;
  }

  async #execute(run: Run, invoker: RotationInvoker): Promise<RotationOutcome> {
    const test = run.kind === 'test';
    this.#emit(run, test ? 'TestRotationStarted' : 'RotationStarted');
    for (const step of test ? CONFIGURATION_TEST_STEPS : ROTATION_STEPS) {
      if (this.#closing.signal.aborted) run.status = 'cancelled';
      if (run.status !== 'running') return this.#finish(run);
      run.step = step;
      try {
        await invoker(this.#event(run, step));
      } catch (error) {
        // A step that fails after the rotation was abandoned or cancelled no longer decides its outcome.
        if (run.status === 'running') {
          run.status = 'failed';
          run.failure = { step, message: error instanceof Error ? error.message : String(error) };
          this.#emit(run, test ? 'TestRotationFailed' : 'RotationFailed');
        }
        return this.#finish(run);
      }
    }
    if (run.status === 'running') {
      run.status = 'succeeded';
      if (!test) run.secret.rotation.lastRotatedDate = new Date();
      this.#emit(run, test ? 'TestRotationSucceeded' : 'RotationSucceeded');
    }
    return this.#finish(run);
  }

  #event(run: Run, step: RotationStep): RotationEvent {
    return {
      Step: step,
      SecretId: run.secret.arn,
      ClientRequestToken: run.versionId,
      RotationToken: run.rotationToken,
    };
  }

  #finish(run: Run): RotationOutcome {
    // The configuration test "creates an AWSPENDING version of the secret and then removes it".
    if (run.kind === 'test') run.secret.versions.delete(run.versionId);
    const { status } = run;
    if (status === 'running') throw new Error('A rotation cannot finish while it is running.');
    return {
      kind: run.kind,
      status,
      versionId: run.versionId,
      ...(run.failure && { failedStep: run.failure.step, errorMessage: run.failure.message }),
    };
  }

  #emit(run: Run, eventName: ServiceEventName): void {
    this.#events.push({
      eventName,
      eventTime: new Date(),
      secretId: run.secret.arn,
      versionId: run.versionId,
      ...(run.failure && {
        errorMessage: `Error when executing lambda ${run.lambdaArn} during ${run.failure.step} step: ${run.failure.message}`,
      }),
    });
  }
}
