import type { Verdict } from '../lambda/health/verdict.js';
import { EXIT } from './exit-codes.js';

export { STUCK_AFTER_MS } from '../lambda/health/verdict.js';

export const VERDICT_EXIT_CODES: Readonly<Record<Verdict, number>> = {
  healthy: EXIT.OK,
  'rotation-in-progress': EXIT.ROTATION_IN_PROGRESS,
  'orphans-present': EXIT.ORPHANS_PRESENT,
  stuck: EXIT.STUCK,
  'current-key-not-active': EXIT.CURRENT_KEY_NOT_ACTIVE,
  'rotation-disabled': EXIT.ROTATION_OVERDUE,
  'rotation-overdue': EXIT.ROTATION_OVERDUE,
  unknown: EXIT.FAILED,
};
