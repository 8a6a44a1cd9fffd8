import { describe, expect, it } from 'vitest';
import { nextCronTime, rotationDeadline } from '../../lambda/settings/rotation-deadline.js';

const created = new Date('2026-11-01T15:30:00Z');
const iso = (date: Date | undefined) => date?.toISOString();

describe('rotationDeadline', () => {
  it.each([
    // The interval, then the default window (the rest of the UTC day for days, an hour for hours), plus an hour.
    ['rate(30 days)', undefined, '2026-12-02T16:30:00.000Z'],
    ['rate(1 day)', '3h', '2026-11-02T19:30:00.000Z'],
    ['rate(4 hours)', undefined, '2026-11-01T21:30:00.000Z'],
    ['rate(12 hours)', '2h', '2026-11-02T06:30:00.000Z'],
    // Sundays at 04:00: the next after created is Nov 8, then the window.
    ['cron(0 4 ? * SUN *)', '3h', '2026-11-08T08:00:00.000Z'],
    ['cron(0 4 ? * SUN *)', undefined, '2026-11-09T05:00:00.000Z'],
  ])('%s with window %s: %s', (schedule, window, expected) => {
    expect(iso(rotationDeadline(schedule, window, created))).toBe(expected);
  });

  it('cannot tell for cron syntax it does not read', () => {
    expect(rotationDeadline('cron(0 4 L * ? *)', undefined, created)).toBeUndefined();
    expect(rotationDeadline('every day', undefined, created)).toBeUndefined();
  });
});

describe('nextCronTime', () => {
  it.each([
    ['0 4 1 * ? *', '2026-12-01T04:00:00.000Z'],
    ['0 */6 ? * MON-FRI *', '2026-11-02T00:00:00.000Z'],
    ['0 8,20 ? * 1 *', '2026-11-01T20:00:00.000Z'],
    ['0 0 15 JAN,JUL ? *', '2027-01-15T00:00:00.000Z'],
  ])('%s: %s', (expression, expected) => {
    expect(iso(nextCronTime(expression, created))).toBe(expected);
  });
});
