import { groupNotFound, scheduleExists, scheduleNotFound } from './errors.js';

export const DEFAULT_GROUP = 'default';

/** A Target as stored: the members the emulator models, echoed back by GetSchedule. */
export interface TargetRecord {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn: string };
}

export interface FlexibleTimeWindowRecord {
  Mode: 'OFF' | 'FLEXIBLE';
  MaximumWindowInMinutes?: number;
}

export type ScheduleState = 'ENABLED' | 'DISABLED';
export type ActionAfterCompletion = 'NONE' | 'DELETE';

export interface ScheduleRecord {
  readonly arn: string;
  readonly name: string;
  readonly groupName: string;
  readonly scheduleExpression: string;
  readonly timezone: string;
  readonly state: ScheduleState;
  readonly actionAfterCompletion: ActionAfterCompletion;
  readonly target: TargetRecord;
  readonly flexibleTimeWindow: FlexibleTimeWindowRecord;
  readonly description?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly kmsKeyArn?: string;
  readonly createdAt: Date;
  readonly lastModifiedAt: Date;
  /** When an at() schedule is due; undefined for rate() and cron(), which the emulator never runs. */
  readonly dueAt?: Date;
  /** The ClientToken that created it and the request it came with, for idempotent retries. */
  readonly clientToken: string;
  readonly request: string;
  /** Invocation attempts so far (runDue). */
  attempts: number;
  /** Set once the one-time invocation succeeded or its retries ran out. */
  completed: boolean;
  /** True while runDue is invoking the target. */
  running: boolean;
}

export type NewSchedule = Omit<ScheduleRecord, 'arn' | 'attempts' | 'completed' | 'running'>;

/** The schedules and schedule groups of one account in one region. */
export class ScheduleStore {
  readonly #groups = new Set([DEFAULT_GROUP]);
  /** Keyed by group, then name. Insertion order is creation order. */
  readonly #schedules = new Map<string, Map<string, ScheduleRecord>>([[DEFAULT_GROUP, new Map()]]);
  /** DeleteSchedule ClientTokens already honoured, with the schedule each deleted. */
  readonly #deleteTokens = new Map<string, string>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  createGroup(name: string): void {
    this.#groups.add(name);
    if (!this.#schedules.has(name)) this.#schedules.set(name, new Map());
  }

  #group(groupName: string): Map<string, ScheduleRecord> {
    const group = this.#schedules.get(groupName);
    if (!group) throw groupNotFound(groupName);
    return group;
  }

  /**
   * Creates a schedule, or returns the one an identical earlier request with the same ClientToken
   * created ("same token + same request → same ARN"). Any other request for an existing name conflicts.
   */
  create(schedule: NewSchedule): { record: ScheduleRecord; replayed: boolean } {
    const group = this.#group(schedule.groupName);
    const existing = group.get(schedule.name);
    if (existing) {
      if (existing.clientToken === schedule.clientToken && existing.request === schedule.request) {
        return { record: existing, replayed: true };
      }
      throw scheduleExists(schedule.name);
    }
    const record: ScheduleRecord = {
      ...schedule,
      arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${schedule.groupName}/${schedule.name}`,
      attempts: 0,
      completed: false,
      running: false,
    };
    group.set(schedule.name, record);
    return { record, replayed: false };
  }

  get(groupName: string, name: string): ScheduleRecord {
    const schedule = this.#group(groupName).get(name);
    if (!schedule) throw scheduleNotFound(name);
    return schedule;
  }

  /**
   * Deletes a schedule. A retry carrying the ClientToken of a delete that already succeeded on the same
   * schedule succeeds again instead of failing with ResourceNotFoundException.
   */
  delete(groupName: string, name: string, clientToken?: string): void {
    const group = this.#group(groupName);
    const key = `${groupName}/${name}`;
    if (!group.has(name)) {
      if (clientToken !== undefined && this.#deleteTokens.get(clientToken) === key) return;
      throw scheduleNotFound(name);
    }
    group.delete(name);
    if (clientToken !== undefined) this.#deleteTokens.set(clientToken, key);
  }

  /** Deletes `record` if it is still the schedule stored under its name (ActionAfterCompletion DELETE). */
  remove(record: ScheduleRecord): void {
    const group = this.#schedules.get(record.groupName);
    if (group?.get(record.name) === record) group.delete(record.name);
  }

  /** Whether `record` is still stored (a target may have deleted its own schedule meanwhile). */
  holds(record: ScheduleRecord): boolean {
    return this.#schedules.get(record.groupName)?.get(record.name) === record;
  }

  hasGroup(groupName: string): boolean {
    return this.#groups.has(groupName);
  }

  /** Every schedule, by group then name, as ListSchedules returns them. */
  all(): ScheduleRecord[] {
    return [...this.#schedules.values()]
      .flatMap((group) => [...group.values()])
      .sort((a, b) => compare(a.groupName, b.groupName) || compare(a.name, b.name));
  }
}

/** Code-point order, independent of the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
