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
const DIGEST = /^[0-9a-f]{32}$/;

function digestOf(versionId: string): string {
  return createHash('sha256').update(versionId).digest('hex').slice(0, 32);
}

/**
 * The revocation schedule's name, `fkr-revoke-<secret tag>-<digest of the version id>`, deterministic in the
 * secret and the replaced version, so that a retried finishSecret finds the schedule it made instead of making
 * a second one. Always a digest: a name that held some version ids literally and others digested gave a
 * version whose id is the digest of another's the other's schedule.
 */
export function revocationScheduleName(secretArn: string, replacedVersionId: string): string {
  return `${REVOKE_SCHEDULE_PREFIX}${secretTag(secretArn)}-${digestOf(replacedVersionId)}`;
}

/**
 * Every name the revocation of this version may have been scheduled under: today's, then the one earlier
 * releases gave a short version id (`fkr-revoke-<tag>-<version id>`), for revocations still pending from
 * them. A version id shaped like a digest has no earlier name: that name would be another version's today.
 */
export function revocationScheduleNames(secretArn: string, replacedVersionId: string): string[] {
  const current = revocationScheduleName(secretArn, replacedVersionId);
  const literal = `${REVOKE_SCHEDULE_PREFIX}${secretTag(secretArn)}-${replacedVersionId}`;
  const hadLiteralName =
    literal.length <= MAX_SCHEDULE_NAME &&
    /^[\w.-]+$/.test(replacedVersionId) &&
    !DIGEST.test(replacedVersionId);
  return hadLiteralName ? [current, literal] : [current];
}
