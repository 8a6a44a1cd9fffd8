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
    [Duration.days(1001), /at least every 1000 days/],
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
    ['cron(0 */6 * * ? *)', Duration.hours(24), []],
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
});
