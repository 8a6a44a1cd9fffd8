import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/settings/config.js';
import {
  isRevokeGraceSeconds,
  MAX_REVOKE_GRACE_DAYS,
  MAX_REVOKE_GRACE_SECONDS,
} from '../../lambda/settings/revoke-grace.js';
import { ConfigurationError } from '../../lambda/telemetry/errors.js';

// The one rule for the grace period, which the function, the construct and the app all apply.
describe('revoke grace', () => {
  it('is at most 365 days', () => {
    expect(MAX_REVOKE_GRACE_DAYS).toBe(365);
    expect(MAX_REVOKE_GRACE_SECONDS).toBe(365 * 24 * 3600);
  });

  it.each([
    [0, true],
    [1, true],
    [3600, true],
    [MAX_REVOKE_GRACE_SECONDS, true],
    [MAX_REVOKE_GRACE_SECONDS + 1, false],
    [1.5, false],
    [-1, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
  ])('accepts %s seconds: %s', (seconds, accepted) => {
    expect(isRevokeGraceSeconds(seconds)).toBe(accepted);
  });

  it('is the bound of REVOKE_GRACE_SECONDS', () => {
    const role = 'arn:aws:iam::123456789012:role/scheduler';
    const env = (grace: number) => ({ REVOKE_GRACE_SECONDS: String(grace), REVOKE_SCHEDULER_ROLE_ARN: role });
    expect(loadConfig(env(MAX_REVOKE_GRACE_SECONDS)).revokeGraceSeconds).toBe(MAX_REVOKE_GRACE_SECONDS);
    expect(() => loadConfig(env(MAX_REVOKE_GRACE_SECONDS + 1))).toThrow(ConfigurationError);
  });
});
