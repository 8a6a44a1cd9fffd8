/**
 * The longest grace period a replaced key may stay valid: REVOKE_GRACE_SECONDS for the function, the stack's
 * revokeGracePeriod and the app's revokeGraceSeconds. EventBridge Scheduler's at() runs any time ahead; a year
 * bounds what a typo can do (and is Factify's maximum key lifetime).
 */
export const MAX_REVOKE_GRACE_DAYS = 365;
export const MAX_REVOKE_GRACE_SECONDS = MAX_REVOKE_GRACE_DAYS * 24 * 3600;

/** Whether `seconds` is a grace period the function accepts: whole seconds from 0 (revoke at once) to the maximum. */
export function isRevokeGraceSeconds(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_REVOKE_GRACE_SECONDS;
}
