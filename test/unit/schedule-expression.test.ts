import { describe, expect, it } from 'vitest';
import {
  nextWindowOpening,
  parseScheduleExpression,
  type RotationSchedule,
  rotationGaps,
} from '../../lambda/settings/schedule-expression.js';

function accepted(expression: string): RotationSchedule {
  const parsed = parseScheduleExpression(expression);
  expect(parsed.problems).toBeUndefined();
  return parsed.schedule as RotationSchedule;
}

/** The next `count` window openings after `after`, as ISO strings. */
function openings(expression: string, after: string, count: number): string[] {
  const schedule = accepted(expression);
  const times: string[] = [];
  let from = new Date(after);
  for (let i = 0; i < count; i++) {
    const next = nextWindowOpening(schedule, from);
    if (!next) break;
    times.push(next.toISOString().slice(0, 13));
    from = next;
  }
  return times;
}

// Every example of "Schedule expressions in Secrets Manager rotation" (AWS Secrets Manager User Guide), with
// the windows the guide says each opens, counted from a fixed date (a Wednesday, 2031-01-01).
describe('the user guide examples', () => {
  it.each([
    ['rate(4 hours)', 4],
    ['rate(1 day)', 24],
    ['rate(10 days)', 240],
    ['rate(8 days)', 192],
  ])('%s rotates every %i hours', (expression, hours) => {
    const schedule = accepted(expression);
    expect(schedule).toMatchObject({ kind: 'rate', intervalHours: hours });
    expect(rotationGaps(schedule).shortest?.hours).toBe(hours);
  });

  it.each([
    // "cron(0 4/12 * * ? *) means 4:00 AM, 4:00 PM, and then the next day 4:00 AM, 4:00 PM"
    ['cron(0 4/12 * * ? *)', ['2031-01-01T04', '2031-01-01T16', '2031-01-02T04', '2031-01-02T16']],
    // Every eight hours starting at midnight.
    ['cron(0 /8 * * ? *)', ['2031-01-01T08', '2031-01-01T16', '2031-01-02T00', '2031-01-02T08']],
    // Every eight hours starting at 8:00 AM.
    ['cron(0 8/8 * * ? *)', ['2031-01-01T08', '2031-01-01T16', '2031-01-02T08', '2031-01-02T16']],
    // "The rotation windows will start at 2:00, 12:00, and 22:00, and then the next day at 2:00, 12:00, and 22:00."
    ['cron(0 2/10 * * ? *)', ['2031-01-01T02', '2031-01-01T12', '2031-01-01T22', '2031-01-02T02']],
    // Every day at 10:00 AM.
    ['cron(0 10 * * ? *)', ['2031-01-01T10', '2031-01-02T10']],
    // Every Saturday at 6:00 PM.
    ['cron(0 18 ? * SAT *)', ['2031-01-04T18', '2031-01-11T18']],
    // The first day of every month at 8:00 AM.
    ['cron(0 8 1 * ? *)', ['2031-01-01T08', '2031-02-01T08']],
    // Every three months on the first Sunday at 1:00 AM.
    ['cron(0 1 ? 1/3 SUN#1 *)', ['2031-01-05T01', '2031-04-06T01', '2031-07-06T01']],
    // The last day of every month at 5:00 PM.
    ['cron(0 17 L * ? *)', ['2031-01-31T17', '2031-02-28T17', '2031-03-31T17', '2031-04-30T17']],
    // Monday through Friday at 8:00 AM.
    ['cron(0 8 ? * MON-FRI *)', ['2031-01-01T08', '2031-01-02T08', '2031-01-03T08', '2031-01-06T08']],
    // First and 15th day of every month at 4:00 PM.
    ['cron(0 16 1,15 * ? *)', ['2031-01-01T16', '2031-01-15T16', '2031-02-01T16']],
    // First Sunday of every month at midnight.
    ['cron(0 0 ? * SUN#1 *)', ['2031-01-05T00', '2031-02-02T00', '2031-03-02T00']],
  ])('%s opens its windows at %j', (expression, expected) => {
    expect(openings(expression, '2031-01-01T00:00:00Z', expected.length)).toEqual(expected);
  });

  // The wildcards the guide's field table documents, each in a field that takes it.
  it.each([
    ['cron(0 9 1-15 * ? *)', ['2031-01-01T09', '2031-01-02T09']],
    ['cron(0 9 1/2 * ? *)', ['2031-01-01T09', '2031-01-03T09', '2031-01-05T09']],
    ['cron(0 9 ? * SUNL *)', ['2031-01-26T09', '2031-02-23T09']],
    ['cron(0 9 1 JAN,APR,JUL,OCT ? *)', ['2031-01-01T09', '2031-04-01T09']],
    ['cron(0 9 1 1-3 ? *)', ['2031-01-01T09', '2031-02-01T09', '2031-03-01T09', '2032-01-01T09']],
    ['cron(0 9 ? * TUE#3 *)', ['2031-01-21T09', '2031-02-18T09']],
    ['cron(0 9 ? * 1,4 *)', ['2031-01-01T09', '2031-01-05T09', '2031-01-08T09']],
    ['cron(0 9 ? * 1-4 *)', ['2031-01-01T09', '2031-01-05T09', '2031-01-06T09']],
    ['cron(0 9 ? * 1/2 *)', ['2031-01-02T09', '2031-01-04T09', '2031-01-05T09']],
    ['cron(0 9 ? * L *)', ['2031-01-04T09', '2031-01-11T09']],
    ['cron(0 9 * * ? *)', ['2031-01-01T09', '2031-01-02T09']],
  ])('%s opens its windows at %j', (expression, expected) => {
    expect(openings(expression, '2031-01-01T00:00:00Z', expected.length)).toEqual(expected);
  });

  it('finds the 29th of February four years on', () => {
    expect(openings('cron(0 0 29 FEB ? *)', '2029-01-01T00:00:00Z', 2)).toEqual([
      '2032-02-29T00',
      '2036-02-29T00',
    ]);
  });
});

describe('the rules', () => {
  it.each([
    ['rate(999 days)', 999 * 24],
    ['rate(23976 hours)', 999 * 24],
    ['rate(4 hour)', 4],
  ])('accepts %s, within 999 days', (expression, hours) => {
    expect(accepted(expression)).toMatchObject({ intervalHours: hours });
  });

  it.each(['rate(1000 days)', 'rate(23977 hours)', 'rate(3 hours)', 'rate(0 days)'])(
    'refuses %s, beyond 4 hours to 999 days',
    (expression) => {
      expect(parseScheduleExpression(expression).problems).toEqual([
        expect.stringMatching(/at most every 4 hours and at least every 999 days/),
      ]);
    },
  );

  it.each([
    // 22:00 on the last day of a month, then 01:00 on the 1st: three hours apart at every month's end.
    ['cron(0 1,22 1,L * ? *)', /3 hours apart \(22:00 and 1:00 UTC\)/],
    // The last days of two months never follow each other.
    ['cron(0 2,23 L * ? *)', null],
    ['cron(0 0,22 * * ? *)', /2 hours apart \(22:00 and 0:00 UTC\)/],
    ['cron(0 1,23 ? * SAT,SUN *)', /2 hours apart \(23:00 and 1:00 UTC\)/],
    ['cron(0 23 ? * SATL *)', null],
    // A month whose last Sunday is its last day is followed by one whose first Monday is its 1st.
    ['cron(0 1,23 ? * 1L,2#1 *)', /2 hours apart \(23:00 and 1:00 UTC\)/],
  ])('applies the four-hour rule to %s across days and month ends', (expression, message) => {
    const { problems } = parseScheduleExpression(expression);
    if (message === null) expect(problems).toBeUndefined();
    else expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it('accepts the last day of a month and the 1st when they are four hours apart', () => {
    expect(rotationGaps(accepted('cron(0 3,23 1,L * ? *)')).shortest?.hours).toBe(4);
  });

  it.each([
    ['cron(0 9 15W * ? *)', '15W'],
    ['cron(0 9 LW * ? *)', 'LW'],
    ['cron(0 9 L-3 * ? *)', 'L-3'],
  ])('refuses %s, a form the guide does not document, saying so', (expression, item) => {
    expect(parseScheduleExpression(expression).problems).toEqual([
      `the day-of-month field of "${expression}" has "${item}", a form Secrets Manager does not document for ` +
        'rotation: it takes 1-31 or L with , - * ? /.',
    ]);
  });

  it.each([
    ['cron(15 4 ? * SUN 2030)', [/minutes field .* must be 0/, /year field .* must be \*/]],
    ['cron(0 4 * * MON *)', [/sets both day-of-month and day-of-week/]],
    ['cron(0 4 ? * ? *)', [/\? in both day-of-month and day-of-week/]],
    ['cron(0 24 * * ? *)', [/the hours field .* has "24": it takes 0-23/]],
    ['cron(0 4 ? * MON#6 *)', [/the day-of-week field .* has "MON#6"/]],
    ['cron(0 4 ? 13 * *)', [/the month field .* has "13"/]],
    ['cron(0 4 * *)', [/is neither rate\(<n> hours\|days\) nor cron\(/]],
    ['rate(5 minutes)', [/is neither/]],
  ])('refuses %s, saying why', (expression, messages) => {
    expect(parseScheduleExpression(expression).problems).toEqual(
      messages.map((message) => expect.stringMatching(message)),
    );
  });

  it('gives the shortest and longest time between windows', () => {
    const gaps = rotationGaps(accepted('cron(0 8 1,15 * ? *)'));
    expect(gaps.shortest?.hours).toBe(14 * 24);
    expect(gaps.longest?.hours).toBe(17 * 24);
  });
});
