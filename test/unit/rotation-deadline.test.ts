import { describe, expect, it } from 'vitest';
import { rotationDeadline } from '../../lambda/settings/rotation-deadline.js';

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
    // The schedule grammar the stack checks with: L, <day>L and AWS's own /8.
    ['cron(0 4 L * ? *)', '2h', '2026-11-30T07:00:00.000Z'],
    ['cron(0 4 ? * FRIL *)', '2h', '2026-11-27T07:00:00.000Z'],
    ['cron(0 /8 * * ? *)', '2h', '2026-11-01T19:00:00.000Z'],
  ])('%s with window %s: %s', (schedule, window, expected) => {
    expect(iso(rotationDeadline(schedule, window, created))).toBe(expected);
  });

  it('cannot tell for a schedule Secrets Manager would not accept', () => {
    expect(rotationDeadline('cron(0 4 15W * ? *)', undefined, created)).toBeUndefined();
    expect(rotationDeadline('every day', undefined, created)).toBeUndefined();
  });
});

describe('rotationDeadline from the next cron window', () => {
  it.each([
    ['cron(0 4 1 * ? *)', '2026-12-01T04:00:00.000Z'],
    ['cron(0 */6 ? * MON-FRI *)', '2026-11-02T00:00:00.000Z'],
    ['cron(0 8,20 ? * 1 *)', '2026-11-01T20:00:00.000Z'],
    ['cron(0 0 15 JAN,JUL ? *)', '2027-01-15T00:00:00.000Z'],
  ])('%s opens next at %s', (expression, opening) => {
    // The window (1h here) and the hour's margin follow the opening.
    expect(iso(rotationDeadline(expression, '1h', created))).toBe(
      new Date(new Date(opening).getTime() + 2 * 3_600_000).toISOString(),
    );
  });
});
