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

/** The target ("the Lambda") a schedule invokes. Throwing means the target invocation failed. */
export type ScheduleTargetInvoker = (invocation: ScheduledInvocation) => Promise<void>;

/** The outcome of one invocation attempt made by runDue. */
export interface RunOutcome {
  name: string;
  groupName: string;
  ok: boolean;
  /** The failed invocation's error message. */
  error?: string;
  /** 1 for the first invocation, 2 for the first retry, ... */
  attempt: number;
  /**
   * Whether this attempt ended the one-time schedule: it succeeded, or it failed and the retry policy
   * is exhausted (the event would go to the dead-letter queue, if any, or be dropped).
   */
  final: boolean;
  /** Whether the schedule no longer exists afterwards (ActionAfterCompletion DELETE, or the target deleted it). */
  deleted: boolean;
}

/**
 * Fires due one-time schedules as the service would. Per the user guide, a failed invocation is retried
 * "until either the maximum number of attempts is made or until the duration of the
 * MaximumEventAgeInSeconds is reached", and ActionAfterCompletion DELETE deletes a one-time schedule
 * "after the schedule has invoked its target once". The emulator makes one attempt per due schedule per
 * runDue call; a failed attempt with retries left keeps the schedule due for the next runDue, and the
 * last attempt (success, or failure with the policy exhausted) completes the schedule.
 */
export class TargetRunner {
  readonly #invokers = new Map<string, ScheduleTargetInvoker>();

  constructor(private readonly store: ScheduleStore) {}

  setInvoker(targetArn: string, invoker: ScheduleTargetInvoker): void {
    this.#invokers.set(targetArn, invoker);
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
    const error = await this.#invoke(schedule).finally(() => {
      schedule.running = false;
    });
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = schedule.target.RetryPolicy;
    const age = until.getTime() - (schedule.dueAt?.getTime() ?? until.getTime());
    const final =
      error === undefined ||
      schedule.attempts > MaximumRetryAttempts ||
      age >= MaximumEventAgeInSeconds * 1000;
    if (final) {
      schedule.completed = true;
      if (schedule.actionAfterCompletion === 'DELETE') this.store.remove(schedule);
    }
    return {
      name: schedule.name,
      groupName: schedule.groupName,
      ok: error === undefined,
      ...(error !== undefined && { error }),
      attempt: schedule.attempts,
      final,
      deleted: !this.store.holds(schedule),
    };
  }

  /** Resolves with the error message of a failed invocation, or undefined. */
  async #invoke(schedule: ScheduleRecord): Promise<string | undefined> {
    const { Arn, RoleArn, Input } = schedule.target;
    const invoker = this.#invokers.get(Arn);
    // Like a target that does not exist: the invocation fails, and is retried under the policy.
    if (!invoker) return `No target invoker is registered for ${Arn}.`;
    try {
      await invoker({
        name: schedule.name,
        groupName: schedule.groupName,
        targetArn: Arn,
        roleArn: RoleArn,
        input: parseInput(Input),
      });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}

function parseInput(input: string | undefined): unknown {
  if (input === undefined) return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
