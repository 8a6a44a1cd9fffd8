import { createHash, randomUUID } from 'node:crypto';
import { ConfigurationError, RotationStateError } from './errors.js';
import { REVOKE_ACTION, type RevokeReplacedKeyEvent } from './event.js';
import { versionWithStage } from './guard.js';
import { ensureRevoked, ROTATED_REASON } from './key-management.js';
import { secretTag } from './key-naming.js';
import { AWSCURRENT, AWSPENDING, type Credential } from './ports.js';
import { managerCredential, readRequiredVersion, readVersion } from './secret-versions.js';
import type { SecretContext, StepContext } from './steps/context.js';

/**
 * When the replaced key of a rotation is revoked. With no grace period, inside finishSecret. With one,
 * finishSecret schedules a one-time EventBridge Scheduler invocation of this function with a
 * revokeReplacedKey event, because consumers cache secrets (the Lambda extension for 5 minutes, the AWS
 * caching libraries for an hour) and would otherwise hold a dead key. A rotation started with
 * RevokeImmediately (a leaked key) carries a ClientRequestToken that says so, and revokes at once whatever
 * the grace: the token is the one piece of state that every retried step of that rotation sees.
 */
export const EMERGENCY_TOKEN_PREFIX = 'emergency-';

export function emergencyToken(): string {
  return `${EMERGENCY_TOKEN_PREFIX}${randomUUID()}`;
}

const SCHEDULE_PREFIX = 'fkr-revoke-';
const MAX_SCHEDULE_NAME = 64;

/**
 * The revocation schedule's name, deterministic in the secret and the replaced version, so that a retried
 * finishSecret finds the schedule it made instead of making a second one. Under the `fkr-revoke-` prefix
 * that the function's IAM policy is scoped to.
 */
export function revocationScheduleName(secretArn: string, replacedVersionId: string): string {
  const name = `${SCHEDULE_PREFIX}${secretTag(secretArn)}-${replacedVersionId}`;
  if (name.length <= MAX_SCHEDULE_NAME && /^[\w.-]+$/.test(replacedVersionId)) return name;
  const digest = createHash('sha256').update(replacedVersionId).digest('hex').slice(0, 32);
  return `${SCHEDULE_PREFIX}${secretTag(secretArn)}-${digest}`;
}

/** finishSecret's last act: revoke the replaced key now, or schedule its revocation after the grace period. */
export async function revokeOrSchedule(
  ctx: StepContext,
  manager: Credential,
  replaced: { versionId: string; keyId: string; createdAt?: string | undefined },
): Promise<void> {
  if (ctx.revokeGraceSeconds === 0 || ctx.token.startsWith(EMERGENCY_TOKEN_PREFIX)) {
    const outcome = await ensureRevoked(ctx.factify, manager, replaced.keyId, ROTATED_REASON);
    ctx.log.info('Revoked the replaced key', { keyId: replaced.keyId, outcome });
    if (outcome === 'revoked') recordRevokedAge(ctx, replaced.createdAt);
    return;
  }
  if (ctx.functionArn === undefined || ctx.schedulerRoleArn === undefined) {
    throw new ConfigurationError(
      'A grace period is set but the revocation cannot be scheduled: the invocation has no function ARN or ' +
        'REVOKE_SCHEDULER_ROLE_ARN is unset.',
    );
  }
  const at = new Date(ctx.now().getTime() + ctx.revokeGraceSeconds * 1000);
  const name = revocationScheduleName(ctx.secret.arn, replaced.versionId);
  const event = {
    Action: REVOKE_ACTION,
    SecretId: ctx.secret.arn,
    VersionId: replaced.versionId,
    ApiKeyId: replaced.keyId,
  };
  const outcome = await (await ctx.scheduler()).scheduleOnce({
    name,
    at,
    targetArn: ctx.functionArn,
    roleArn: ctx.schedulerRoleArn,
    input: event,
  });
  ctx.log.info('Scheduled the revocation of the replaced key after its grace period', {
    keyId: replaced.keyId,
    scheduleName: name,
    revokeAt: at.toISOString(),
    outcome,
  });
}

/**
 * Runs a scheduled revocation. It revokes only a key that the named version of this secret holds, and never
 * the key of AWSCURRENT or AWSPENDING, so the event cannot be turned against a live key or another
 * application's key. Revoking twice is harmless: a revoked key is left alone.
 */
export async function revokeReplacedKey(ctx: SecretContext, event: RevokeReplacedKeyEvent): Promise<void> {
  const arn = ctx.secret.arn;
  const refuse = (why: string): never => {
    throw new RotationStateError(`Refusing to revoke key ${event.apiKeyId} of secret ${arn}: ${why}.`);
  };
  const stages = ctx.secret.versions[event.versionId] ?? [];
  if (stages.includes(AWSCURRENT) || stages.includes(AWSPENDING)) {
    refuse(`version ${event.versionId} is ${stages.join(', ')}, not a replaced version`);
  }
  const replaced = await readVersion(ctx, { versionId: event.versionId });
  if (replaced?.apiKeyId !== event.apiKeyId) refuse(`version ${event.versionId} does not hold that key`);
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  const pending = versionWithStage(ctx.secret, AWSPENDING)
    ? await readVersion(ctx, { stage: AWSPENDING })
    : undefined;
  if (current.apiKeyId === event.apiKeyId || pending?.apiKeyId === event.apiKeyId) {
    refuse('it is the AWSCURRENT or AWSPENDING key');
  }
  const manager = await managerCredential(ctx, current, `the current key of secret ${arn}`);
  const outcome = await ensureRevoked(ctx.factify, manager, event.apiKeyId, ROTATED_REASON, {
    checkFirst: true,
  });
  ctx.log.info('Revoked the replaced key after its grace period', { keyId: event.apiKeyId, outcome });
  if (outcome === 'revoked') recordRevokedAge(ctx, replaced?.createdAt);
  await (await ctx.scheduler()).deleteSchedule(revocationScheduleName(arn, event.versionId));
}

/** The ReplacedKeyAgeDays metric: how old a key was when it was revoked, from the createdAt it was stored with. */
function recordRevokedAge(ctx: SecretContext, createdAt: string | undefined): void {
  const created = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  ctx.metrics?.set(
    'ReplacedKeyAgeDays',
    Math.round(((ctx.now().getTime() - created) / 86_400_000) * 100) / 100,
  );
}
