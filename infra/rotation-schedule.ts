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
   * Secrets Manager's rules, checked at synth: minutes `0` (windows open on the hour), year `*`, `?` in exactly
   * one of day-of-month and day-of-week, values in range, and rotations at least four hours apart.
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
    // Valid, so its hours field parses; each window must close before the next opens and by midnight UTC.
    const hours = parseField(cronFields(this.spec.expression)[1] ?? '', HOURS) as number[];
    const lastHour = hours.at(-1) ?? 0;
    const gap = shortestGap(hours, false);
    const problems: string[] = [];
    if (lastHour + windowHours > 24) {
      problems.push(
        `rotationWindow: a window opening at ${lastHour}:00 UTC lasts at most ${24 - lastHour}h ` +
          `(it must not run into the next UTC day), got ${windowHours}h.`,
      );
    }
    if (gap !== undefined && windowHours > gap.hours) {
      problems.push(
        `rotationWindow: ${windowHours}h would overlap the next window of ${this.spec.expression} ` +
          `(${gap.from}:00 and ${gap.to}:00 UTC are ${gap.hours}h apart).`,
      );
    }
    return problems;
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
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const problems: string[] = [];
  const field = (name: string, text: string | undefined, rule: FieldRule): number[] | undefined => {
    const parsed = parseField(text ?? '', rule);
    if (typeof parsed === 'string') {
      problems.push(`rotationSchedule: the ${name} field of "${expression}" ${parsed}`);
      return undefined;
    }
    return parsed;
  };
  if (minutes !== '0') {
    problems.push(
      `rotationSchedule: the minutes field of "${expression}" must be 0: rotation windows open on the hour.`,
    );
  }
  const hourSet = field('hours', hours, HOURS);
  if (dayOfMonth === '?' && dayOfWeek === '?') {
    problems.push(
      `rotationSchedule: "${expression}" has ? in both day-of-month and day-of-week: name the days in one of ` +
        'them, e.g. cron(0 4 * * ? *) (every day) or cron(0 4 ? * SUN *).',
    );
  } else if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    problems.push(
      `rotationSchedule: "${expression}" sets both day-of-month and day-of-week: Secrets Manager needs ? in ` +
        'one of them, e.g. cron(0 4 1 * ? *) (the 1st of each month) or cron(0 4 ? * SUN *).',
    );
  }
  const days = dayOfMonth === '?' ? undefined : field('day-of-month', dayOfMonth, DAY_OF_MONTH);
  field('month', month, MONTH);
  const weekdays = dayOfWeek === '?' ? undefined : field('day-of-week', dayOfWeek, DAY_OF_WEEK);
  if (year !== '*') {
    problems.push(`rotationSchedule: the year field of "${expression}" must be *.`);
  }
  if (hourSet && problems.length === 0) {
    const consecutiveDays = hasConsecutive(days, 31, false) || hasConsecutive(weekdays, 7, true);
    const gap = shortestGap(hourSet, consecutiveDays);
    if (gap !== undefined && gap.hours < MIN_INTERVAL_HOURS) {
      problems.push(
        `rotationSchedule: "${expression}" rotates ${gap.hours} hours apart (${gap.from}:00 and ${gap.to}:00 UTC): ` +
          'Secrets Manager rotates at most every 4 hours.',
      );
    }
  }
  return problems;
}

interface FieldRule {
  readonly min: number;
  readonly max: number;
  /** Names accepted for the values min, min + 1, ... (JAN-DEC, SUN-SAT). */
  readonly names?: readonly string[];
  /** Special forms Secrets Manager accepts in this field (L, W, #) whose days a set of numbers cannot hold. */
  readonly special?: RegExp;
  readonly allowed: string;
}

const HOURS: FieldRule = { min: 0, max: 23, allowed: '0-23 with , - * /' };
const DAY_OF_MONTH: FieldRule = {
  min: 1,
  max: 31,
  special: /^(L|LW|L-\d{1,2}|\d{1,2}W)$/,
  allowed: '1-31, L or W with , - * ? /',
};
const MONTH: FieldRule = {
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  allowed: '1-12 or JAN-DEC with , - * /',
};
const DAY_OF_WEEK: FieldRule = {
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/,
  allowed: '1-7 or SUN-SAT, L or # with , - * ? /',
};

/**
 * The values a cron field selects, or what is wrong with it. A field with L, W or # selects days that depend on
 * the month: it yields no numbers, so nothing is concluded from them.
 */
function parseField(text: string, rule: FieldRule): number[] | string {
  const values = new Set<number>();
  const value = (token: string): number | undefined => {
    const named = rule.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) return rule.min + named;
    if (!/^\d{1,2}$/.test(token)) return undefined;
    const number = Number(token);
    return number >= rule.min && number <= rule.max ? number : undefined;
  };
  const invalid = (item: string) => `has "${item}": it takes ${rule.allowed}.`;
  for (const item of text.split(',')) {
    if (rule.special?.test(item.toUpperCase())) continue;
    const match = /^(\*|[^-/]+)(?:-([^/]+))?(?:\/(\d{1,2}))?$/.exec(item);
    if (!match) return invalid(item);
    const [, start = '', end, step] = match;
    const first = start === '*' ? rule.min : value(start);
    const last = start === '*' ? rule.max : end === undefined ? (step ? rule.max : first) : value(end);
    const increment = step === undefined ? 1 : Number(step);
    if (first === undefined || last === undefined || increment < 1 || (start === '*' && end !== undefined)) {
      return invalid(item);
    }
    if (last < first) return `has "${item}", a range that ends before it starts.`;
    for (let n = first; n <= last; n += increment) values.add(n);
  }
  return [...values].sort((a, b) => a - b);
}

/** Whether the selected days include two in a row (`cyclic`: the last value is followed by the first). */
function hasConsecutive(values: readonly number[] | undefined, max: number, cyclic: boolean): boolean {
  if (!values) return false;
  const set = new Set(values);
  return values.some((day) => set.has(day + 1) || (cyclic && day === max && set.has(1)));
}

/** The shortest time between two rotations at `hours` of a day, across midnight if two days run in a row. */
function shortestGap(
  hours: readonly number[],
  consecutiveDays: boolean,
): { hours: number; from: number; to: number } | undefined {
  const pairs = hours.slice(1).map((to, index) => ({ from: hours[index] as number, to }));
  const first = hours[0];
  const last = hours.at(-1);
  if (consecutiveDays && first !== undefined && last !== undefined)
    pairs.push({ from: last, to: first + 24 });
  return pairs
    .map(({ from, to }) => ({ hours: to - from, from, to: to % 24 }))
    .reduce<{ hours: number; from: number; to: number } | undefined>(
      (shortest, gap) => (shortest === undefined || gap.hours < shortest.hours ? gap : shortest),
      undefined,
    );
}

function cronFields(expression: string): string[] {
  return CRON.exec(expression)?.[1]?.trim().split(/\s+/) ?? [];
}

/** Every 30 days. */
export const DEFAULT_ROTATION_SCHEDULE = KeyRotationSchedule.rate(Duration.days(30));
