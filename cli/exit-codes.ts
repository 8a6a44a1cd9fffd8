/**
 * The CLI's exit codes, stable for scripts. `status` exits with the code of its verdict; `recover` with
 * the code of the verdict it leaves the secret in; `rotate` with OK or FAILED.
 */
export const EXIT = {
  /** Healthy, or the command did what was asked. */
  OK: 0,
  /** The command failed (AWS or Factify error, timeout, not confirmed), or Factify could not be checked. */
  FAILED: 1,
  /** The command line is wrong. */
  USAGE: 2,
  ROTATION_IN_PROGRESS: 3,
  ORPHANS_PRESENT: 4,
  STUCK: 5,
  CURRENT_KEY_NOT_ACTIVE: 6,
  /** Rotation is disabled or unscheduled, or the current key is older than its schedule allows. */
  ROTATION_OVERDUE: 7,
} as const;
