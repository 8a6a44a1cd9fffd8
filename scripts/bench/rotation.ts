import { performance } from 'node:perf_hooks';
import type { RotationEvent } from '../../test/emulators/secrets-manager.js';
import {
  FUNCTION_ARN,
  type RotationEnvironment,
  startRotationEnvironment,
} from '../../test/support/rotation-environment.js';
import { rotateSecret, seedSecret } from '../../test/support/seeded-secret.js';
import { median, tally } from './stats.js';
import { startWarmLambda, type WarmLambda } from './warm-lambda.js';

/** Lambda's timeout for each step in these runs (the e2e tests' figure). */
const STEP_TIMEOUT_MS = 60_000;
const ROTATION_TIMEOUT_MS = 120_000;

export interface RotationFigures {
  /** Import of the bundle inside the fresh process (the Lambda init phase). */
  readonly importMs: number;
  /** The first invocation in the fresh process: createSecret of the secret's first rotation. */
  readonly firstInvocationMs: number;
  /** createSecret of a later, ordinary rotation in the same process, for comparison. */
  readonly warmCreateSecretMs: number;
  /** Peak RSS of a fresh process over one complete rotation (all four steps in that one process). */
  readonly peakRssMb: number;
  /** The same process's peak RSS after all the warm rotations. */
  readonly peakRssAfterAllMb: number;
  /** The highest peak RSS of any one-step process in the cold rotations. */
  readonly coldStepPeakRssMb: number;
  /** Secrets Manager calls by operation in an ordinary rotation (the scheduler's RotateSecret excluded). */
  readonly secretsManagerCalls: Record<string, number>;
  /** Factify requests by method and path in an ordinary rotation. */
  readonly factifyCalls: Record<string, number>;
  /** Whether every ordinary rotation made the same calls. */
  readonly callsStable: boolean;
  /** TCP connections the warm process opened during an ordinary rotation. */
  readonly connectionsPerRotation: number;
  /** Median wall time of an ordinary rotation, RotateSecret to outcome, all steps in one warm process. */
  readonly warmWallMs: number;
  /** Median step durations of the ordinary warm rotations. */
  readonly warmStepMs: Record<string, number>;
  /** Median wall time of a rotation with each step in a fresh process, as the e2e tests run it. */
  readonly coldWallMs: number;
  readonly warmRotations: number;
  readonly coldRotations: number;
}

async function rotateOnce(environment: RotationEnvironment, arn: string): Promise<number> {
  const started = performance.now();
  await rotateSecret(environment, arn);
  const outcome = await environment.secretsManager.waitForRotation(arn, ROTATION_TIMEOUT_MS);
  if (outcome.status !== 'succeeded') {
    throw new Error(
      `A benchmark rotation did not succeed (${outcome.status} in ${outcome.failedStep}: ${outcome.errorMessage})`,
    );
  }
  return performance.now() - started;
}

/** One request's operation with ids taken out, e.g. "DELETE /v1/api-keys/{id}". */
function factifyOperation(request: { method: string; path: string }): string {
  return `${request.method} ${request.path.replace(/\/key_[0-9a-z]+$/, '/{id}')}`;
}

/**
 * Single-secret figures. Warm: a fresh process imports the bundle and serves every step of the secret's
 * first rotation and of `warmRotations` ordinary ones, as one Lambda container reused across steps does;
 * its peak RSS after the first rotation is the budget figure, since a container serves a whole rotation.
 * Cold: `coldRotations` rotations with each step in a fresh process, as the e2e tests run the bundle.
 */
export async function measureRotation(
  warmRotations: number,
  coldRotations: number,
): Promise<RotationFigures> {
  const environment = await startRotationEnvironment();
  let warm: WarmLambda | undefined;
  try {
    const seeded = seedSecret(environment);
    warm = await startWarmLambda(environment.env);
    const lambda = warm;
    let steps: { step: string; durationMs: number }[] = [];
    environment.secretsManager.setRotationInvoker(FUNCTION_ARN, async (event: RotationEvent) => {
      const invocation = await lambda.invoke(event, STEP_TIMEOUT_MS);
      steps.push({ step: event.Step, durationMs: invocation.durationMs });
      if (!invocation.ok) {
        throw new Error(invocation.error?.errorMessage ?? 'the invocation timed out');
      }
    });

    await rotateOnce(environment, seeded.arn);
    const afterFirst = await warm.stats();
    const firstInvocationMs = steps[0]?.durationMs ?? Number.NaN;

    const walls: number[] = [];
    const stepTimes: Record<string, number[]> = {};
    const callSets: string[] = [];
    let secretsManagerCalls: Record<string, number> = {};
    let factifyCalls: Record<string, number> = {};
    let connectionsPerRotation = 0;
    for (let rotation = 0; rotation < warmRotations; rotation++) {
      environment.secretsManager.resetCalls();
      environment.factify.resetRequests();
      steps = [];
      const before = await warm.stats();
      walls.push(await rotateOnce(environment, seeded.arn));
      const after = await warm.stats();
      for (const { step, durationMs } of steps) {
        stepTimes[step] = [...(stepTimes[step] ?? []), durationMs];
      }
      const sm = tally(
        environment.secretsManager.calls
          .map((call) => call.operation)
          .filter((operation) => operation !== 'RotateSecret'),
      );
      const ff = tally(environment.factify.requests.map(factifyOperation));
      callSets.push(JSON.stringify([sm, ff]));
      if (rotation === 0) {
        secretsManagerCalls = sm;
        factifyCalls = ff;
        connectionsPerRotation = after.connections - before.connections;
      }
    }
    const afterAll = await warm.stats();
    await warm.close();
    warm = undefined;

    // Cold: the environment's own invoker, a fresh process per step.
    environment.secretsManager.setRotationInvoker(FUNCTION_ARN, async (event: RotationEvent) => {
      const invocation = await environment.invoke(event);
      if (!invocation.ok) throw new Error(invocation.error?.errorMessage ?? 'the invocation failed');
    });
    const coldWalls: number[] = [];
    const before = environment.invocations.length;
    for (let rotation = 0; rotation < coldRotations; rotation++) {
      coldWalls.push(await rotateOnce(environment, seeded.arn));
    }
    const coldRss = environment.invocations.slice(before).map((invocation) => invocation.maxRssKb ?? 0);

    return {
      importMs: afterFirst.importMs,
      firstInvocationMs,
      warmCreateSecretMs: median(stepTimes.createSecret ?? [Number.NaN]),
      peakRssMb: afterFirst.maxRssKb / 1024,
      peakRssAfterAllMb: afterAll.maxRssKb / 1024,
      coldStepPeakRssMb: Math.max(...coldRss) / 1024,
      secretsManagerCalls,
      factifyCalls,
      callsStable: new Set(callSets).size === 1,
      connectionsPerRotation,
      warmWallMs: median(walls),
      warmStepMs: Object.fromEntries(Object.entries(stepTimes).map(([step, times]) => [step, median(times)])),
      coldWallMs: median(coldWalls),
      warmRotations,
      coldRotations,
    };
  } finally {
    await warm?.close();
    await environment.close();
  }
}
