/**
 * When a secret's next rotation must have happened, from its schedule and window and the creation of its
 * AWSCURRENT version (Secrets Manager counts any new current value, a manual one too, as a rotation). Past
 * that moment the rotation is overdue: the schedule was removed, rotation never ran, or every attempt failed.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Days from `fromMs` to `toMs`, to two decimals (NaN when either is NaN): the age metrics' unit. */
export function daysBetween(fromMs: number, toMs: number): number {
  return Math.round(((toMs - fromMs) / DAY_MS) * 100) / 100;
}
/** Time for a rotation that started at the very end of its window to finish, and for clocks to differ. */
const MARGIN_MS = HOUR_MS;
/** Secrets Manager rotates at least every 1000 days: no schedule fires later than that. */
const MAX_SEARCH_HOURS = 1000 * 24 + 24;

/**
 * The deadline, or undefined when the schedule cannot be read (then only Secrets Manager's own
 * NextRotationDate can tell). `window` is RotationRules.Duration, e.g. "3h".
 */
export function rotationDeadline(
  schedule: string,
  window: string | undefined,
  currentCreated: Date,
): Date | undefined {
  const windowMs = parseWindow(window);
  const rate = /^rate\((\d+) (hours?|days?)\)$/.exec(schedule.trim());
  if (rate) {
    const hours = rate[2]?.startsWith('hour');
    const interval = Number(rate[1]) * (hours ? HOUR_MS : DAY_MS);
    // Secrets Manager's default window: an hour for hourly rates, the rest of the UTC day for daily ones.
    const open = windowMs ?? (hours ? HOUR_MS : DAY_MS);
    return new Date(currentCreated.getTime() + interval + open + MARGIN_MS);
  }
  const cron = /^cron\((.*)\)$/.exec(schedule.trim());
  const next = cron?.[1] === undefined ? undefined : nextCronTime(cron[1], currentCreated);
  // Without a window, a daily cron window lasts the rest of the UTC day: a whole day bounds it.
  return next && new Date(next.getTime() + (windowMs ?? DAY_MS) + MARGIN_MS);
}

function parseWindow(window: string | undefined): number | undefined {
  const hours = window === undefined ? undefined : /^(\d{1,2})h$/.exec(window.trim())?.[1];
  return hours === undefined ? undefined : Number(hours) * HOUR_MS;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The first full hour after `after` that a Secrets Manager cron expression (minutes hours day-of-month month
 * day-of-week year, minutes always 0) names, or undefined for an expression this reader does not handle
 * (L, W and # days).
 */
export function nextCronTime(expression: string, after: Date): Date | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [, hourField, domField, monthField, dowField] = fields as [string, string, string, string, string];
  const hours = parseField(hourField, 0, 23, []);
  const months = parseField(monthField, 1, 12, MONTHS);
  // Day-of-week 1 is Sunday in AWS cron expressions.
  const daysOfWeek = parseField(dowField, 1, 7, DAYS, 1);
  const daysOfMonth = parseField(domField, 1, 31, []);
  if (!hours || !months || !daysOfWeek || !daysOfMonth) return undefined;
  const start = Math.floor(after.getTime() / HOUR_MS) + 1;
  for (let hour = start; hour < start + MAX_SEARCH_HOURS; hour++) {
    const time = new Date(hour * HOUR_MS);
    if (
      hours.has(time.getUTCHours()) &&
      months.has(time.getUTCMonth() + 1) &&
      daysOfMonth.has(time.getUTCDate()) &&
      daysOfWeek.has(time.getUTCDay() + 1)
    ) {
      return time;
    }
  }
  return undefined;
}

/** The values a field names; `*` and `?` name all of them. Undefined for syntax it does not handle. */
function parseField(
  field: string,
  min: number,
  max: number,
  names: readonly string[],
  nameBase = 1,
): Set<number> | undefined {
  const values = new Set<number>();
  const value = (text: string): number | undefined => {
    const named = names.indexOf(text.toUpperCase());
    const number = named >= 0 ? named + nameBase : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    return number >= min && number <= max ? number : undefined;
  };
  for (const part of field.split(',')) {
    const match = /^(\*|\?|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(part);
    if (!match) return undefined;
    const [, first = '', last, step] = match;
    const from = first === '*' || first === '?' ? min : value(first);
    const to = last !== undefined ? value(last) : first === '*' || first === '?' || step ? max : from;
    const by = step === undefined ? 1 : Number(step);
    if (from === undefined || to === undefined || by < 1) return undefined;
    for (let n = from; n <= to; n += by) values.add(n);
  }
  return values;
}
