import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { KeyRotationSchedule } from '../../infra/rotation-schedule.js';

describe('KeyRotationSchedule', () => {
  it.each([
    [Duration.days(30), 'rate(30 days)'],
    [Duration.days(1), 'rate(1 day)'],
    [Duration.hours(48), 'rate(2 days)'],
    [Duration.hours(4), 'rate(4 hours)'],
    [Duration.hours(36), 'rate(36 hours)'],
    [Duration.days(999), 'rate(999 days)'],
  ])('renders a rate of %s as %s', (interval, expression) => {
    const schedule = KeyRotationSchedule.rate(interval);
    expect(schedule.problems(undefined)).toEqual([]);
    expect(schedule.expressionString).toBe(expression);
  });

  it.each([
    ['rate(30 days)', 'rate(30 days)'],
    ['rate(1 day)', 'rate(1 day)'],
    ['rate(12 hours)', 'rate(12 hours)'],
    [' cron(0 4 ? * SUN *) ', 'cron(0 4 ? * SUN *)'],
  ])('reads the context expression %j', (text, expression) => {
    expect(KeyRotationSchedule.fromExpression(text).expressionString).toBe(expression);
  });

  it.each([
    [Duration.hours(3), /at most every 4 hours/],
    [Duration.days(1000), /at least every 999 days/],
    [Duration.minutes(270), /whole number of hours, got 4 hours 30 minutes/],
  ])('rejects a rate of %s', (interval, message) => {
    expect(KeyRotationSchedule.rate(interval).problems(undefined)).toEqual([expect.stringMatching(message)]);
  });

  it('rejects cron expressions Secrets Manager does not accept, with every reason', () => {
    expect(KeyRotationSchedule.cron('cron(15 4 ? * SUN 2030)').problems(undefined)).toEqual([
      expect.stringMatching(/minutes field .* must be 0/),
      expect.stringMatching(/year field .* must be \*/),
    ]);
    expect(KeyRotationSchedule.fromExpression('every sunday').problems(undefined)).toEqual([
      expect.stringMatching(/neither rate\(<n> hours\|days\) nor cron\(/),
    ]);
    expect(KeyRotationSchedule.cron('cron(0 4 * *)').problems(undefined)).toHaveLength(1);
  });

  it('reports a window out of range together with the schedule problems', () => {
    expect(KeyRotationSchedule.cron('cron(5 4 ? * SUN *)').problems(Duration.hours(30))).toEqual([
      expect.stringMatching(/minutes field .* must be 0/),
      expect.stringMatching(/^rotationWindow: the window is 1 to 24 whole hours, got 1 day 6 hours/),
    ]);
  });

  it.each([
    ['cron(0 4 ? * SUN *)', Duration.hours(3), []],
    ['cron(0 20 ? * SUN *)', Duration.hours(4), []],
    ['cron(0 20 ? * SUN *)', Duration.hours(5), [/opening at 20:00 UTC lasts at most 4h/]],
    ['cron(0 */6 * * ? *)', Duration.hours(6), []],
    ['cron(0 0,6 * * ? *)', Duration.hours(7), [/7h would overlap the next window .* 6h apart/]],
    [
      'cron(0 */6 * * ? *)',
      Duration.hours(24),
      [/opening at 18:00 UTC lasts at most 6h/, /24h would overlap the next window/],
    ],
    ['rate(30 days)', Duration.hours(24), []],
    ['rate(6 hours)', Duration.hours(6), []],
    ['rate(6 hours)', Duration.hours(7), [/7h would overlap the next window of rate\(6 hours\)/]],
    ['rate(30 days)', Duration.minutes(90), [/1 to 24 whole hours, got 1 hour 30 minutes/]],
    ['rate(30 days)', Duration.hours(25), [/1 to 24 whole hours/]],
  ])('checks %s with a window of %s', (expression, window, expected) => {
    expect(KeyRotationSchedule.fromExpression(expression).problems(window)).toEqual(
      expected.map((pattern) => expect.stringMatching(pattern)),
    );
  });

  // The examples of "Schedule expressions in Secrets Manager rotation" (Secrets Manager User Guide) and more.
  it.each([
    'cron(0 10 * * ? *)',
    'cron(0 18 ? * SAT *)',
    'cron(0 8 1 * ? *)',
    'cron(0 1 ? 1/3 SUN *)',
    'cron(0 17 L * ? *)',
    'cron(0 8 ? * MON-FRI *)',
    'cron(0 16 1,15 * ? *)',
    'cron(0 0 ? * SUN#1 *)',
    'cron(0 4 ? * 6L *)',
    'cron(0 9 15 JAN,JUL ? *)',
    // AWS's own example, every eight hours starting at midnight.
    'cron(0 /8 * * ? *)',
    'cron(0 */4 * * ? *)',
    'cron(0 0,12 * * ? *)',
    'cron(0 2-22/4 ? * * *)',
    // 22:00 on Mondays and 00:00 on Mondays are a day apart, not two hours.
    'cron(0 0,22 ? * MON *)',
  ])('accepts %s', (expression) => {
    expect(KeyRotationSchedule.cron(expression).problems(undefined)).toEqual([]);
  });

  it.each([
    ['cron(0 */2 * * ? *)', /2 hours apart \(0:00 and 2:00 UTC\).*at most every 4 hours/],
    ['cron(0 1,3 * * ? *)', /2 hours apart \(1:00 and 3:00 UTC\)/],
    ['cron(0 8-12 ? * MON *)', /1 hours apart/],
    // Across midnight, when the schedule runs two days in a row.
    ['cron(0 0,22 * * ? *)', /2 hours apart \(22:00 and 0:00 UTC\)/],
    ['cron(0 1,23 ? * MON-FRI *)', /2 hours apart \(23:00 and 1:00 UTC\)/],
    ['cron(0 1,23 ? * SAT,SUN *)', /2 hours apart \(23:00 and 1:00 UTC\)/],
    ['cron(0 1,23 14,15 * ? *)', /2 hours apart \(23:00 and 1:00 UTC\)/],
    // Across a month's end: the last day at 22:00, the 1st at 01:00.
    ['cron(0 1,22 1,L * ? *)', /3 hours apart \(22:00 and 1:00 UTC\)/],
  ])('rejects %s, more often than every four hours', (expression, message) => {
    expect(KeyRotationSchedule.cron(expression).problems(undefined)).toEqual([
      expect.stringMatching(message),
    ]);
  });

  it.each([
    ['cron(0 4 * * * *)', /sets both day-of-month and day-of-week: Secrets Manager needs \? in one of them/],
    ['cron(0 4 1 * MON *)', /sets both day-of-month and day-of-week/],
    ['cron(0 4 ? * ? *)', /has \? in both day-of-month and day-of-week/],
    ['cron(0 24 * * ? *)', /the hours field of .* has "24": it takes 0-23/],
    ['cron(0 4 32 * ? *)', /the day-of-month field of .* has "32"/],
    ['cron(0 4 ? 13 MON *)', /the month field of .* has "13": it takes 1-12 or JAN-DEC/],
    ['cron(0 4 ? * MON#6 *)', /the day-of-week field of .* has "MON#6"/],
    ['cron(0 4 ? * FUN *)', /the day-of-week field of .* has "FUN"/],
    ['cron(0 20-4 * * ? *)', /has "20-4", a range that ends before it starts/],
    ['cron(0 L * * ? *)', /the hours field of .* has "L"/],
    ['cron(0 9 15W * ? *)', /has "15W", a form Secrets Manager does not document for rotation/],
    ['cron(0 9 L-3 * ? *)', /has "L-3", a form Secrets Manager does not document for rotation/],
    ['rate(1000 days)', /at least every 999 days/],
  ])('rejects %s, saying why', (expression, message) => {
    expect(KeyRotationSchedule.cron(expression).problems(undefined)).toEqual([
      expect.stringMatching(message),
    ]);
  });
});
