import { RotationStateError } from '../errors.js';
import { versionWithStage } from '../guard.js';
import { findKey } from '../key-management.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../ports.js';
import { revokeOrSchedule } from '../revocation.js';
import type { KeySecret } from '../secret-value.js';
import { managerCredential, readRequiredVersion, readVersion } from '../secret-versions.js';
import type { StepContext } from './context.js';

/**
 * finishSecret: promote the token's version to AWSCURRENT, leave AWSPENDING on no version, then revoke the
 * replaced key with reason "rotated", or schedule that after the grace period (revocation.ts). The revoke
 * does not hide behind the "already promoted" shortcut: a retry after the label moved still makes sure the
 * replaced key ends revoked (or scheduled), exactly once.
 */
export async function finishSecret(ctx: StepContext): Promise<void> {
  const arn = ctx.secret.arn;
  let replaced: KeySecret | undefined;
  let replacedVersionId: string | undefined;
  if (ctx.alreadyCurrent) {
    replacedVersionId = versionWithStage(ctx.secret, AWSPREVIOUS);
    replaced =
      replacedVersionId === undefined ? undefined : await readVersion(ctx, { versionId: replacedVersionId });
  } else {
    const currentVersionId = versionWithStage(ctx.secret, AWSCURRENT);
    replacedVersionId = currentVersionId;
    replaced = await readRequiredVersion(ctx, { stage: AWSCURRENT });
    await ctx.store.updateStage(arn, AWSCURRENT, {
      moveToVersionId: ctx.token,
      ...(currentVersionId === undefined ? {} : { removeFromVersionId: currentVersionId }),
    });
    ctx.log.info('Promoted the new version to AWSCURRENT', { previousVersionId: currentVersionId });
  }
  await removePending(ctx);

  if (replaced === undefined || replacedVersionId === undefined) {
    ctx.log.info('No replaced key to revoke');
    return;
  }
  const promoted = await readRequiredVersion(ctx, { versionId: ctx.token });
  if (replaced.apiKeyId !== undefined && replaced.apiKeyId === promoted.apiKeyId) {
    throw new RotationStateError(
      `The replaced and the new version of secret ${arn} hold the same key; not revoking it.`,
    );
  }
  const manager = await managerCredential(ctx, promoted, `the new current key of secret ${arn}`);
  // A retry may follow a revoke that was applied: look before revoking, so the key is revoked exactly once.
  // A first value written without apiKeyId needs the listing anyway, to find the key by its prefix.
  let keyId = replaced.apiKeyId;
  let createdAt = replaced.createdAt;
  if (ctx.alreadyCurrent || keyId === undefined) {
    const key = findKey(await ctx.factify.listKeys(manager, { includeRevoked: true }), replaced, arn);
    if (key === undefined) {
      throw new RotationStateError(
        `The key that secret ${arn} replaced is not listed at Factify under its apiKeyId or a unique prefix, so it ` +
          'was not revoked. Check the Factify dashboard (Manage > API Keys) and revoke it there if it is still active.',
      );
    }
    if (key.revokedAt !== null) {
      ctx.log.info('The replaced key is already revoked', { keyId: key.id });
      return;
    }
    keyId = key.id;
    createdAt ??= key.createdAt;
  }
  await revokeOrSchedule(ctx, manager, { versionId: replacedVersionId, keyId, createdAt });
}

/** Takes AWSPENDING off the token's version, tolerating Secrets Manager having removed it with the move. */
async function removePending(ctx: StepContext): Promise<void> {
  if (!ctx.secret.versions[ctx.token]?.includes(AWSPENDING)) return;
  try {
    await ctx.store.updateStage(ctx.secret.arn, AWSPENDING, { removeFromVersionId: ctx.token });
  } catch (error) {
    const now = await ctx.store.describe(ctx.secret.arn);
    if (now.versions[ctx.token]?.includes(AWSPENDING)) throw error;
  }
}
