import { Duration } from 'aws-cdk-lib';

const HOUR_MS = Duration.hours(1).toMilliseconds();
const MIN_INTERVAL_HOURS = 4;
const MAX_INTERVAL_HOURS = 1000 * 24;
const CRON = /^cron\((.*)\)$/;
const RATE = /^rate\((\d+) (hours?|days?)\)$/;

type Spec =
  | { readonly kind: 'rate'; readonly interval: Duration }
  | { readonly kind: 'cron'; readonly expression: string };

/**
 * When Secrets Manager rotates the secrets: a fixed interval (`rate()`) or calendar times (`cron()`), in UTC.
 *
 * Secrets Manager rotates at some moment inside a rotation window that opens at the scheduled time (see
 * `FactifyKeyRotationProps.rotationWindow`). The construct reports this schedule's problems with its own.
 */
export class KeyRotationSchedule {
  /** Every `interval`: whole hours, from 4 hours to 1000 days. */
  static rate(interval: Duration): KeyRotationSchedule {
    return new KeyRotationSchedule({ kind: 'rate', interval });
  }

  /**
   * At the times a Secrets Manager cron expression names, e.g. `cron(0 4 ? * SUN *)` (Sundays, 04:00 UTC).
   * Its minutes field must be `0` (windows open on the hour) and its year field `*`.
   */
  static cron(expression: string): KeyRotationSchedule {
    return new KeyRotationSchedule({ kind: 'cron', expression: expression.trim() });
  }

  /** Reads a `rate(<n> hours|days)` or `cron(...)` expression, as written in CDK context. */
  static fromExpression(expression: string): KeyRotationSchedule {
    const rate = RATE.exec(expression.trim());
    if (!rate) return KeyRotationSchedule.cron(expression);
    const count = Number(rate[1]);
    return KeyRotationSchedule.rate(
      rate[2]?.startsWith('hour') ? Duration.hours(count) : Duration.days(count),
    );
  }

  private constructor(private readonly spec: Spec) {}

  /** The `ScheduleExpression` of the rotation rules; meaningful once `problems()` is empty. */
  get expressionString(): string {
    if (this.spec.kind === 'cron') return this.spec.expression;
    const hours = this.spec.interval.toMilliseconds() / HOUR_MS;
    if (hours % 24 !== 0) return `rate(${hours} hours)`;
    return hours === 24 ? 'rate(1 day)' : `rate(${hours / 24} days)`;
  }

  /** What is wrong with this schedule combined with `window`, each message naming the fix. */
  problems(window: Duration | undefined): string[] {
    const own =
      this.spec.kind === 'cron' ? cronProblems(this.spec.expression) : rateProblems(this.spec.interval);
    if (window === undefined) return own;
    const hours = window.toMilliseconds() / HOUR_MS;
    if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
      return [...own, `rotationWindow: the window is 1 to 24 whole hours, got ${window.toHumanString()}.`];
    }
    // How long the window may be depends on the schedule, so only a valid one can tell.
    return own.length > 0 ? own : this.overlapProblems(hours);
  }

  private overlapProblems(windowHours: number): string[] {
    if (this.spec.kind === 'rate') {
      // A daily or longer rate opens its window at midnight UTC; an hourly one must close before the next opens.
      const intervalHours = this.spec.interval.toMilliseconds() / HOUR_MS;
      return intervalHours < 24 && windowHours > intervalHours
        ? [`rotationWindow: ${windowHours}h would overlap the next window of ${this.expressionString}.`]
        : [];
    }
    const startHour = Number(cronFields(this.spec.expression)[1]);
    return Number.isInteger(startHour) && startHour + windowHours > 24
      ? [
          `rotationWindow: a window opening at ${startHour}:00 UTC lasts at most ${24 - startHour}h ` +
            `(it must not run into the next UTC day), got ${windowHours}h.`,
        ]
      : [];
  }
}

function rateProblems(interval: Duration): string[] {
  const hours = interval.toMilliseconds() / HOUR_MS;
  if (!Number.isInteger(hours)) {
    return [`rotationSchedule: a rate is a whole number of hours, got ${interval.toHumanString()}.`];
  }
  if (hours < MIN_INTERVAL_HOURS || hours > MAX_INTERVAL_HOURS) {
    return [
      'rotationSchedule: Secrets Manager rotates at most every 4 hours and at least every 1000 days, ' +
        `got ${interval.toHumanString()}.`,
    ];
  }
  return [];
}

function cronProblems(expression: string): string[] {
  const fields = cronFields(expression);
  if (fields.length !== 6) {
    return [
      `rotationSchedule: "${expression}" is neither rate(<n> hours|days) nor ` +
        'cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), e.g. cron(0 4 ? * SUN *).',
    ];
  }
  const problems: string[] = [];
  if (fields[0] !== '0') {
    problems.push(
      `rotationSchedule: the minutes field of "${expression}" must be 0: rotation windows open on the hour.`,
    );
  }
  if (fields[5] !== '*') {
    problems.push(`rotationSchedule: the year field of "${expression}" must be *.`);
  }
  return problems;
}

function cronFields(expression: string): string[] {
  return CRON.exec(expression)?.[1]?.trim().split(/\s+/) ?? [];
}

/** Every 30 days. */
export const DEFAULT_ROTATION_SCHEDULE = KeyRotationSchedule.rate(Duration.days(30));
