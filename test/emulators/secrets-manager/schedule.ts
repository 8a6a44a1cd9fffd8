import { type Input, optionalInteger } from '../aws/input.js';
import { invalidParameter } from './errors.js';
import { optionalString } from './input.js';

/** `RotationRulesType` as it travels on the wire. */
export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** "You can rotate a secret as often as every four hours" (rotate-secrets_schedule); at most 1000 days. */
const MIN_INTERVAL_MS = 4 * HOUR_MS;
const MAX_INTERVAL_MS = 1000 * DAY_MS;
const RATE = /^rate\((\d+) (hours?|days?)\)$/;
const CRON = /^cron\(.+\)$/;
const WINDOW = /^\d{1,2}h$/;

/** Validates RotationRules the way RotateSecret does and returns them with only the members given. */
export function parseRotationRules(input: Input): RotationRules {
  const days = optionalInteger(input, 'AutomaticallyAfterDays', 1, 1000);
  const expression = optionalString(input, 'ScheduleExpression');
  const duration = optionalString(input, 'Duration');
  if (days !== undefined && expression !== undefined) {
    throw invalidParameter('You cannot specify both rotation frequency and schedule expression together');
  }
  if (expression !== undefined && !CRON.test(expression)) {
    const interval = rateInterval(expression);
    if (interval === undefined) throw invalidParameter(`Invalid ScheduleExpression: ${expression}`);
    if (interval < MIN_INTERVAL_MS || interval > MAX_INTERVAL_MS) {
      throw invalidParameter('The rotation interval must be between 4 hours and 1000 days.');
    }
  }
  if (duration !== undefined && !WINDOW.test(duration)) {
    throw invalidParameter(`Invalid Duration: ${duration}. Use hours, for example 3h.`);
  }
  return {
    ...(days !== undefined && { AutomaticallyAfterDays: days }),
    ...(expression !== undefined && { ScheduleExpression: expression }),
    ...(duration !== undefined && { Duration: duration }),
  };
}

/**
 * When the next rotation is due: one interval after `since` (the last rotation, manual updates included).
 * Simplified: AWS reports the end of the rotation window instead, and this returns undefined for
 * cron() schedules rather than evaluating them.
 */
export function nextRotationDate(rules: RotationRules, since: Date): Date | undefined {
  const interval =
    rules.AutomaticallyAfterDays !== undefined
      ? rules.AutomaticallyAfterDays * DAY_MS
      : rules.ScheduleExpression !== undefined
        ? rateInterval(rules.ScheduleExpression)
        : undefined;
  return interval === undefined ? undefined : new Date(since.getTime() + interval);
}

function rateInterval(expression: string): number | undefined {
  const match = RATE.exec(expression);
  if (!match) return undefined;
  const [, count, unit] = match;
  return Number(count) * (unit?.startsWith('hour') ? HOUR_MS : DAY_MS);
}
