import { expect } from 'vitest';
import type { CallInterceptor, InFlightCrash, InterceptedCall } from '../emulators/interception.js';
import {
  type RotationEnvironment,
  retryUntilRotated,
  SCHEDULE_GROUP_ENV,
  startRotationEnvironment,
} from './rotation-environment.js';
import { expectRotated, keyWorks, rotateSecret, type SeededSecret, seedSecret } from './seeded-secret.js';

/** A way the function is deployed: the matrix crashes every call of each. */
export interface MatrixConfiguration {
  readonly name: string;
  /** The rotated secret's keys are managed by an admin key from FACTIFY_ADMIN_SECRET_ID. */
  readonly admin?: boolean;
  /** REVOKE_GRACE_SECONDS: the replaced key is revoked later, by a schedule. */
  readonly graceSeconds?: number;
}

/** One external call of a clean rotation: the `index`th call (from 1) of the invocation running `step`. */
export interface RecordedCall extends InterceptedCall {
  /** The rotation step, or the Action of a scheduled invocation (revokeReplacedKey). */
  readonly step: string;
  readonly index: number;
}

/** lost: never applied. applied: applied, and its answer lost with the process. */
export type CrashMode = 'lost' | 'applied';

export interface CrashPoint extends RecordedCall {
  readonly mode: CrashMode;
}

const SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/factify-revoke-scheduler';
// How many times Secrets Manager retries the whole rotation is undocumented; one retry should do after
// one crash, and a few more show a rotation that converges slowly instead of failing it outright.
const MAX_ROTATION_RETRIES = 4;

/**
 * Whether a call can change state, so that crashing after it was applied differs from losing it. By the
 * services' own conventions: AWS names its reads Describe*, Get*, List*; Factify reads with GET. Anything
 * else counts as a write, so an unknown call gets both crashes rather than too few.
 */
function isWrite(call: InterceptedCall): boolean {
  const [method = ''] = call.operation.split(' ');
  if (call.service === 'factify') return !['GET', 'HEAD'].includes(method);
  return !/^(Describe|Get|List|BatchGet)[A-Z]/.test(call.operation);
}

/** Every crash point of a recording: each call lost, and each write applied with its answer lost. */
export function crashPoints(recording: readonly RecordedCall[]): CrashPoint[] {
  return recording.flatMap((call) => [
    { ...call, mode: 'lost' as const },
    ...(isWrite(call) ? [{ ...call, mode: 'applied' as const }] : []),
  ]);
}

export function describeCrashPoint(point: CrashPoint): string {
  const how = point.mode === 'lost' ? 'lost' : 'applied, answer lost';
  return `${point.step} / call ${point.index} ${point.service} ${point.operation} / ${how}`;
}

/**
 * Runs every request the function makes through `decide`, numbered per invocation and labelled with the
 * invocation's step. Requests made while no invocation runs (the test's own) pass untouched.
 */
function tapCalls(
  environment: RotationEnvironment,
  decide: (call: RecordedCall, kill: () => Promise<void>) => InFlightCrash | undefined,
): void {
  const counts = new WeakMap<object, number>();
  const interceptor: CallInterceptor = (call) => {
    const running = environment.running();
    if (running === undefined) return undefined;
    const index = (counts.get(running) ?? 0) + 1;
    counts.set(running, index);
    const kill = async () => {
      running.kill();
      await running.done;
    };
    return decide({ ...call, step: stepOf(running.event), index }, kill);
  };
  environment.secretsManager.intercept(interceptor);
  environment.scheduler.intercept(interceptor);
  environment.kms.intercept(interceptor);
  environment.factify.intercept(interceptor);
}

function stepOf(event: unknown): string {
  const { Step, Action } = (event ?? {}) as { Step?: unknown; Action?: unknown };
  return String(Step ?? Action ?? 'unknown');
}

interface Scenario {
  readonly environment: RotationEnvironment;
  readonly seeded: SeededSecret;
}

async function startScenario(configuration: MatrixConfiguration): Promise<Scenario> {
  const grace = configuration.graceSeconds ?? 0;
  const environment = await startRotationEnvironment({
    env:
      grace > 0
        ? {
            REVOKE_GRACE_SECONDS: String(grace),
            REVOKE_SCHEDULER_ROLE_ARN: SCHEDULER_ROLE_ARN,
            ...SCHEDULE_GROUP_ENV,
          }
        : {},
  });
  const seeded = seedSecret(environment, { admin: configuration.admin === true });
  if (configuration.admin) {
    const { adminSecretArn } = seeded as SeededSecret & { adminSecretArn?: string };
    environment.env.FACTIFY_ADMIN_SECRET_ID = String(adminSecretArn);
  }
  return { environment, seeded };
}

/**
 * A whole rotation as the services drive it: RotateSecret, Secrets Manager's retries of the whole rotation
 * with the same token until it succeeds, and with a grace period, the revocation schedule firing once the
 * grace is over.
 */
async function rotate({ environment, seeded }: Scenario, configuration: MatrixConfiguration) {
  const versionId = await rotateSecret(environment, seeded.arn);
  const outcomes = await retryUntilRotated(environment, seeded.arn, MAX_ROTATION_RETRIES);
  expect(outcomes.at(-1)?.status, 'the rotation succeeds after Secrets Manager retries it').toBe('succeeded');
  const grace = configuration.graceSeconds ?? 0;
  if (grace > 0) {
    const schedules = environment.scheduler.schedules();
    expect(schedules, 'the revocation is scheduled exactly once').toHaveLength(1);
    expect(JSON.parse(String(schedules[0]?.target.Input))).toMatchObject({
      ApiKeyId: seeded.initialKey.id,
      VersionId: seeded.initialVersionId,
    });
    expect(environment.factify.deleteCalls(seeded.initialKey.id), 'no revoke before the grace is over').toBe(
      0,
    );
    expect(await keyWorks(environment, seeded.initialKey.key)).toBe(true);
    // Scheduler invokes the function asynchronously: Lambda retries a killed run with the same event.
    const [delivery] = await environment.scheduler.runDue(new Date(Date.now() + (grace + 60) * 1000));
    expect(delivery?.result, 'the scheduled revocation ends').toBe('succeeded');
    expect(environment.scheduler.schedules(), 'the revocation schedule is done').toEqual([]);
  }
  return { versionId, outcomes };
}

/**
 * A clean rotation of `configuration`, recording every external call of every invocation: the matrix's
 * list of crash points, so that a call the function makes later is crashed too without anyone listing it.
 */
export async function recordRotation(configuration: MatrixConfiguration): Promise<RecordedCall[]> {
  const scenario = await startScenario(configuration);
  try {
    const recording: RecordedCall[] = [];
    tapCalls(scenario.environment, (call) => {
      recording.push(call);
      return undefined;
    });
    const { versionId, outcomes } = await rotate(scenario, configuration);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded']);
    await expectRotated(scenario.environment, scenario.seeded, versionId);
    return recording;
  } finally {
    await scenario.environment.close();
  }
}

/**
 * Rotates with the function process killed while the call of `point` is in flight, lost or applied, then
 * lets the services retry as they do, and asserts the end state of an undisturbed rotation.
 */
export async function runCrashPoint(configuration: MatrixConfiguration, point: CrashPoint): Promise<void> {
  const scenario = await startScenario(configuration);
  try {
    let reached: RecordedCall | undefined;
    tapCalls(scenario.environment, (call, kill) => {
      if (reached !== undefined || call.step !== point.step || call.index !== point.index) return undefined;
      reached = call;
      // A different call here means the rotation no longer makes the recorded calls: do not crash blindly.
      if (call.service !== point.service || call.operation !== point.operation) return undefined;
      return { applied: point.mode === 'applied', crash: kill };
    });

    const { versionId, outcomes } = await rotate(scenario, configuration);

    expect(reached && `${reached.service} ${reached.operation}`, 'the crashed call').toBe(
      `${point.service} ${point.operation}`,
    );
    const killed = scenario.environment.invocations.filter((invocation) => invocation.killed);
    expect(killed, 'one invocation was killed').toHaveLength(1);
    if (point.step !== 'revokeReplacedKey') expect(outcomes[0]?.status).toBe('failed');
    await expectRotated(scenario.environment, scenario.seeded, versionId);
    expectEachKeyRevokedByOneDelete(scenario);
  } finally {
    await scenario.environment.close();
  }
}

/**
 * Every revoke request revoked a key: none was sent twice for one key (a retry must look before it revokes
 * again), and none went to a key left active.
 */
function expectEachKeyRevokedByOneDelete({ environment, seeded }: Scenario): void {
  const keys = environment.factify.keys(seeded.orgId, { includeRevoked: true });
  const deletes = Object.fromEntries(keys.map((key) => [key.id, environment.factify.deleteCalls(key.id)]));
  const revocations = Object.fromEntries(
    keys.map((key) => [key.id, environment.factify.revocations(key.id)]),
  );
  expect(deletes, 'DELETE requests per key').toEqual(revocations);
}
