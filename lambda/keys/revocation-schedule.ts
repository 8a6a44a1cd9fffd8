import { createHash } from 'node:crypto';
import { secretTag } from './key-naming.js';

/**
 * Where and under what names the function schedules the revocation of a replaced key (EventBridge Scheduler):
 * the shared group of earlier versions (the construct's own is REVOKE_SCHEDULE_GROUP, settings/config.ts), the
 * name prefix that the function's IAM policy and the scheduler role's trust are scoped to, and
 * the name of each schedule. The function, its Scheduler adapter, the stack's policies and the CLI use these.
 */

/**
 * The account's shared group, where versions before the construct had a group of its own (REVOKE_SCHEDULE_GROUP
 * in the function's environment) made their schedules: the function still finds and deletes those there.
 */
export const LEGACY_REVOKE_SCHEDULE_GROUP = 'default';

export const REVOKE_SCHEDULE_PREFIX = 'fkr-revoke-';
/** EventBridge Scheduler's limit on schedule names. */
const MAX_SCHEDULE_NAME = 64;

/**
 * The revocation schedule's name, `fkr-revoke-<secret tag>-<version>`, deterministic in the secret and the
 * replaced version, so that a retried finishSecret finds the schedule it made instead of making a second one.
 */
export function revocationScheduleName(secretArn: string, replacedVersionId: string): string {
  const name = `${REVOKE_SCHEDULE_PREFIX}${secretTag(secretArn)}-${replacedVersionId}`;
  if (name.length <= MAX_SCHEDULE_NAME && /^[\w.-]+$/.test(replacedVersionId)) return name;
  const digest = createHash('sha256').update(replacedVersionId).digest('hex').slice(0, 32);
  return `${REVOKE_SCHEDULE_PREFIX}${secretTag(secretArn)}-${digest}`;
}
