import type { ScheduleRecord, ScheduleStore } from './store.js';

/** What the schedule's target receives when it fires: for a Lambda target, the function's event. */
export interface ScheduledInvocation {
  name: string;
  groupName: string;
  targetArn: string;
  roleArn: string;
  /** Target.Input parsed as JSON; the raw text if it is not JSON; undefined without an Input. */
  input: unknown;
}

/**
 * The target a schedule invokes. For a Lambda function it is one run of the function, and throwing is a
 * function error; for any other target it is the delivery itself, and throwing is a failed delivery.
 */
export type ScheduleTargetInvoker = (invocation: ScheduledInvocation) => Promise<void>;

/** What Lambda sends the on-failure destination once an asynchronous event failed its last attempt. */
export interface AsyncFailureRecord {
  requestContext: { functionArn: string; condition: 'RetriesExhausted'; approximateInvokeCount: number };
  requestPayload: unknown;
  responsePayload: { errorMessage: string };
}

/** The function's asynchronous invocation configuration (PutFunctionEventInvokeConfig), as Lambda applies it. */
export interface AsyncInvokeConfig {
  /** Retries after a function error, 0 to 2. @default 2 */
  maximumRetryAttempts?: number;
  /** The on-failure destination. Without one, Lambda discards an event whose last attempt failed. */
  onFailure?: (record: AsyncFailureRecord) => void;
}

/** One run of a Lambda function for a delivered event. */
export interface FunctionRun {
  ok: boolean;
  /** The function error's message. */
  error?: string;
}

/** The outcome of one delivery attempt made by runDue. */
export interface RunOutcome {
  name: string;
  groupName: string;
  /** 1 for the first delivery attempt, 2 for the first retry under the schedule's RetryPolicy, ... */
  attempt: number;
  /**
   * Whether the target accepted the event. For a Lambda function that means Lambda queued the
   * asynchronous invocation, whatever the function then did.
   */
  delivered: boolean;
  /** Why the delivery failed. */
  error?: string;
  /**
   * Whether this attempt ended the one-time schedule: the event was delivered, or delivery failed and
   * the retry policy is exhausted (the event would go to the dead-letter queue, if any, or be dropped).
   */
  final: boolean;
  /** Whether the schedule no longer exists afterwards (ActionAfterCompletion DELETE, or the target deleted it). */
  deleted: boolean;
  /** A Lambda target that accepted the event: each run of the function, Lambda's retries included. */
  runs?: FunctionRun[];
  /**
   * A Lambda target that accepted the event: a run succeeded, or every run failed and the event went to
   * the on-failure destination or, without one, was dropped.
   */
  result?: 'succeeded' | 'sent to on-failure destination' | 'dropped';
}

/** Lambda's default for asynchronous invocations: two retries after a function error. */
const DEFAULT_ASYNC_RETRIES = 2;

const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;

interface Target {
  invoker: ScheduleTargetInvoker;
  config: AsyncInvokeConfig;
}

/**
 * Fires due one-time schedules as the service would. The user guide says Scheduler invokes a Lambda
 * function asynchronously, so delivery ends when Lambda accepts the event: a function error is no failed
 * delivery but goes through Lambda's asynchronous retry policy (by default two retries, then the
 * on-failure destination if one is configured, else the event is dropped). The schedule's RetryPolicy
 * covers only failed deliveries: it is retried "until either the maximum number of attempts is made or
 * until the duration of the MaximumEventAgeInSeconds is reached". ActionAfterCompletion DELETE deletes a
 * one-time schedule "after the schedule has invoked its target once".
 *
 * The emulator makes one delivery attempt per due schedule per runDue call; a failed one with retries
 * left keeps the schedule due for the next runDue. Lambda's retries of a delivered event run at once
 * within the same runDue (Lambda waits one, then two minutes; nothing here depends on those waits), and
 * runDue resolves once the event is settled, so a test sees the function's effects.
 */
export class TargetRunner {
  readonly #targets = new Map<string, Target>();

  constructor(private readonly store: ScheduleStore) {}

  setInvoker(targetArn: string, invoker: ScheduleTargetInvoker, config: AsyncInvokeConfig = {}): void {
    const retries = config.maximumRetryAttempts;
    if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 2)) {
      throw new Error(`maximumRetryAttempts must be 0, 1 or 2 (Lambda's range), not ${retries}.`);
    }
    if (!LAMBDA_FUNCTION_ARN.test(targetArn) && Object.keys(config).length > 0) {
      throw new Error(
        `An asynchronous invocation configuration applies to Lambda functions only: ${targetArn}.`,
      );
    }
    this.#targets.set(targetArn, { invoker, config });
  }

  async runDue(until: Date): Promise<RunOutcome[]> {
    const due = this.store
      .all()
      .filter(
        (schedule) =>
          schedule.state === 'ENABLED' &&
          !schedule.completed &&
          !schedule.running &&
          schedule.dueAt !== undefined &&
          schedule.dueAt.getTime() <= until.getTime(),
      )
      .sort((a, b) => (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0));
    const outcomes: RunOutcome[] = [];
    for (const schedule of due) {
      // An earlier target may have deleted this schedule meanwhile.
      if (this.store.holds(schedule)) outcomes.push(await this.#attempt(schedule, until));
    }
    return outcomes;
  }

  async #attempt(schedule: ScheduleRecord, until: Date): Promise<RunOutcome> {
    schedule.running = true;
    schedule.attempts += 1;
    const invocation = toInvocation(schedule);
    const target = this.#targets.get(invocation.targetArn);
    const isFunction = LAMBDA_FUNCTION_ARN.test(invocation.targetArn);
    const error = await this.#deliver(invocation, target, isFunction).finally(() => {
      schedule.running = false;
    });
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = schedule.target.RetryPolicy;
    const age = until.getTime() - (schedule.dueAt?.getTime() ?? until.getTime());
    const final =
      error === undefined ||
      schedule.attempts > MaximumRetryAttempts ||
      age >= MaximumEventAgeInSeconds * 1000;
    // The schedule is done once its target has the event: a DELETE schedule is gone before the function runs.
    if (final) {
      schedule.completed = true;
      if (schedule.actionAfterCompletion === 'DELETE') this.store.remove(schedule);
    }
    const outcome: RunOutcome = {
      name: schedule.name,
      groupName: schedule.groupName,
      attempt: schedule.attempts,
      delivered: error === undefined,
      ...(error !== undefined && { error }),
      final,
      deleted: !this.store.holds(schedule),
    };
    if (error !== undefined || !isFunction || !target) return outcome;
    const settled = await invokeAsynchronously(invocation, target);
    return { ...outcome, ...settled, deleted: !this.store.holds(schedule) };
  }

  /** Resolves with why the delivery failed, or undefined once the target has the event. */
  async #deliver(
    invocation: ScheduledInvocation,
    target: Target | undefined,
    isFunction: boolean,
  ): Promise<string | undefined> {
    // Like a target that does not exist: the delivery fails, and is retried under the schedule's policy.
    if (!target) return `No target invoker is registered for ${invocation.targetArn}.`;
    // Lambda queues an asynchronous invocation of an existing function: delivered.
    if (isFunction) return undefined;
    return errorOf(target.invoker, invocation);
  }
}

/** Lambda's handling of one queued event: the first run, its retries, then the on-failure destination. */
async function invokeAsynchronously(
  invocation: ScheduledInvocation,
  { invoker, config }: Target,
): Promise<Pick<RunOutcome, 'runs' | 'result'>> {
  const runs: FunctionRun[] = [];
  const attempts = 1 + (config.maximumRetryAttempts ?? DEFAULT_ASYNC_RETRIES);
  while (runs.length < attempts) {
    const error = await errorOf(invoker, invocation);
    runs.push(error === undefined ? { ok: true } : { ok: false, error });
    if (error === undefined) return { runs, result: 'succeeded' };
  }
  if (!config.onFailure) return { runs, result: 'dropped' };
  config.onFailure({
    requestContext: {
      functionArn: invocation.targetArn,
      condition: 'RetriesExhausted',
      approximateInvokeCount: runs.length,
    },
    requestPayload: invocation.input,
    responsePayload: { errorMessage: runs.at(-1)?.error ?? '' },
  });
  return { runs, result: 'sent to on-failure destination' };
}

/** Runs the invoker; resolves with the message of what it threw, or undefined. */
async function errorOf(
  invoker: ScheduleTargetInvoker,
  invocation: ScheduledInvocation,
): Promise<string | undefined> {
  try {
    await invoker(invocation);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function toInvocation(schedule: ScheduleRecord): ScheduledInvocation {
  const { Arn, RoleArn, Input } = schedule.target;
  return {
    name: schedule.name,
    groupName: schedule.groupName,
    targetArn: Arn,
    roleArn: RoleArn,
    input: parseInput(Input),
  };
}

function parseInput(input: string | undefined): unknown {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
