import { Duration } from 'aws-cdk-lib';
import {
  parseScheduleExpression,
  type RotationSchedule,
  rotationGaps,
} from '../lambda/settings/schedule-expression.js';

const HOUR_MS = Duration.hours(1).toMilliseconds();

/**
 * When Secrets Manager rotates the secrets: a fixed interval (`rate()`) or calendar times (`cron()`), in UTC.
 *
 * Secrets Manager rotates at some moment inside a rotation window that opens at the scheduled time (see
 * `FactifyKeyRotationProps.rotationWindow`). The construct reports this schedule's problems with its own.
 */
export class KeyRotationSchedule {
  /** Every `interval`: whole hours, from 4 hours to 999 days. */
  static rate(interval: Duration): KeyRotationSchedule {
    const hours = interval.toMilliseconds() / HOUR_MS;
    if (!Number.isInteger(hours)) {
      return new KeyRotationSchedule(
        `rate(${interval.toHumanString()})`,
        `a rate is a whole number of hours, got ${interval.toHumanString()}.`,
      );
    }
    if (hours % 24 !== 0) return new KeyRotationSchedule(`rate(${hours} hours)`);
    return new KeyRotationSchedule(hours === 24 ? 'rate(1 day)' : `rate(${hours / 24} days)`);
  }

  /**
   * At the times a Secrets Manager cron expression names, e.g. `cron(0 4 ? * SUN *)` (Sundays, 04:00 UTC).
   * Checked at synth against the forms the Secrets Manager User Guide documents ("Schedule expressions in Secrets
   * Manager rotation"): minutes `0`, year `*`, `?` in exactly one of day-of-month and day-of-week, `L` and
   * `<day>L`, `#`, and rotations at least four hours apart, across midnight and month ends too.
   */
  static cron(expression: string): KeyRotationSchedule {
    return new KeyRotationSchedule(expression.trim());
  }

  /** Reads a `rate(<n> hours|days)` or `cron(...)` expression, as written in CDK context. */
  static fromExpression(expression: string): KeyRotationSchedule {
    return new KeyRotationSchedule(expression.trim());
  }

  private readonly parsed: ReturnType<typeof parseScheduleExpression>;

  private constructor(
    /** The `ScheduleExpression` of the rotation rules; meaningful once `problems()` is empty. */
    readonly expressionString: string,
    problem?: string,
  ) {
    this.parsed = problem ? { problems: [problem] } : parseScheduleExpression(expressionString);
  }

  /** What is wrong with this schedule combined with `window`, each message naming the fix. */
  problems(window: Duration | undefined): string[] {
    const own = (this.parsed.problems ?? []).map((problem) => `rotationSchedule: ${problem}`);
    if (window === undefined) return own;
    const hours = window.toMilliseconds() / HOUR_MS;
    if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
      return [...own, `rotationWindow: the window is 1 to 24 whole hours, got ${window.toHumanString()}.`];
    }
    // How long the window may be depends on the schedule, so only a valid one can tell.
    return this.parsed.schedule ? overlapProblems(this.parsed.schedule, hours) : own;
  }

  /** The shortest and longest time between two scheduled rotations; undefined while the schedule has problems. */
  intervals(): { readonly shortest: Duration; readonly longest: Duration } | undefined {
    if (!this.parsed.schedule) return undefined;
    const { shortest, longest } = rotationGaps(this.parsed.schedule);
    if (!shortest || !longest) return undefined;
    return { shortest: Duration.hours(shortest.hours), longest: Duration.hours(longest.hours) };
  }
}

/** Each window must close before the next opens, and by midnight UTC. */
function overlapProblems(schedule: RotationSchedule, windowHours: number): string[] {
  if (schedule.kind === 'rate') {
    // A daily or longer rate opens its window at midnight UTC; an hourly one must close before the next opens.
    return schedule.intervalHours < 24 && windowHours > schedule.intervalHours
      ? [`rotationWindow: ${windowHours}h would overlap the next window of ${schedule.expression}.`]
      : [];
  }
  const { hours } = schedule;
  const lastHour = hours.at(-1) ?? 0;
  const problems: string[] = [];
  if (lastHour + windowHours > 24) {
    problems.push(
      `rotationWindow: a window opening at ${lastHour}:00 UTC lasts at most ${24 - lastHour}h ` +
        `(it must not run into the next UTC day), got ${windowHours}h.`,
    );
  }
  const gaps = hours.slice(1).map((to, index) => ({ from: hours[index] as number, to }));
  const gap = gaps.reduce<{ from: number; to: number } | undefined>(
    (shortest, next) => (shortest && shortest.to - shortest.from <= next.to - next.from ? shortest : next),
    undefined,
  );
  if (gap && windowHours > gap.to - gap.from) {
    problems.push(
      `rotationWindow: ${windowHours}h would overlap the next window of ${schedule.expression} ` +
        `(${gap.from}:00 and ${gap.to}:00 UTC are ${gap.to - gap.from}h apart).`,
    );
  }
  return problems;
}

/** Every 30 days. */
export const DEFAULT_ROTATION_SCHEDULE = KeyRotationSchedule.rate(Duration.days(30));
