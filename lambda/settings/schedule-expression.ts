/**
 * Secrets Manager's rotation schedule expressions, `rate()` and `cron()`, as its user guide documents them
 * ("Schedule expressions in Secrets Manager rotation"): one reader for the stack's synth-time check, the
 * function's overdue check and the monitoring, so that what one accepts the others understand.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Secrets Manager rotates at most every four hours... */
export const MIN_ROTATION_INTERVAL_HOURS = 4;
/** ...and at least every 999 days (the user guide's maximum rotation period). */
export const MAX_ROTATION_INTERVAL_DAYS = 999;

/** A schedule Secrets Manager accepts: every `intervalHours`, or at the days and hours a cron expression names. */
export type RotationSchedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly intervalHours: number }
  | {
      readonly kind: 'cron';
      readonly expression: string;
      /** The hours of a day (UTC) the rotation windows open at, ascending. */
      readonly hours: readonly number[];
      /** Whether the windows open on this UTC day. */
      readonly onDay: (day: Date) => boolean;
    };

export type ParsedSchedule =
  | { readonly schedule: RotationSchedule; readonly problems?: undefined }
  | { readonly schedule?: undefined; readonly problems: readonly string[] };

const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FORMAT =
  'rate(<n> hours|days) nor cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), e.g. ' +
  'cron(0 4 ? * SUN *)';

/**
 * Reads `expression` and checks it against Secrets Manager's rules: a schedule, or every problem, each message
 * saying what to write instead.
 */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) return parseRate(text, Number(rate[1]), rate[2]?.startsWith('hour') ? 1 : 24);
  const fields = CRON.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) return { problems: [`"${text}" is neither ${FORMAT}.`] };
  return parseCron(text, fields as [string, string, string, string, string, string]);
}

function parseRate(expression: string, count: number, hoursPerUnit: number): ParsedSchedule {
  const intervalHours = count * hoursPerUnit;
  if (intervalHours < MIN_ROTATION_INTERVAL_HOURS || intervalHours > MAX_ROTATION_INTERVAL_DAYS * 24) {
    return {
      problems: [
        `"${expression}": Secrets Manager rotates at most every ${MIN_ROTATION_INTERVAL_HOURS} hours and at least ` +
          `every ${MAX_ROTATION_INTERVAL_DAYS} days.`,
      ],
    };
  }
  return { schedule: { kind: 'rate', expression, intervalHours } };
}

function parseCron(
  expression: string,
  [minutes, hourField, dayOfMonth, monthField, dayOfWeek, year]: [
    string,
    string,
    string,
    string,
    string,
    string,
  ],
): ParsedSchedule {
  const problems: string[] = [];
  const field = <T>(name: string, parsed: T | string): T | undefined => {
    if (typeof parsed !== 'string') return parsed;
    problems.push(`the ${name} field of "${expression}" ${parsed}`);
    return undefined;
  };
  if (minutes !== '0') {
    problems.push(`the minutes field of "${expression}" must be 0: rotation windows open on the hour.`);
  }
  const hours = field('hours', parseValues(hourField, HOURS));
  if (dayOfMonth === '?' && dayOfWeek === '?') {
    problems.push(
      `"${expression}" has ? in both day-of-month and day-of-week: name the days in one of them, e.g. ` +
        'cron(0 4 * * ? *) (every day) or cron(0 4 ? * SUN *).',
    );
  } else if (dayOfMonth !== '?' && dayOfWeek !== '?') {
    problems.push(
      `"${expression}" sets both day-of-month and day-of-week: Secrets Manager needs ? in one of them, e.g. ` +
        'cron(0 4 1 * ? *) (the 1st of each month) or cron(0 4 ? * SUN *).',
    );
  }
  const days = dayOfMonth === '?' ? undefined : field('day-of-month', parseDaysOfMonth(dayOfMonth));
  const months = field('month', parseValues(monthField, MONTH));
  const weekdays = dayOfWeek === '?' ? undefined : field('day-of-week', parseDaysOfWeek(dayOfWeek));
  if (year !== '*') problems.push(`the year field of "${expression}" must be *.`);
  const dayRule = days ?? weekdays;
  if (problems.length > 0 || !hours || !months || !dayRule) return { problems };

  const onDay = (day: Date): boolean => months.has(day.getUTCMonth() + 1) && dayRule(day);
  const schedule: RotationSchedule = {
    kind: 'cron',
    expression,
    hours: [...hours].sort((a, b) => a - b),
    onDay,
  };
  const gap = shortestGap(schedule);
  if (gap && gap.hours < MIN_ROTATION_INTERVAL_HOURS) {
    return {
      problems: [
        `"${expression}" rotates ${gap.hours} hours apart (${gap.from.getUTCHours()}:00 and ` +
          `${gap.to.getUTCHours()}:00 UTC): Secrets Manager rotates at most every ${MIN_ROTATION_INTERVAL_HOURS} hours.`,
      ],
    };
  }
  return { schedule };
}

/**
 * The shortest time between two windows, cheaply: within a day from the hours alone; only when the last hour of
 * one day and the first of the next are closer than 4 hours does it matter whether two such days follow each
 * other (at a month's end, say), which the calendar tells.
 */
function shortestGap(schedule: RotationSchedule & { kind: 'cron' }): Gap | undefined {
  const { hours } = schedule;
  const day = Date.UTC(2001, 0, 1);
  const within = hours.slice(1).map((hour, index) => ({
    hours: hour - (hours[index] as number),
    from: new Date(day + (hours[index] as number) * HOUR_MS),
    to: new Date(day + hour * HOUR_MS),
  }));
  const shortestWithin = within.reduce<Gap | undefined>(
    (a, b) => (a && a.hours <= b.hours ? a : b),
    undefined,
  );
  if (shortestWithin && shortestWithin.hours < MIN_ROTATION_INTERVAL_HOURS) return shortestWithin;
  const overnight = 24 - (hours.at(-1) ?? 0) + (hours[0] ?? 0);
  if (overnight >= MIN_ROTATION_INTERVAL_HOURS) return shortestWithin;
  return rotationGaps(schedule).shortest;
}

interface FieldRule {
  readonly min: number;
  readonly max: number;
  /** Names for the values min, min + 1, ... (JAN-DEC, SUN-SAT). */
  readonly names?: readonly string[];
  /** What the field takes, as the user guide lists it. */
  readonly allowed: string;
}

const HOURS: FieldRule = { min: 0, max: 23, allowed: '0-23 with , - * /' };
const DAY_OF_MONTH: FieldRule = { min: 1, max: 31, allowed: '1-31 or L with , - * ? /' };
const MONTH: FieldRule = { min: 1, max: 12, names: MONTHS, allowed: '1-12 or JAN-DEC with , - * /' };
const DAY_OF_WEEK: FieldRule = {
  min: 1,
  max: 7,
  names: WEEKDAYS,
  allowed: '1-7 or SUN-SAT with , - * ? /, L (Saturday), <day>L (the last <day> of the month) or <day>#<1-5>',
};
/** Forms other cron dialects have that the user guide does not document for rotation. */
const UNDOCUMENTED = /^(\d{1,2}W|LW|L-\d+)$/i;

/** The values a list of `*`, `n`, `n-m` items, each with an optional `/step`, selects, or what is wrong. */
function parseValues(text: string, rule: FieldRule): Set<number> | string {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const selected = parseItem(item, rule);
    if (typeof selected === 'string') return selected;
    for (const value of selected) values.add(value);
  }
  return values;
}

function parseItem(item: string, rule: FieldRule): number[] | string {
  const invalid = UNDOCUMENTED.test(item)
    ? `has "${item}", a form Secrets Manager does not document for rotation: it takes ${rule.allowed}.`
    : `has "${item}": it takes ${rule.allowed}.`;
  // `/8` alone is the user guide's own "every eight hours starting at midnight".
  const match = /^(\*|[^-/]*)(?:-([^/]+))?(?:\/(\d{1,2}))?$/.exec(item);
  if (!match) return invalid;
  const [, start = '', end, step] = match;
  if (start === '' && (step === undefined || end !== undefined)) return invalid;
  const value = (token: string): number | undefined => {
    const named = rule.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) return rule.min + named;
    const number = /^\d{1,2}$/.test(token) ? Number(token) : Number.NaN;
    return number >= rule.min && number <= rule.max ? number : undefined;
  };
  const whole = start === '*' || start === '';
  const first = whole ? rule.min : value(start);
  const last =
    whole || (end === undefined && step !== undefined) ? rule.max : end === undefined ? first : value(end);
  const increment = step === undefined ? 1 : Number(step);
  if (first === undefined || last === undefined || increment < 1 || (whole && end !== undefined))
    return invalid;
  if (last < first) return `has "${item}", a range that ends before it starts.`;
  const values: number[] = [];
  for (let n = first; n <= last; n += increment) values.push(n);
  return values;
}

type DayRule = (day: Date) => boolean;

/** Day-of-month: numbers, and `L`, the last day of the month. */
function parseDaysOfMonth(text: string): DayRule | string {
  const items = text.split(',');
  const numbers = items.filter((item) => item.toUpperCase() !== 'L');
  const values = numbers.length === 0 ? new Set<number>() : parseValues(numbers.join(','), DAY_OF_MONTH);
  if (typeof values === 'string') return values;
  const last = numbers.length < items.length;
  return (day) => values.has(day.getUTCDate()) || (last && isLastDayOfMonth(day));
}

/** Day-of-week (1 = Sunday): values, `L` (the last day of the week), `<day>L` and `<day>#<n>`. */
function parseDaysOfWeek(text: string): DayRule | string {
  const rules: DayRule[] = [];
  const plain: string[] = [];
  for (const item of text.split(',')) {
    const upper = item.toUpperCase();
    const special = /^(\d|[A-Z]{3})(L|#(\d))$/.exec(upper);
    if (upper === 'L') {
      rules.push((day) => day.getUTCDay() === 6);
    } else if (special) {
      const [, name = '', , nth] = special;
      const weekday = parseValues(name, DAY_OF_WEEK);
      const n = nth === undefined ? undefined : Number(nth);
      if (typeof weekday === 'string' || (n !== undefined && (n < 1 || n > 5))) {
        return `has "${item}": it takes ${DAY_OF_WEEK.allowed}.`;
      }
      const [value = 0] = weekday;
      rules.push((day) =>
        day.getUTCDay() + 1 !== value
          ? false
          : n === undefined
            ? day.getUTCDate() + 7 > daysInMonth(day)
            : Math.ceil(day.getUTCDate() / 7) === n,
      );
    } else {
      plain.push(item);
    }
  }
  if (plain.length > 0) {
    const values = parseValues(plain.join(','), DAY_OF_WEEK);
    if (typeof values === 'string') return values;
    rules.push((day) => values.has(day.getUTCDay() + 1));
  }
  return (day) => rules.some((rule) => rule(day));
}

function daysInMonth(day: Date): number {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
}

function isLastDayOfMonth(day: Date): boolean {
  return day.getUTCDate() === daysInMonth(day);
}

/**
 * The first time after `after` that the schedule opens a rotation window, or undefined for a rate (whose
 * windows follow the last rotation, not the calendar) and for a cron that names no day in the next eight years
 * (the 29th of February can be that far apart).
 */
export function nextWindowOpening(schedule: RotationSchedule, after: Date): Date | undefined {
  if (schedule.kind === 'rate') return undefined;
  const firstDay = Math.floor(after.getTime() / DAY_MS) * DAY_MS;
  for (let dayMs = firstDay; dayMs < firstDay + 8 * 366 * DAY_MS; dayMs += DAY_MS) {
    if (!schedule.onDay(new Date(dayMs))) continue;
    const hour = schedule.hours.find((hour) => dayMs + hour * HOUR_MS > after.getTime());
    if (hour !== undefined) return new Date(dayMs + hour * HOUR_MS);
  }
  return undefined;
}

interface Gap {
  readonly hours: number;
  readonly from: Date;
  readonly to: Date;
}

/**
 * The shortest and the longest time between two rotation windows opening. For a cron, over 28 years from a fixed
 * date (every combination of weekday, month length and leap year), so that month ends and the last days of a
 * month count as the calendar has them, whatever today's date.
 */
export function rotationGaps(schedule: RotationSchedule): { shortest?: Gap; longest?: Gap } {
  if (schedule.kind === 'rate') {
    const gap = {
      hours: schedule.intervalHours,
      from: new Date(0),
      to: new Date(schedule.intervalHours * HOUR_MS),
    };
    return { shortest: gap, longest: gap };
  }
  const start = Date.UTC(2001, 0, 1);
  const end = Date.UTC(2029, 0, 1);
  let previous: number | undefined;
  let shortest: Gap | undefined;
  let longest: Gap | undefined;
  for (let dayMs = start; dayMs < end; dayMs += DAY_MS) {
    if (!schedule.onDay(new Date(dayMs))) continue;
    for (const hour of schedule.hours) {
      const time = dayMs + hour * HOUR_MS;
      if (previous !== undefined) {
        const gap = { hours: (time - previous) / HOUR_MS, from: new Date(previous), to: new Date(time) };
        if (!shortest || gap.hours < shortest.hours) shortest = gap;
        if (!longest || gap.hours > longest.hours) longest = gap;
      }
      previous = time;
    }
  }
  return { shortest, longest };
}
