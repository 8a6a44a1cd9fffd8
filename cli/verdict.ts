import { EXIT } from './exit-codes.js';

/** What `status` concludes about a secret, most urgent first. */
export type Verdict =
  | 'current-key-not-active'
  | 'stuck'
  | 'rotation-in-progress'
  | 'unknown'
  | 'orphans-present'
  | 'healthy';

/**
 * The state at Factify of the key a version holds. `rejected`: Factify answered 401 to the key itself;
 * `unchecked`: Factify could not be asked; `no-value`: the AWSPENDING placeholder before createSecret.
 */
export type KeyState =
  | 'active'
  | 'revoked'
  | 'expired'
  | 'not-found'
  | 'rejected'
  | 'unchecked'
  | 'no-value'
  | 'not-a-key-secret';

/**
 * How long AWSPENDING may sit on a version other than AWSCURRENT before the rotation counts as stuck.
 * A healthy rotation takes seconds, and each of its four steps is one Lambda invocation that cannot run
 * longer than Lambda's 15-minute maximum. A rotation still pending after that has had a step fail (or
 * never run) and finishes only if a retry of Secrets Manager succeeds: someone should look at it.
 */
export const STUCK_AFTER_MS = 15 * 60_000;

export interface HealthFacts {
  /** The AWSCURRENT key at Factify; undefined when Factify could not be checked. */
  readonly currentKey: KeyState | undefined;
  /** How long AWSPENDING has been on a version other than AWSCURRENT, if it is. */
  readonly pendingAgeMs: number | undefined;
  /** Active keys this secret should have revoked: orphans and a replaced key still active. */
  readonly leftoverKeys: number;
}

/**
 * The verdict rules, most urgent first: consumers failing beats a blocked rotation, which beats leftover
 * keys. What can be decided from Secrets Manager alone (stuck, in progress) is reported even when Factify
 * could not be checked.
 */
export function decideVerdict(facts: HealthFacts): Verdict {
  if (facts.currentKey !== undefined && facts.currentKey !== 'active') return 'current-key-not-active';
  if (facts.pendingAgeMs !== undefined) {
    return facts.pendingAgeMs >= STUCK_AFTER_MS ? 'stuck' : 'rotation-in-progress';
  }
  if (facts.currentKey === undefined) return 'unknown';
  return facts.leftoverKeys > 0 ? 'orphans-present' : 'healthy';
}

export const VERDICT_EXIT_CODES: Readonly<Record<Verdict, number>> = {
  healthy: EXIT.OK,
  'rotation-in-progress': EXIT.ROTATION_IN_PROGRESS,
  'orphans-present': EXIT.ORPHANS_PRESENT,
  stuck: EXIT.STUCK,
  'current-key-not-active': EXIT.CURRENT_KEY_NOT_ACTIVE,
  unknown: EXIT.FAILED,
};
