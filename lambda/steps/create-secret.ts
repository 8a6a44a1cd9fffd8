import { KeyLimitError, MalformedSecretValueError, OrganizationMismatchError } from '../errors.js';
import { versionWithStage } from '../guard.js';
import {
  createKeyConverging,
  ensureRevoked,
  findKey,
  MAX_ACTIVE_KEYS,
  ORPHAN_REASON,
  ROTATED_REASON,
  resolveKey,
} from '../key-management.js';
import { keyNameFor } from '../key-naming.js';
import { orphanedKeys } from '../orphans.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../ports.js';
import { type KeySecret, serializeKeySecret } from '../secret-value.js';
import { managerCredential, readRequiredVersion, readVersion } from '../secret-versions.js';
import type { StepContext } from './context.js';

/**
 * createSecret: create the replacement key at Factify and store it as the AWSPENDING value of the token's
 * version. Safe to run again: a stored value ends the step, and keys that earlier attempts created but
 * could not store are revoked before a new one is made.
 */
export async function createSecret(ctx: StepContext): Promise<void> {
  if (ctx.alreadyCurrent) {
    ctx.log.info('Rotation already promoted; nothing to create');
    return;
  }
  const arn = ctx.secret.arn;
  if ((await readVersion(ctx, { versionId: ctx.token, stage: AWSPENDING })) !== undefined) {
    ctx.log.info('Pending version already holds a key; nothing to create');
    return;
  }
  // Checked before any Factify call: a token too long for a key name would strand the key we create.
  const keyName = keyNameFor(arn, ctx.token);
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  const manager = await managerCredential(ctx, current, `the current key of secret ${arn}`);
  const listed = await ctx.factify.listKeys(manager);
  const active = listed.filter((key) => key.isActive);
  const currentKey = resolveKey(active, current, arn, `The AWSCURRENT value of secret ${arn}`);

  // The key the previous rotation replaced is revoked by its finishSecret, or after its grace period by a
  // schedule. If that never happened (Factify down through every retry), finish it now rather than strand it.
  const previous = versionWithStage(ctx.secret, AWSPREVIOUS) ? await readPrevious(ctx) : undefined;
  const previousKey = previous && findKey(active, previous, arn);
  const previousDue = graceOver(ctx, current.createdAt);
  const stale = [
    ...orphanedKeys(active, arn, [currentKey.id, previousKey?.id]),
    ...(previousKey && previousDue && previousKey.id !== currentKey.id ? [previousKey] : []),
  ];
  for (const key of stale) {
    const reason = key.id === previousKey?.id ? ROTATED_REASON : ORPHAN_REASON;
    await ensureRevoked(ctx.factify, manager, key.id, reason);
    ctx.log.warn('Revoked a key left active by an earlier rotation of this secret', {
      keyId: key.id,
      reason,
    });
  }

  const remaining = active.filter((key) => !stale.includes(key));
  if (remaining.length >= MAX_ACTIVE_KEYS) {
    throw new KeyLimitError(
      remaining.map((key) => key.id),
      MAX_ACTIVE_KEYS,
    );
  }

  const created = await createKeyConverging(ctx.factify, manager, keyName, ctx.log);
  if (created.orgId !== currentKey.orgId) {
    await ensureRevoked(ctx.factify, manager, created.id, ORPHAN_REASON);
    throw new OrganizationMismatchError(
      `The new key ${created.id} was created in organization ${created.orgId}, but the current key ${currentKey.id} ` +
        `belongs to ${currentKey.orgId}; the new key was revoked. With FACTIFY_ADMIN_SECRET_ID, use an admin key of the same organization.`,
    );
  }
  await ctx.store.putPendingValue(
    arn,
    ctx.token,
    serializeKeySecret({
      apiKey: created.secret,
      apiKeyId: created.id,
      organizationId: created.orgId,
      createdAt: created.createdAt || ctx.now().toISOString(),
      carried: current.carried,
    }),
    ctx.rotationToken,
  );
  ctx.log.info('Created the replacement key and stored it as AWSPENDING', {
    keyId: created.id,
    replacesKeyId: currentKey.id,
    organizationId: created.orgId,
  });
}

// A replaced key's grace runs from the promotion of its successor, shortly after that key's creation; a
// margin covers the time between the two and the scheduled revocation's own retries.
const GRACE_MARGIN_MS = 24 * 3600 * 1000;

function graceOver(ctx: StepContext, currentCreatedAt: string | undefined): boolean {
  if (ctx.revokeGraceSeconds === 0) return true;
  const created = currentCreatedAt === undefined ? Number.NaN : Date.parse(currentCreatedAt);
  return ctx.now().getTime() - created > ctx.revokeGraceSeconds * 1000 + GRACE_MARGIN_MS;
}

// AWSPREVIOUS may hold anything a person once put there: a value that is not a key secret is not ours to revoke.
async function readPrevious(ctx: StepContext): Promise<KeySecret | undefined> {
  try {
    return await readVersion(ctx, { stage: AWSPREVIOUS });
  } catch (error) {
    if (!(error instanceof MalformedSecretValueError)) throw error;
    ctx.log.warn('The AWSPREVIOUS value is not a Factify key secret; leaving it alone');
    return undefined;
  }
}
