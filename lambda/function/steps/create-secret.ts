import { versionWithStage } from '../../keys/guard.js';
import {
  createKeyConverging,
  DUPLICATE_REASON,
  ensureRevoked,
  listUntil,
  MAX_ACTIVE_KEYS,
  ORPHAN_REASON,
  ROTATED_REASON,
} from '../../keys/key-management.js';
import { keyNameFor } from '../../keys/key-naming.js';
import {
  type HeldVersion,
  type Identification,
  identifyKey,
  protectedKeyIds,
  proveHeld,
  proveRevocable,
  replacedByRotation,
  requireKey,
  unheldOwnKeys,
} from '../../keys/ownership.js';
import { checkCarriable, type KeySecret, serializeKeySecret } from '../../keys/secret-value.js';
import { managerCredential, readRequiredVersion, readVersion } from '../../keys/secret-versions.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type Credential, type FactifyKey } from '../../ports.js';
import type { StepContext } from '../../step-context.js';
import {
  KeyLimitError,
  ListingLimitError,
  MalformedSecretValueError,
  OrganizationMismatchError,
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
  const current: HeldVersion = { versionId: currentVersionId, value: currentValue };
  const manager = await managerCredential(ctx, currentValue, `the current key of secret ${arn}`);
  // With revoked keys: a hand-written key is identified only by a prefix no other key, even revoked, shows.
  const keys = await ctx.factify.listKeys(manager, { includeRevoked: true });
  const previous = await readPrevious(ctx);
  const currentId = requireKey(
    identifyKey(keys, current, arn, previous ? [previous] : []),
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
  const protectedIds = protectedKeyIds(keys, arn, {
    live: [currentId],
    ...(ctx.adminSecretId === undefined ? {} : { adminKey: manager.key }),
  });

  const revoked = new Set<string>();
  const revoke = async (key: FactifyKey, reason: string, message: string) => {
    await ensureRevoked(ctx.factify, manager, key.id, reason);
    revoked.add(key.id);
    ctx.log.warn(message, { keyId: key.id, reason });
  };
  if (previous !== undefined) {
    const key = await replacedKeyToRevoke(ctx, keys, current, currentId, previous, protectedIds, manager);
    if (key !== undefined) {
      await revoke(key, ROTATED_REASON, 'Revoked the replaced key that an earlier rotation left active');
    }
  }
  // This secret's keys that no version holds: from rotations that failed or were abandoned. This
  // rotation's own are revoked once a value is stored, since a concurrent attempt may be about to store one.
  const held = [
    current,
    ...(previous ? [previous] : []),
    ...(await otherLabelledVersions(ctx, [current, previous])),
  ];
  const ownToken = keys.filter((key) => key.name === keyName && key.isActive);
  for (const key of unheldOwnKeys(keys, arn, held)) {
    if (!key.isActive || protectedIds.has(key.id) || ownToken.includes(key)) continue;
    await revoke(key, ORPHAN_REASON, 'Revoked a key left active by an earlier rotation of this secret');
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
  const outcome = await ctx.store.putPendingValue(
    arn,
    ctx.token,
    serializeKeySecret({
      apiKey: created.secret,
      apiKeyId: created.id,
      organizationId: created.orgId,
      createdAt: created.createdAt || ctx.now().toISOString(),
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
  for (const key of ownToken) {
    await revoke(
      key,
      ORPHAN_REASON,
      'Revoked a key an earlier attempt of this rotation created but never stored',
    );
  }
}

/**
 * The key in AWSPREVIOUS, when it is still active and due: the key the rotation that made AWSCURRENT
 * replaced, which that rotation's finishSecret (or its schedule) should have revoked. A value changed by
 * hand is reported, not revoked: its old key may still be in use elsewhere.
 */
async function replacedKeyToRevoke(
  ctx: StepContext,
  keys: readonly FactifyKey[],
  current: HeldVersion,
  currentId: Identification,
  previous: HeldVersion,
  protectedIds: ReadonlySet<string>,
  manager: Credential,
): Promise<FactifyKey | undefined> {
  const arn = ctx.secret.arn;
  const previousId = identifyKey(keys, previous, arn, [current]);
  if (!previousId.resolved) {
    ctx.log.warn('The AWSPREVIOUS key cannot be identified; leaving it alone', {
      problem: previousId.problem,
    });
    return undefined;
  }
  const { key } = previousId;
  if (!key.isActive || protectedIds.has(key.id)) return undefined;
  if (!replacedByRotation(currentId)) {
    ctx.log.warn(
      'The AWSPREVIOUS key is still active, but AWSCURRENT was written by hand, not by a rotation: not revoking ' +
        'it. Revoke it yourself (Factify dashboard) once nothing uses it.',
      { keyId: key.id, versionId: previous.versionId },
    );
    return undefined;
  }
  if (!graceOver(ctx, current.value.createdAt)) return undefined;
  const proof = await proveRevocable(
    ctx.factify,
    { identification: previousId, value: previous.value },
    protectedIds,
    'AWSPREVIOUS',
    () => listUntil(ctx.factify, manager, key.id),
  );
  return proof === 'revocable' ? key : undefined;
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

// AWSPREVIOUS may hold anything a person once put there: a value that is not a key secret is not ours to revoke.
async function readPrevious(ctx: StepContext): Promise<HeldVersion | undefined> {
  const versionId = versionWithStage(ctx.secret, AWSPREVIOUS);
  if (versionId === undefined) return undefined;
  try {
    const value = await readVersion(ctx, { versionId });
    return value === undefined ? undefined : { versionId, value };
  } catch (error) {
    if (!(error instanceof MalformedSecretValueError)) throw error;
    ctx.log.warn('The AWSPREVIOUS value is not a Factify key secret; leaving it alone');
    return undefined;
  }
}

// Secrets Manager keeps about 100 versions of a secret. Each labelled one costs a GetSecretValue here, so
// a secret with more is refused before the first write rather than read whole.
export const MAX_OTHER_LABELLED_VERSIONS = 100;

/**
 * The versions with other labels (a person's own staging labels), which may hold one of this secret's keys
 * too. Read only when there are any; a value that is not a key secret holds none of ours.
 */
async function otherLabelledVersions(
  ctx: StepContext,
  known: readonly (HeldVersion | undefined)[],
): Promise<{ versionId: string; value: KeySecret | undefined }[]> {
  const ids = Object.keys(ctx.secret.versions).filter(
    (id) => id !== ctx.token && !known.some((version) => version?.versionId === id),
  );
  if (ids.length > MAX_OTHER_LABELLED_VERSIONS) {
    throw new ListingLimitError(
      `the versions of secret ${ctx.secret.arn} that carry other staging labels`,
      `${MAX_OTHER_LABELLED_VERSIONS} versions (it has ${ids.length})`,
      'Remove the staging labels of the versions no one uses (UpdateSecretVersionStage), then retry the rotation.',
    );
  }
  return Promise.all(
    ids.map(async (versionId) => {
      try {
        return { versionId, value: await readVersion(ctx, { versionId }) };
      } catch (error) {
        if (!(error instanceof MalformedSecretValueError)) throw error;
        return { versionId, value: undefined };
      }
    }),
  );
}
