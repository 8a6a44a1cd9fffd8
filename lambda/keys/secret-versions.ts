import { AWSPENDING, type Credential, type FactifyKey, type VersionSelector } from '../ports.js';
import type { SecretContext, StepContext } from '../step-context.js';
import { MalformedSecretValueError, RotationStateError } from '../telemetry/errors.js';
import { rotationTokenOf } from './key-naming.js';
import { type HeldVersion, prefixStarts, withProvenance } from './ownership.js';
import { type KeySecret, parseAdminSecret, parseKeySecret } from './secret-value.js';

/** Reads and parses a version of the rotated secret; undefined when the version has no value. */
export async function readVersion(
  ctx: Pick<SecretContext, 'store' | 'secret'>,
  version: VersionSelector,
): Promise<KeySecret | undefined> {
  const raw = await ctx.store.getValue(ctx.secret.arn, version);
  return raw === undefined ? undefined : parseKeySecret(raw, describeVersion(ctx, version));
}

/** Like readVersion, for a version that must have a value. */
export async function readRequiredVersion(ctx: SecretContext, version: VersionSelector): Promise<KeySecret> {
  const value = await readVersion(ctx, version);
  if (value === undefined) {
    throw new RotationStateError(
      `${describeVersion(ctx, version)} has no value. Put a Factify key secret in it.`,
    );
  }
  return value;
}

/** Reads a version by id with its provenance (its seal verified); undefined when it has no value. */
export async function readHeld(
  ctx: Pick<SecretContext, 'store' | 'secret' | 'sealKey'>,
  versionId: string,
): Promise<HeldVersion | undefined> {
  const value = await readVersion(ctx, { versionId });
  return value === undefined ? undefined : withProvenance(ctx.sealKey, ctx.secret.arn, { versionId, value });
}

/**
 * readHeld for a version that may hold anything a person once put there: a value that is not a key secret
 * holds no key, and is undefined as a version without a value is.
 */
export async function readHeldIfKeySecret(
  ctx: Pick<SecretContext, 'store' | 'secret' | 'sealKey'>,
  versionId: string,
): Promise<HeldVersion | undefined> {
  try {
    return await readHeld(ctx, versionId);
  } catch (error) {
    if (!(error instanceof MalformedSecretValueError)) throw error;
    return undefined;
  }
}

// A ClientRequestToken, as Secrets Manager accepts a version id; anything else in a key's name is no version.
const VERSION_ID = /^[\w.-]{32,64}$/;
// Keys that share one prefix are the few made within the same half minute.
const MAX_WITNESSES = 8;

/**
 * The sealed versions, beyond the `read` ones, that tell this secret's own keys apart from a hand-written
 * value: for each key whose name says a rotation of this secret made it and whose prefix starts an unsealed
 * value's apiKey, the version its name names (kept by Secrets Manager after it loses its labels). The name
 * only says where to look; only a seal that verifies there is evidence. At most 8 are read.
 */
export async function sealedWitnesses(
  ctx: Pick<SecretContext, 'store' | 'secret' | 'sealKey'>,
  keys: readonly FactifyKey[],
  read: readonly HeldVersion[],
): Promise<HeldVersion[]> {
  const known = new Set(read.map((version) => version.versionId));
  const unsealed = read.filter((version) => !version.sealed);
  const tokens = new Set<string>();
  for (const key of keys) {
    const token = rotationTokenOf(key.name, ctx.secret.arn);
    if (token === undefined || known.has(token) || !VERSION_ID.test(token)) continue;
    if (unsealed.some((version) => prefixStarts(key, version.value.apiKey))) tokens.add(token);
  }
  const witnesses = await Promise.all(
    [...tokens].slice(0, MAX_WITNESSES).map(async (versionId) => {
      try {
        return await readHeld(ctx, versionId);
      } catch (error) {
        if (!(error instanceof MalformedSecretValueError)) throw error;
        return undefined;
      }
    }),
  );
  return witnesses.filter((version): version is HeldVersion => version?.sealed === true);
}

// Secrets Manager reads are eventually consistent: a value written by createSecret may take a moment to show.
const PENDING_READ_DELAYS_MS = [200, 400, 800];

/** The pending value of this rotation, re-read briefly when it is not there yet. */
export async function readPending(ctx: StepContext): Promise<KeySecret | undefined> {
  const version = { versionId: ctx.token, stage: AWSPENDING };
  for (const delay of PENDING_READ_DELAYS_MS) {
    const value = await readVersion(ctx, version);
    if (value !== undefined) return value;
    await ctx.sleep(delay);
  }
  return readVersion(ctx, version);
}

/**
 * The key that manages Factify keys: the admin key when FACTIFY_ADMIN_SECRET_ID is set, otherwise the given
 * key of the rotated secret itself (self-rotation).
 */
export async function managerCredential(
  ctx: Pick<SecretContext, 'store' | 'adminSecretId'>,
  own: KeySecret,
  ownLabel: string,
): Promise<Credential> {
  if (ctx.adminSecretId === undefined) {
    return { key: own.apiKey, label: ownLabel };
  }
  const raw = await ctx.store.getValue(ctx.adminSecretId, {});
  if (raw === undefined) {
    throw new RotationStateError(
      `The admin secret ${ctx.adminSecretId} (FACTIFY_ADMIN_SECRET_ID) has no AWSCURRENT value.`,
    );
  }
  return { key: parseAdminSecret(raw, ctx.adminSecretId), label: `the admin key from ${ctx.adminSecretId}` };
}

function describeVersion(ctx: Pick<SecretContext, 'secret'>, version: VersionSelector): string {
  const which = [version.stage, version.versionId && `version ${version.versionId}`]
    .filter(Boolean)
    .join(' ');
  return `The ${which || 'AWSCURRENT'} value of secret ${ctx.secret.arn}`;
}
