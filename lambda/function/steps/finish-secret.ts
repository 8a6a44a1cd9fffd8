import { stagesOf, versionWithStage } from '../../keys/guard.js';
import { keyNameFor } from '../../keys/key-naming.js';
import { secretsHolding } from '../../keys/other-secrets.js';
import {
  checkRevocable,
  createdHere,
  type HeldVersion,
  identifyKey,
  protectedKeyIds,
  replacedKeyIdOf,
  secretsOf,
  withProvenance,
} from '../../keys/ownership.js';
import { revokeOrSchedule } from '../../keys/revocation.js';
import {
  managerCredential,
  readHeldIfKeySecret,
  readRequiredVersion,
  sealedWitnesses,
} from '../../keys/secret-versions.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type Credential, type FactifyKey } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import { FactifyAuthenticationError, RotationStateError } from '../../telemetry/errors.js';

/**
 * finishSecret: promote the token's version to AWSCURRENT, leave AWSPENDING on no version, then revoke the
 * replaced key with reason "rotated", or schedule that after the grace period (revocation.ts). The replaced
 * key is the one the promoted value's seal records (ownership.ts), never whatever AWSPREVIOUS holds. The
 * revoke does not hide behind the "already promoted" shortcut: a retry after the label moved still makes
 * sure the replaced key ends revoked (or scheduled), exactly once.
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

  const promoted = await withProvenance(ctx.sealKey, arn, {
    versionId: ctx.token,
    value: await readRequiredVersion(ctx, { versionId: ctx.token }),
  });
  const replacedKeyId = replacedKeyIdOf(promoted);
  if (replacedKeyId === undefined) {
    ctx.log.warn(
      'The promoted value carries no seal of this function for this version (written by hand, or by a version ' +
        'of the function without seals), so which key it replaced is not known: not revoking any. Revoke the ' +
        'old key yourself (Factify dashboard) once nothing uses it.',
      { versionId: ctx.token },
    );
    return;
  }
  if (replacedKeyId === null || replacedVersionId === undefined) {
    ctx.log.info('No replaced key to revoke', { replacedKeyId });
    return;
  }
  // AWSPREVIOUS only tells whether the function itself created the replaced key (its seal), and names the
  // revocation schedule; it never says which key that is.
  const replaced = await readHeldIfKeySecret(ctx, replacedVersionId);
  const manager = await managerCredential(ctx, promoted.value, `the new current key of secret ${arn}`);
  const keys = await listKeys(ctx, manager, replaced);
  const read = [promoted, ...(replaced ? [replaced] : [])];
  const versions = [...read, ...(await sealedWitnesses(ctx, keys, read))];
  const key = keys.find((listed) => listed.id === replacedKeyId);
  if (key === undefined) {
    ctx.log.warn("The replaced key is not among the organization's keys; nothing to revoke", {
      keyId: replacedKeyId,
    });
    return;
  }
  const promotedId = identifyKey(keys, promoted, versions);
  if (promotedId.resolved && promotedId.key.id === key.id) {
    throw new RotationStateError(
      `The replaced and the new version of secret ${arn} hold the same key; not revoking it.`,
    );
  }
  if (promotedId.resolved && !promotedId.key.isActive) {
    await restore(ctx, replaced?.value.apiKeyId === key.id ? replaced : undefined, key);
  }
  if (!key.isActive) {
    ctx.log.info('The replaced key is no longer active', { keyId: key.id, revokedAt: key.revokedAt });
    return;
  }
  const protectedIds = protectedKeyIds(keys, arn, {
    live: [promotedId],
    ...(ctx.adminSecretId === undefined ? {} : { adminKey: manager.key }),
    versions,
  });
  const madeHere = createdHere(key.id, versions);
  await revokeOrSchedule(ctx, manager, {
    versionId: replacedVersionId,
    keyId: key.id,
    createdAt: (madeHere ? replaced?.value.createdAt : undefined) ?? key.createdAt,
    prove: () =>
      checkRevocable(
        { key, createdHere: madeHere },
        protectedIds,
        `the key the rotation of version ${ctx.token} of secret ${arn} replaced`,
        (held) => secretsHolding(ctx, held, secretsOf(held, keys, versions)),
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
async function listKeys(
  ctx: StepContext,
  manager: Credential,
  replaced: HeldVersion | undefined,
): Promise<FactifyKey[]> {
  try {
    return await ctx.factify.listKeys(manager, { includeRevoked: true });
  } catch (error) {
    if (
      !(error instanceof FactifyAuthenticationError) ||
      ctx.adminSecretId !== undefined ||
      replaced === undefined
    ) {
      throw error;
    }
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
async function restore(
  ctx: StepContext,
  replaced: HeldVersion | undefined,
  replacedKey: FactifyKey,
): Promise<never> {
  const arn = ctx.secret.arn;
  if (replaced !== undefined && replacedKey.isActive) {
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
        replaced !== undefined && replacedKey.isActive
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
