/**
 * What an inspection concludes about a secret: one verdict (the most urgent state, which the CLI turns into
 * its exit code) and every finding (which the audit logs, one line each). Shared by `factify-rotation status`
 * and the function's daily audit, so that both judge a secret by the same rules.
 */

/** The most urgent state of a secret, most urgent first. */
export type Verdict =
  | 'current-key-not-active'
  | 'stuck'
  | 'rotation-disabled'
  | 'rotation-in-progress'
  | 'rotation-overdue'
  | 'unknown'
  | 'orphans-present'
  | 'healthy';

/** Every verdict, most urgent first. */
const VERDICTS: readonly Verdict[] = [
  'current-key-not-active',
  'stuck',
  'rotation-disabled',
  'rotation-in-progress',
  'rotation-overdue',
  'unknown',
  'orphans-present',
  'healthy',
];

/** A verdict's rank: 0 for the most urgent. */
export function urgency(verdict: Verdict): number {
  return VERDICTS.indexOf(verdict);
}

/** The most urgent of several verdicts (healthy for none). */
export function mostUrgent(verdicts: Iterable<Verdict>): Verdict {
  let index = VERDICTS.length - 1;
  for (const verdict of verdicts) index = Math.min(index, VERDICTS.indexOf(verdict));
  return VERDICTS[index] as Verdict;
}

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

/** Factify's limit is 5 active keys per organization: at 4, one failed cleanup away from failing rotations. */
export const ACTIVE_KEYS_WARNING = 4;

export type FindingCode =
  | 'rotation-disabled'
  | 'rotation-not-scheduled'
  | 'rotation-overdue'
  | 'rotation-stuck'
  | 'current-key-not-active'
  | 'orphaned-keys'
  | 'replaced-key-not-revoked'
  | 'active-keys-near-limit'
  | 'factify-unchecked'
  | 'key-not-identified';

/** One thing wrong with a secret, for a log line and the report. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
}

export interface HealthFacts {
  /** Rotation is turned on and points at a function. */
  readonly rotationEnabled: boolean;
  /** The current key is older than the schedule and window allow (false when that cannot be told). */
  readonly overdue: boolean;
  /** The AWSCURRENT key at Factify; undefined when Factify could not be checked. */
  readonly currentKey: KeyState | undefined;
  /** How long AWSPENDING has been on a version other than AWSCURRENT, if it is. */
  readonly pendingAgeMs: number | undefined;
  /** Active keys this secret should have revoked: orphans and a replaced key still active. */
  readonly leftoverKeys: number;
}

/**
 * The verdict rules, most urgent first: consumers failing beats a blocked rotation, which beats rotation
 * that will not happen (disabled) or did not (overdue, unless one is running now), which beats leftover keys.
 * What can be decided from Secrets Manager alone is reported even when Factify could not be checked.
 */
export function decideVerdict(facts: HealthFacts): Verdict {
  if (facts.currentKey !== undefined && facts.currentKey !== 'active') return 'current-key-not-active';
  if (facts.pendingAgeMs !== undefined && facts.pendingAgeMs >= STUCK_AFTER_MS) return 'stuck';
  if (!facts.rotationEnabled) return 'rotation-disabled';
  if (facts.pendingAgeMs !== undefined) return 'rotation-in-progress';
  if (facts.overdue) return 'rotation-overdue';
  if (facts.currentKey === undefined) return 'unknown';
  return facts.leftoverKeys > 0 ? 'orphans-present' : 'healthy';
}
