import { invalid } from './errors.js';

/**
 * A schedule expression as the API reference defines it: `at(yyyy-mm-ddThh:mm:ss)` for a one-time
 * schedule, evaluated in ScheduleExpressionTimezone; `rate(value unit)` with a positive integer and
 * minute(s) | hour(s) | day(s); `cron(fields)` with six fields (minutes hours day-of-month month
 * day-of-week year). Only at() is ever run by the emulator; rate() and cron() are checked syntactically.
 */
export type ScheduleExpression =
  | { kind: 'at' /** The wall-clock time, as if it were UTC. */; wallClock: number }
  | { kind: 'rate' }
  | { kind: 'cron' };

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^()]*)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const at = AT.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const wallClock = Date.UTC(year, month - 1, day, hour, minute, second);
    const back = new Date(wallClock);
    // Date.UTC rolls 2025-02-30 over to March: a real calendar time reads back unchanged.
    if (
      back.getUTCFullYear() === year &&
      back.getUTCMonth() === month - 1 &&
      back.getUTCDate() === day &&
      back.getUTCHours() === hour &&
      back.getUTCMinutes() === minute &&
      back.getUTCSeconds() === second
    ) {
      return { kind: 'at', wallClock };
    }
  }
  if (RATE.test(expression)) return { kind: 'rate' };
  const cron = CRON.exec(expression)?.[1]?.trim().split(/\s+/);
  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression": one of
  // them must be '?'.
  if (
    cron?.length === 6 &&
    cron.every((field) => CRON_FIELD.test(field)) &&
    [cron[2], cron[4]].includes('?')
  ) {
    return { kind: 'cron' };
  }
  throw invalid(`Invalid Schedule Expression ${expression}.`);
}

/** Whether the runtime's time zone database knows an IANA name (not a bare UTC offset). */
export function isTimeZone(name: string): boolean {
  if (/^[+-]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The instant at which a wall-clock time (held as if UTC) occurs in `timeZone`. */
export function zonedInstant(wallClock: number, timeZone: string): Date {
  const guess = wallClock - offsetAt(wallClock, timeZone);
  // Once more with the offset in force at the first guess, which settles the days a DST change happens.
  return new Date(wallClock - offsetAt(guess, timeZone));
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const field = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall - Math.floor(instant / 1000) * 1000;
}
