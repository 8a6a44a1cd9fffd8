import { stagesOf, versionWithStage } from '../../keys/guard.js';
import { listUntil } from '../../keys/key-management.js';
import { keyNameFor } from '../../keys/key-naming.js';
import {
  type HeldVersion,
  identifyKey,
  protectedKeyIds,
  proveRevocable,
  replacedByRotation,
  requireKey,
} from '../../keys/ownership.js';
import { revokeOrSchedule } from '../../keys/revocation.js';
import { managerCredential, readRequiredVersion, readVersion } from '../../keys/secret-versions.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type Credential, type FactifyKey } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import { FactifyAuthenticationError, RotationStateError } from '../../telemetry/errors.js';

/**
 * finishSecret: promote the token's version to AWSCURRENT, leave AWSPENDING on no version, then revoke the
 * replaced key with reason "rotated", or schedule that after the grace period (revocation.ts). The revoke
 * does not hide behind the "already promoted" shortcut: a retry after the label moved still makes sure the
 * replaced key ends revoked (or scheduled), exactly once. It revokes only a key this rotation replaced and
 * that passes the ownership proof (ownership.ts).
 */
export async function finishSecret(ctx: StepContext): Promise<void> {
  const arn = ctx.secret.arn;
  let replacedVersionId: string | undefined;
  if (ctx.alreadyCurrent) {
    replacedVersionId = versionWithStage(ctx.secret, AWSPREVIOUS);
  } else {
    replacedVersionId = versionWithStage(ctx.secret, AWSCURRENT);
    await promote(ctx, replacedVersionId);
  }
  await removePending(ctx);

  const replacedValue =
    replacedVersionId === undefined ? undefined : await readVersion(ctx, { versionId: replacedVersionId });
  if (replacedValue === undefined || replacedVersionId === undefined) {
    ctx.log.info('No replaced key to revoke');
    return;
  }
  const replaced: HeldVersion = { versionId: replacedVersionId, value: replacedValue };
  const promoted: HeldVersion = {
    versionId: ctx.token,
    value: await readRequiredVersion(ctx, { versionId: ctx.token }),
  };
  const manager = await managerCredential(ctx, promoted.value, `the new current key of secret ${arn}`);
  const keys = await listKeys(ctx, manager, replaced);
  const promotedId = identifyKey(keys, promoted, arn, [replaced]);
  const replacedId = requireKey(
    identifyKey(keys, replaced, arn, [promoted]),
    `The replaced version ${replacedVersionId} of secret ${arn} (the new key is AWSCURRENT; the old one was not revoked)`,
  );
  const { key } = replacedId;
  if (promotedId.resolved && promotedId.key.id === key.id) {
    throw new RotationStateError(
      `The replaced and the new version of secret ${arn} hold the same key; not revoking it.`,
    );
  }
  if (promotedId.resolved && !promotedId.key.isActive) {
    await restore(ctx, replaced, key);
  }
  if (!replacedByRotation(promotedId)) {
    ctx.log.warn(
      'AWSCURRENT holds a key no rotation of this secret created, so no rotation replaced the old key: not revoking ' +
        'it. Revoke it yourself (Factify dashboard) once nothing uses it.',
      { keyId: key.id, versionId: replacedVersionId },
    );
    return;
  }
  if (!key.isActive) {
    ctx.log.info('The replaced key is no longer active', { keyId: key.id, revokedAt: key.revokedAt });
    return;
  }
  const protectedIds = protectedKeyIds(keys, arn, {
    live: [promotedId],
    ...(ctx.adminSecretId === undefined ? {} : { adminKey: manager.key }),
  });
  await revokeOrSchedule(ctx, manager, {
    versionId: replacedVersionId,
    keyId: key.id,
    createdAt: replaced.value.createdAt ?? key.createdAt,
    prove: () =>
      proveRevocable(
        ctx.factify,
        { identification: replacedId, value: replaced.value },
        protectedIds,
        `the replaced version ${replacedVersionId} of secret ${arn}`,
        () => listUntil(ctx.factify, manager, key.id),
      ),
  });
}

/**
 * Moves AWSCURRENT to the token's version. A concurrent finishSecret of the same rotation may have moved it
 * first, which makes the move fail: that is success.
 */
async function promote(ctx: StepContext, currentVersionId: string | undefined): Promise<void> {
  try {
    await ctx.store.updateStage(ctx.secret.arn, AWSCURRENT, {
      moveToVersionId: ctx.token,
      ...(currentVersionId === undefined ? {} : { removeFromVersionId: currentVersionId }),
    });
  } catch (error) {
    const now = await ctx.store.describe(ctx.secret.arn);
    if (!stagesOf(now, ctx.token)?.includes(AWSCURRENT)) throw error;
    ctx.log.info('A concurrent attempt of this step promoted the new version first');
    return;
  }
  ctx.log.info('Promoted the new version to AWSCURRENT', { previousVersionId: currentVersionId });
}

/**
 * The organization's keys, revoked ones too. In self-rotation a 401 to the new key may mean it was revoked
 * during its promotion: then the replaced key, still working, is asked, so that finishSecret can restore it.
 */
async function listKeys(ctx: StepContext, manager: Credential, replaced: HeldVersion): Promise<FactifyKey[]> {
  try {
    return await ctx.factify.listKeys(manager, { includeRevoked: true });
  } catch (error) {
    if (!(error instanceof FactifyAuthenticationError) || ctx.adminSecretId !== undefined) throw error;
    const keys = await ctx.factify.listKeys(
      { key: replaced.value.apiKey, label: `the replaced key of secret ${ctx.secret.arn}` },
      { includeRevoked: true },
    );
    const promoted = keys.find((key) => key.name === keyNameFor(ctx.secret.arn, ctx.token));
    // Still active: a passing rejection, for Secrets Manager's retry.
    if (promoted?.isActive) throw error;
    return keys;
  }
}

/**
 * The new key was revoked while it was being promoted (an operator's `recover` clearing what looked like a
 * stuck rotation, racing this step): consumers would fail. Put the replaced version back as AWSCURRENT while
 * its key still works, and stop.
 */
async function restore(ctx: StepContext, replaced: HeldVersion, replacedKey: FactifyKey): Promise<never> {
  const arn = ctx.secret.arn;
  if (replacedKey.isActive) {
    await ctx.store.updateStage(arn, AWSCURRENT, {
      moveToVersionId: replaced.versionId,
      removeFromVersionId: ctx.token,
    });
    ctx.log.warn('The new key was revoked during its promotion; AWSCURRENT is back on the replaced version', {
      versionId: replaced.versionId,
    });
  }
  throw new RotationStateError(
    `The new key of version ${ctx.token} of secret ${arn} was revoked while it was being promoted (by ` +
      `factify-rotation recover, or by hand). ${
        replacedKey.isActive
          ? `AWSCURRENT is back on version ${replaced.versionId}, whose key works. Start a new rotation.`
          : 'The replaced key is not active either: put a working key in the secret now.'
      }`,
  );
}

/** Takes AWSPENDING off the token's version, tolerating Secrets Manager having removed it with the move. */
async function removePending(ctx: StepContext): Promise<void> {
  if (!stagesOf(ctx.secret, ctx.token)?.includes(AWSPENDING)) return;
  try {
    await ctx.store.updateStage(ctx.secret.arn, AWSPENDING, { removeFromVersionId: ctx.token });
  } catch (error) {
    const now = await ctx.store.describe(ctx.secret.arn);
    if (stagesOf(now, ctx.token)?.includes(AWSPENDING)) throw error;
  }
}
