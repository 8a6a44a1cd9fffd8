/**
 * When a secret's next rotation must have happened, from its schedule and window and the creation of its
 * AWSCURRENT version (Secrets Manager counts any new current value, a manual one too, as a rotation). Past
 * that moment the rotation is overdue: the schedule was removed, rotation never ran, or every attempt failed.
 */
import { nextWindowOpening, parseScheduleExpression } from './schedule-expression.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Days from `fromMs` to `toMs`, to two decimals (NaN when either is NaN): the age metrics' unit. */
export function daysBetween(fromMs: number, toMs: number): number {
  return Math.round(((toMs - fromMs) / DAY_MS) * 100) / 100;
}
/** Time for a rotation that started at the very end of its window to finish, and for clocks to differ. */
const MARGIN_MS = HOUR_MS;

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
  const parsed = parseScheduleExpression(schedule).schedule;
  if (parsed?.kind === 'rate') {
    const hourly = parsed.intervalHours < 24;
    // Secrets Manager's default window: an hour for hourly rates, the rest of the UTC day for daily ones.
    const open = windowMs ?? (hourly ? HOUR_MS : DAY_MS);
    return new Date(currentCreated.getTime() + parsed.intervalHours * HOUR_MS + open + MARGIN_MS);
  }
  const next = parsed && nextWindowOpening(parsed, currentCreated);
  // Without a window, a daily cron window lasts the rest of the UTC day: a whole day bounds it.
  return next && new Date(next.getTime() + (windowMs ?? DAY_MS) + MARGIN_MS);
}

function parseWindow(window: string | undefined): number | undefined {
  const hours = window === undefined ? undefined : /^(\d{1,2})h$/.exec(window.trim())?.[1];
  return hours === undefined ? undefined : Number(hours) * HOUR_MS;
}
