import { versionWithStage } from '../../keys/guard.js';
import {
  createKeyConverging,
  DUPLICATE_REASON,
  ensureRevoked,
  MAX_ACTIVE_KEYS,
  ORPHAN_REASON,
  ROTATED_REASON,
} from '../../keys/key-management.js';
import { keyNameFor } from '../../keys/key-naming.js';
import { secretsHolding } from '../../keys/other-secrets.js';
import {
  checkRevocable,
  createdHere,
  type HeldVersion,
  identifyKey,
  leftoverOwnKeys,
  protectedKeyIds,
  proveHeld,
  replacedKeyIdOf,
  requireKey,
  secretsOf,
  withProvenance,
} from '../../keys/ownership.js';
import { seal } from '../../keys/seal.js';
import { checkCarriable, type KeySecret, serializeKeySecret } from '../../keys/secret-value.js';
import {
  managerCredential,
  readHeld,
  readRequiredVersion,
  readVersion,
  sealedWitnesses,
} from '../../keys/secret-versions.js';
import { AWSCURRENT, AWSPENDING, type Credential, type FactifyKey } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import {
  KeyLimitError,
  ListingLimitError,
  MalformedSecretValueError,
  OrganizationMismatchError,
  RevocationRefusedError,
  RotationStateError,
} from '../../telemetry/errors.js';

/**
 * createSecret: create the replacement key at Factify and store it as the AWSPENDING value of the token's
 * version. Safe to run again and to run twice at once: a stored value ends the step, a concurrent attempt
 * that stored first wins (the loser revokes the key it made), and keys of this rotation that no version
 * holds are revoked once one is stored.
 */
export async function createSecret(ctx: StepContext): Promise<void> {
  if (ctx.alreadyCurrent) {
    ctx.log.info('Rotation already promoted; nothing to create');
    return;
  }
  const arn = ctx.secret.arn;
  const stored = await readVersion(ctx, { versionId: ctx.token, stage: AWSPENDING });
  if (stored !== undefined) {
    ctx.log.info('Pending version already holds a key; nothing to create');
    await revokeUnstoredKeysOfThisRotation(ctx, await managerFor(ctx), stored);
    return;
  }
  // Checked before any Factify call: a token too long for a key name would strand the key we create.
  const keyName = keyNameFor(arn, ctx.token);
  const currentVersionId = versionWithStage(ctx.secret, AWSCURRENT) ?? '';
  const currentValue = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  checkCarriable(currentValue, `The AWSCURRENT value of secret ${arn}`);
  const current = await withProvenance(ctx.sealKey, arn, {
    versionId: currentVersionId,
    value: currentValue,
  });
  const manager = await managerCredential(ctx, currentValue, `the current key of secret ${arn}`);
  // With revoked keys: a hand-written key is identified only by a prefix no other key, even revoked, shows.
  const keys = await ctx.factify.listKeys(manager, { includeRevoked: true });
  // Every labelled version: their seals tell this secret's own keys apart, and no key they hold is an orphan.
  const labelled = [current, ...(await otherLabelledVersions(ctx, currentVersionId))];
  const versions = [...labelled, ...(await sealedWitnesses(ctx, keys, labelled))];
  // Keys an earlier attempt of this rotation created are no value's: their version holds none (just read),
  // and only the attempt that created one ever saw its secret. They are told apart from a hand-written
  // value that shares their prefix by that, and revoked once this attempt stores its value.
  const ownToken = keys.filter((key) => key.name === keyName);
  const candidates = keys.filter((key) => !ownToken.includes(key));
  const currentId = requireKey(
    identifyKey(candidates, current, versions),
    `The AWSCURRENT value of secret ${arn}`,
  );
  const currentKey = currentId.key;
  checkRecordedOrganization(currentValue, currentKey, arn);
  if (!currentKey.isActive) {
    throw new RotationStateError(
      `The AWSCURRENT key ${currentKey.id} of secret ${arn} is revoked or expired at Factify, so its consumers are ` +
        'failing. A rotation replaces a working key: put a working key and its "apiKeyId" in the secret.',
    );
  }
  if (ctx.adminSecretId !== undefined) {
    // The admin key would mint a key for anyone who can write a value with a known prefix: a hand-written
    // value must hold a key that works (in self-rotation, listing with it proved that).
    await proveHeld(
      ctx.factify,
      { identification: currentId, value: currentValue },
      `The AWSCURRENT value of secret ${arn}`,
    );
  }
  const identifications = labelled.map((version) => identifyKey(candidates, version, versions));
  const protectedIds = protectedKeyIds(keys, arn, {
    live: [currentId],
    ...(ctx.adminSecretId === undefined ? {} : { adminKey: manager.key }),
    versions,
  });

  const revoked = new Set<string>();
  const revoke = async (key: FactifyKey, reason: string, message: string, madeHere: boolean) => {
    try {
      await checkRevocable({ key, createdHere: madeHere }, protectedIds, message, (held) =>
        secretsHolding(ctx, held, secretsOf(held, keys, versions)),
      );
    } catch (error) {
      // A clean-up that evidence does not allow must not block the rotation: the audit names the key.
      if (!(error instanceof RevocationRefusedError)) throw error;
      ctx.log.warn('Left a key active: the evidence does not allow revoking it', {
        keyId: key.id,
        problem: error.message,
      });
      return;
    }
    await ensureRevoked(ctx.factify, manager, key.id, reason);
    revoked.add(key.id);
    ctx.log.warn(message, { keyId: key.id, reason });
  };
  const replaced = replacedKeyToRevoke(ctx, keys, current);
  if (replaced !== undefined) {
    await revoke(
      replaced,
      ROTATED_REASON,
      'Revoked the replaced key that an earlier rotation left active',
      createdHere(replaced.id, versions),
    );
  }
  // This secret's keys that no version holds: from rotations that failed or were abandoned. This
  // rotation's own are revoked once a value is stored, since a concurrent attempt may be about to store one.
  for (const key of leftoverOwnKeys(candidates, arn, identifications)) {
    if (!key.isActive || revoked.has(key.id)) continue;
    await revoke(
      key,
      ORPHAN_REASON,
      'Revoked a key left active by an earlier rotation of this secret',
      false,
    );
  }

  const remaining = keys.filter((key) => key.isActive && !revoked.has(key.id));
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
  // The evidence that this value, this key and the key it replaces are the function's (ownership.ts).
  const sealed = await seal(ctx.sealKey, {
    secretArn: arn,
    versionId: ctx.token,
    keyId: created.id,
    apiKey: created.secret,
    organizationId: created.orgId,
    replacesKeyId: currentKey.id,
  });
  const outcome = await ctx.store.putPendingValue(
    arn,
    ctx.token,
    serializeKeySecret({
      apiKey: created.secret,
      apiKeyId: created.id,
      organizationId: created.orgId,
      createdAt: created.createdAt || ctx.now().toISOString(),
      seal: sealed,
      carried: currentValue.carried,
    }),
    ctx.rotationToken,
  );
  if (outcome === 'another-value') {
    // A concurrent attempt of this rotation stored its key first: ours is never used.
    await ensureRevoked(ctx.factify, manager, created.id, DUPLICATE_REASON);
    ctx.log.warn('Another attempt of this rotation stored its key first; revoked the key this one created', {
      keyId: created.id,
    });
    if ((await readVersion(ctx, { versionId: ctx.token })) === undefined) {
      throw new RotationStateError(
        `Secrets Manager refused the new value of version ${ctx.token} of secret ${arn} as another value for that ` +
          'version (ResourceExistsException), yet the version holds none. The key created for it was revoked; ' +
          'Secrets Manager retries the rotation.',
      );
    }
    return;
  }
  ctx.log.info('Created the replacement key and stored it as AWSPENDING', {
    keyId: created.id,
    replacesKeyId: currentKey.id,
    organizationId: created.orgId,
  });
  // Named for this rotation and held by no value: an earlier attempt's, whose secret only it ever saw.
  for (const key of ownToken.filter((unstored) => unstored.isActive)) {
    await revoke(
      key,
      ORPHAN_REASON,
      'Revoked a key an earlier attempt of this rotation created but never stored',
      true,
    );
  }
}

/**
 * The key the rotation that wrote AWSCURRENT replaced, as AWSCURRENT's seal records it, when it is still
 * active and its grace is over: that rotation's finishSecret (or its schedule) should have revoked it. Never
 * whatever AWSPREVIOUS holds; a value written by hand replaced nothing the function knows of.
 */
function replacedKeyToRevoke(
  ctx: StepContext,
  keys: readonly FactifyKey[],
  current: HeldVersion,
): FactifyKey | undefined {
  const replacedId = replacedKeyIdOf(current);
  if (replacedId === undefined) {
    ctx.log.info('AWSCURRENT was written by hand, not by a rotation: no replaced key to revoke');
    return undefined;
  }
  const key = replacedId === null ? undefined : keys.find((listed) => listed.id === replacedId);
  if (key === undefined || !key.isActive || !graceOver(ctx, current.value.createdAt)) return undefined;
  return key;
}

/** After a value is stored (by this attempt or a concurrent one): keys of this rotation it does not hold. */
async function revokeUnstoredKeysOfThisRotation(
  ctx: StepContext,
  manager: Credential,
  stored: KeySecret,
): Promise<void> {
  const name = keyNameFor(ctx.secret.arn, ctx.token);
  const strays = (await ctx.factify.listKeys(manager)).filter(
    (key) => key.name === name && key.isActive && key.id !== stored.apiKeyId,
  );
  for (const key of strays) {
    await ensureRevoked(ctx.factify, manager, key.id, ORPHAN_REASON);
    ctx.log.warn('Revoked a key an attempt of this rotation created but never stored', { keyId: key.id });
  }
}

async function managerFor(ctx: StepContext): Promise<Credential> {
  const current = await readRequiredVersion(ctx, { stage: AWSCURRENT });
  return managerCredential(ctx, current, `the current key of secret ${ctx.secret.arn}`);
}

// A value that records its organization must name the one Factify lists its key in. A contradiction means the
// value is not what it claims to be (edited by hand, or another organization's), so nothing is written.
function checkRecordedOrganization(current: KeySecret, currentKey: FactifyKey, arn: string): void {
  if (current.organizationId === undefined || current.organizationId === currentKey.orgId) return;
  throw new OrganizationMismatchError(
    `The AWSCURRENT value of secret ${arn} records organizationId ${current.organizationId}, but Factify lists ` +
      `its key ${currentKey.id} in organization ${currentKey.orgId}. Nothing was changed. Correct organizationId ` +
      '(or remove it), then retry the rotation.',
  );
}

// A replaced key's grace runs from the promotion of its successor, shortly after that key's creation; a
// margin covers the time between the two and the scheduled revocation's own retries.
const GRACE_MARGIN_MS = 24 * 3600 * 1000;

function graceOver(ctx: StepContext, currentCreatedAt: string | undefined): boolean {
  if (ctx.revokeGraceSeconds === 0) return true;
  const created = currentCreatedAt === undefined ? Number.NaN : Date.parse(currentCreatedAt);
  return ctx.now().getTime() - created > ctx.revokeGraceSeconds * 1000 + GRACE_MARGIN_MS;
}

// Secrets Manager keeps about 100 versions of a secret. Each labelled one costs a GetSecretValue here, so
// a secret with more is refused before the first write rather than read whole.
export const MAX_OTHER_LABELLED_VERSIONS = 100;

/**
 * The labelled versions besides AWSCURRENT and this rotation's (AWSPREVIOUS, a person's own labels), with
 * their provenance. A value that is not a key secret holds none of ours: it is left out.
 */
async function otherLabelledVersions(ctx: StepContext, currentVersionId: string): Promise<HeldVersion[]> {
  const ids = Object.keys(ctx.secret.versions).filter((id) => id !== ctx.token && id !== currentVersionId);
  if (ids.length > MAX_OTHER_LABELLED_VERSIONS) {
    throw new ListingLimitError(
      `the versions of secret ${ctx.secret.arn} that carry other staging labels`,
      `${MAX_OTHER_LABELLED_VERSIONS} versions (it has ${ids.length})`,
      'Remove the staging labels of the versions no one uses (UpdateSecretVersionStage), then retry the rotation.',
    );
  }
  const read = await Promise.all(
    ids.map(async (versionId) => {
      try {
        const held = await readHeld(ctx, versionId);
        return held === undefined ? [] : [held];
      } catch (error) {
        if (!(error instanceof MalformedSecretValueError)) throw error;
        ctx.log.warn('A labelled version is not a Factify key secret; leaving it alone', { versionId });
        return [];
      }
    }),
  );
  return read.flat();
}
