import { AWSPENDING, type Credential, type VersionSelector } from '../ports.js';
import type { SecretContext, StepContext } from '../step-context.js';
import { RotationStateError } from '../telemetry/errors.js';
import { type KeySecret, parseAdminSecret, parseKeySecret } from './secret-value.js';

/** Reads and parses a version of the rotated secret; undefined when the version has no value. */
export async function readVersion(
  ctx: SecretContext,
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

function describeVersion(ctx: SecretContext, version: VersionSelector): string {
  const which = [version.stage, version.versionId && `version ${version.versionId}`]
    .filter(Boolean)
    .join(' ');
  return `The ${which || 'AWSCURRENT'} value of secret ${ctx.secret.arn}`;
}
