import { randomUUID } from 'node:crypto';
import { AWSCURRENT, AWSPENDING, type Credential } from '../ports.js';
import { daysBetween } from '../settings/rotation-deadline.js';
import type { SecretContext, StepContext } from '../step-context.js';
import { ConfigurationError, RotationStateError } from '../telemetry/errors.js';
import { stagesOf } from './guard.js';
import { ensureRevoked, ROTATED_REASON } from './key-management.js';
import { recheckRevocation } from './recheck.js';
import { revocationScheduleName, revocationScheduleNames } from './revocation-schedule.js';
import { managerCredential, readRequiredVersion } from './secret-versions.js';

/**
 * `{"Action": "revokeReplacedKey", "SecretId", "VersionId", "ApiKeyId"}`: the revocation that finishSecret
 * schedules when a grace period is set. VersionId is the replaced version, ApiKeyId the key it holds.
 */
export interface RevokeReplacedKeyEvent {
  readonly kind: 'revoke-replaced-key';
  readonly secretId: string;
  readonly versionId: string;
  readonly apiKeyId: string;
}

export const REVOKE_ACTION = 'revokeReplacedKey';

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

/** finishSecret's last act: revoke the replaced key now, or schedule its revocation after the grace period. */
export async function revokeOrSchedule(
  ctx: StepContext,
  manager: Credential,
  replaced: {
    versionId: string;
    keyId: string;
    createdAt?: string | undefined;
    /** Throws when the evidence does not allow the revoke (ownership.ts checkRevocable). */
    prove: () => Promise<void>;
  },
): Promise<void> {
  if (ctx.revokeGraceSeconds === 0 || ctx.token.startsWith(EMERGENCY_TOKEN_PREFIX)) {
    await replaced.prove();
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
 * Runs a scheduled revocation. Anyone who may invoke the function can send this event, so it proves
 * everything again (ownership.ts) and trusts nothing in it: it runs only when a grace period is configured,
 * revokes only a key that a sealed version of this secret records as the key its rotation replaced (or, for
 * a revocation a release before seals scheduled, that the replaced version proves it holds), and never the
 * key of AWSCURRENT or AWSPENDING, the admin key or another secret's key. Revoking twice is harmless: a
 * revoked key is left alone.
 */
export async function revokeReplacedKey(ctx: SecretContext, event: RevokeReplacedKeyEvent): Promise<void> {
  const arn = ctx.secret.arn;
  const refuse = (why: string): never => {
    throw new RotationStateError(`Refusing to revoke key ${event.apiKeyId} of secret ${arn}: ${why}.`);
  };
  if (ctx.revokeGraceSeconds === 0) {
    refuse(
      'no grace period is configured (REVOKE_GRACE_SECONDS), so finishSecret revokes replaced keys itself and ' +
        'schedules nothing; this event did not come from this function',
    );
  }
  // The real event comes when its schedule runs: one sent before would end the grace period early. The
  // schedule is looked for under its earlier name too, for a revocation scheduled before the upgrade.
  const scheduler = await ctx.scheduler();
  const scheduleNames = revocationScheduleNames(arn, event.versionId);
  for (const name of scheduleNames) {
    const at = await scheduler.scheduledAt(name);
    if (at !== undefined && at.getTime() > ctx.now().getTime()) {
      refuse(
        `its schedule runs at ${at.toISOString()}, and the revocation runs then, not before. To revoke a leaked ` +
          'key at once, rotate the secret with {"SecretId": ..., "RevokeImmediately": true}',
      );
    }
  }
  const stages = stagesOf(ctx.secret, event.versionId) ?? [];
  if (stages.includes(AWSCURRENT) || stages.includes(AWSPENDING)) {
    refuse(`version ${event.versionId} is ${stages.join(', ')}, not a replaced version`);
  }
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  const manager = await managerCredential(ctx, current, `the current key of secret ${arn}`);
  const key = await recheckRevocation(ctx, manager, {
    kind: 'replaced',
    keyId: event.apiKeyId,
    versionId: event.versionId,
  });
  if (key === 'already-revoked') {
    ctx.log.info('The replaced key is already revoked', { keyId: event.apiKeyId });
  } else {
    const outcome = await ensureRevoked(ctx.factify, manager, key.id, ROTATED_REASON);
    ctx.log.info('Revoked the replaced key after its grace period', { keyId: key.id, outcome });
    if (outcome === 'revoked') recordRevokedAge(ctx, key.createdAt);
  }
  for (const name of scheduleNames) await scheduler.deleteSchedule(name);
}

/** The ReplacedKeyAgeDays metric: how old a key was when it was revoked, from the createdAt it was stored with. */
function recordRevokedAge(ctx: SecretContext, createdAt: string | undefined): void {
  const created = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  ctx.metrics?.set('ReplacedKeyAgeDays', daysBetween(created, ctx.now().getTime()));
}
