/**
 * A loopback emulator of the EventBridge Scheduler operations the grace period uses, for tests that
 * drive the real AWS SDK v3 client (`@aws-sdk/client-scheduler`, restJson1). Its semantics follow the
 * EventBridge Scheduler API reference and user guide, never the code under test.
 *
 * Implemented: CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules. Schedules never fire on
 * their own: runDue() fires the due one-time (at()) schedules through registered target invokers, at a
 * time the test chooses. A Lambda target is invoked asynchronously, as the service does: see runDue.
 */
import { SchedulerClient, type SchedulerClientConfig } from '@aws-sdk/client-scheduler';
import { LoopbackEmulator } from './aws/emulator.js';
import { type Fault, LoopbackServer } from './aws/loopback-server.js';
import type { CallInterceptor } from './interception.js';
import { schedulerOperations } from './scheduler/operations.js';
import {
  type AsyncInvokeConfig,
  type RunOutcome,
  type ScheduleTargetInvoker,
  TargetRunner,
} from './scheduler/runner.js';
import { type CallRecord, RestJsonProtocol } from './scheduler/server.js';
import {
  type ActionAfterCompletion,
  type FlexibleTimeWindowRecord,
  type ScheduleState,
  ScheduleStore,
  type TargetRecord,
} from './scheduler/store.js';

export type { ErrorFault, Fault, HangFault } from './aws/loopback-server.js';
export type {
  AsyncFailureRecord,
  AsyncInvokeConfig,
  FunctionRun,
  RunOutcome,
  ScheduledInvocation,
  ScheduleTargetInvoker,
} from './scheduler/runner.js';
export type { CallRecord } from './scheduler/server.js';

export interface SchedulerEmulatorOptions {
  /** @default 'us-east-1' */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
  /** The service's clock: CreationDate, the past-at() check and runDue's default. @default () => new Date() */
  now?: () => Date;
  /**
   * The API reference says nothing about an at() time already past at CreateSchedule. By default the
   * emulator accepts it, and the schedule is due at the next runDue; `'reject'` fails such a request
   * with ValidationException instead, for tests that must hold either way.
   * @default 'accept'
   */
  pastAtTime?: 'accept' | 'reject';
}

/** A schedule as stored, for assertions. */
export interface ScheduleSnapshot {
  name: string;
  groupName: string;
  arn: string;
  scheduleExpression: string;
  timezone: string;
  state: ScheduleState;
  actionAfterCompletion: ActionAfterCompletion;
  /** As GetSchedule returns it: RetryPolicy holds the documented defaults when none was given. */
  target: TargetRecord;
  flexibleTimeWindow: FlexibleTimeWindowRecord;
  createdAt: Date;
  /** When an at() schedule is due (its time in its time zone); undefined for rate() and cron(). */
  dueAt: Date | undefined;
  /** Delivery attempts runDue made so far. */
  attempts: number;
  /** Whether the one-time event was delivered or ran out of delivery retries (a kept NONE schedule). */
  completed: boolean;
}

export interface SchedulerEmulator {
  /** `http://127.0.0.1:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_SCHEDULER`. */
  readonly endpoint: string;
  readonly region: string;
  /** Every request received, in order, faulted ones included. */
  readonly calls: ReadonlyArray<CallRecord>;
  resetCalls(): void;
  /**
   * A real SDK client for this emulator (dummy credentials). Pass e.g. `{ maxAttempts: 1 }` to see a
   * single failure instead of the SDK's retries. close() destroys it.
   */
  client(config?: Omit<SchedulerClientConfig, 'endpoint' | 'region' | 'credentials'>): SchedulerClient;
  /**
   * Fails or delays the next call(s) of `operation`. Faults queue per operation and apply before the
   * operation runs, so an injected error has no side effect. An error's status defaults to the one the
   * Scheduler model gives its type (500 for InternalServerException, 429 for ThrottlingException, ...),
   * else 400.
   */
  failNext(operation: string, fault: Fault): void;
  /** Sees every request from now on, before any fault, and may crash its caller mid-call. */
  intercept(interceptor: CallInterceptor | undefined): void;
  /**
   * Schedules whose Target.Arn is `targetArn` fire through `invoker`. For a Lambda function ARN the invoker
   * is one run of the function (throwing is a function error), and `config` is the function's
   * asynchronous invocation configuration; for another target the invoker is the delivery (throwing is a
   * failed delivery).
   */
  setTargetInvoker(targetArn: string, invoker: ScheduleTargetInvoker, config?: AsyncInvokeConfig): void;
  /** Adds a schedule group, as CreateScheduleGroup would; 'default' always exists. */
  createGroup(name: string): void;
  /** Every stored schedule, by group then name. */
  schedules(): ScheduleSnapshot[];
  /**
   * Delivers every enabled at() schedule that is due at `until` (default: now()) and not yet completed
   * to its target, as the service would: one delivery attempt per schedule and call, a failed delivery
   * retried by later calls under the schedule's RetryPolicy. Once delivered (or out of delivery retries)
   * a DELETE schedule is deleted and a NONE schedule kept, completed. A Lambda function accepts the event
   * asynchronously: delivered, the schedule is done, and then the function runs; a function error is
   * retried by Lambda (2 retries by default), then the event goes to the on-failure destination if one is
   * configured, else it is dropped. Resolves, once each event is settled, with each delivery attempt's
   * outcome, in due order.
   */
  runDue(until?: Date): Promise<RunOutcome[]>;
  /** Closes the server, its connections and the clients it made. */
  close(): Promise<void>;
}

export async function startSchedulerEmulator(
  options: SchedulerEmulatorOptions = {},
): Promise<SchedulerEmulator> {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? (() => new Date());
  const store = new ScheduleStore(region, options.accountId ?? '123456789012');
  const server = new LoopbackServer(
    new RestJsonProtocol(
      schedulerOperations({ store, now, rejectPastAt: options.pastAtTime === 'reject' }),
      region,
    ),
  );
  const endpoint = await server.listen();
  return new LoopbackScheduler(endpoint, region, now, store, new TargetRunner(store), server);
}

class LoopbackScheduler extends LoopbackEmulator<CallRecord> implements SchedulerEmulator {
  constructor(
    endpoint: string,
    region: string,
    private readonly now: () => Date,
    private readonly store: ScheduleStore,
    private readonly runner: TargetRunner,
    server: LoopbackServer<CallRecord>,
  ) {
    super(endpoint, region, server);
  }

  client(config: Omit<SchedulerClientConfig, 'endpoint' | 'region' | 'credentials'> = {}): SchedulerClient {
    return this.createClient((connection) => new SchedulerClient({ ...config, ...connection }));
  }

  setTargetInvoker(targetArn: string, invoker: ScheduleTargetInvoker, config?: AsyncInvokeConfig): void {
    this.runner.setInvoker(targetArn, invoker, config);
  }

  createGroup(name: string): void {
    this.store.createGroup(name);
  }

  schedules(): ScheduleSnapshot[] {
    return this.store.all().map((schedule) => ({
      name: schedule.name,
      groupName: schedule.groupName,
      arn: schedule.arn,
      scheduleExpression: schedule.scheduleExpression,
      timezone: schedule.timezone,
      state: schedule.state,
      actionAfterCompletion: schedule.actionAfterCompletion,
      target: structuredClone(schedule.target),
      flexibleTimeWindow: { ...schedule.flexibleTimeWindow },
      createdAt: schedule.createdAt,
      dueAt: schedule.dueAt,
      attempts: schedule.attempts,
      completed: schedule.completed,
    }));
  }

  runDue(until: Date = this.now()): Promise<RunOutcome[]> {
    return this.runner.runDue(until);
  }
}
