import { FactifyAuthenticationError, FactifyError, MalformedSecretValueError } from '../lambda/errors.js';
import { MAX_ACTIVE_KEYS } from '../lambda/key-management.js';
import { isOwnedBy } from '../lambda/key-naming.js';
import {
  type HeldVersion,
  identifyKey,
  prefixStarts,
  replacedByRotation,
  unheldOwnKeys,
} from '../lambda/ownership.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, type Credential, type FactifyKey } from '../lambda/ports.js';
import { revocationScheduleName } from '../lambda/revocation.js';
import { type KeySecret, parseKeySecret } from '../lambda/secret-value.js';
import { managerCredential } from '../lambda/secret-versions.js';
import { adviseOn } from './advice.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { decideVerdict, type KeyState, type Verdict } from './verdict.js';

/** One staged version and the key it holds. */
export interface VersionReport {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate: string | null;
  readonly keyId: string | null;
  readonly keyState: KeyState;
  /** The reason Factify recorded when the key was revoked ("rotated" for a key a rotation replaced). */
  readonly revokedComment: string | null;
  /** The key's name marks it as created by one of this secret's rotations. */
  readonly createdByThisSecret: boolean;
}

/** A key at Factify that should not be active any more. */
export interface LeftoverKey {
  readonly keyId: string;
  readonly name: string;
  readonly createdAt: string;
  /** The AWSPREVIOUS version that holds a replaced key; absent for an orphan. */
  readonly versionId?: string;
}

/** Everything `status` reports; also its `--json` output. Ids, names, dates and states only, never a key. */
export interface StatusReport {
  readonly secret: { readonly arn: string; readonly name: string };
  readonly region: string;
  readonly rotation: {
    readonly enabled: boolean;
    readonly function: string | null;
    readonly schedule: string | null;
    readonly window: string | null;
    readonly lastRotatedDate: string | null;
    readonly nextRotationDate: string | null;
  };
  readonly keyManager: { readonly kind: 'self' } | { readonly kind: 'admin'; readonly secretId: string };
  readonly factify: {
    readonly organizationId: string | null;
    readonly activeKeys: number | null;
    readonly activeKeyLimit: number;
    /** Why Factify could not be checked, when it could not. */
    readonly error: string | null;
  };
  /** Every version with a staging label, oldest first. */
  readonly versions: readonly VersionReport[];
  /** AWSPENDING on a version other than AWSCURRENT: a rotation that has not finished. */
  readonly pending: {
    readonly versionId: string;
    readonly createdDate: string | null;
    readonly ageSeconds: number;
    readonly hasValue: boolean;
  } | null;
  /** Active keys created by this secret's rotations that no staged version holds. */
  readonly orphans: readonly LeftoverKey[];
  /** The replaced key in AWSPREVIOUS, still active, with no revocation scheduled: finishSecret did not get to it. */
  readonly awaitingRevocation: readonly LeftoverKey[];
  /** The replaced key in AWSPREVIOUS in its grace period: a schedule revokes it at `revokeAt`. */
  readonly scheduledRevocations: readonly (LeftoverKey & { readonly revokeAt: string })[];
  readonly verdict: Verdict;
  readonly explanation: string;
  readonly nextSteps: readonly string[];
}

/** The report, and the credential that manages keys, for a command that goes on to act on it. */
export interface Inspection {
  readonly report: StatusReport;
  readonly manager: Credential;
}

interface ReadVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate?: Date;
  readonly value: KeySecret | undefined;
  readonly malformed: boolean;
}

/**
 * Reads the secret's rotation settings and versions from Secrets Manager, then the organization's keys
 * from Factify with the managing key (the admin key, or the AWSCURRENT key itself), and decides a verdict.
 * Throws when the secret does not hold a Factify key secret; reports (rather than throws) a Factify failure.
 */
export async function inspectSecret(ctx: CliContext, secretId: string): Promise<Inspection> {
  const details = await ctx.store.describeDetails(secretId);
  const { arn } = details;
  const versions = await Promise.all(
    (await ctx.store.listVersions(arn)).map((version) => readVersion(ctx, arn, version)),
  );
  const current = versions.find((version) => version.stages.includes(AWSCURRENT));
  if (current?.value === undefined) {
    throw new CliError(
      `Secret ${arn} has no AWSCURRENT value, so it holds no Factify key yet. Put a value like ` +
        '{"apiKey": "ffy_...", "apiKeyId": "key_..."} in it first.',
    );
  }
  // Chosen as the rotation function chooses it.
  const manager = await managerCredential(ctx, current.value, `the AWSCURRENT key of secret ${arn}`);

  let keys: FactifyKey[] | undefined;
  let factifyError: FactifyError | undefined;
  try {
    keys = await ctx.factify.listKeys(manager, { includeRevoked: true });
  } catch (error) {
    if (!(error instanceof FactifyError)) throw error;
    factifyError = error;
  }
  // With self-rotation, a 401 to the listing is Factify rejecting the AWSCURRENT key itself.
  const currentRejected =
    ctx.adminSecretId === undefined && factifyError instanceof FactifyAuthenticationError;

  // Identified by the function's own rule (ownership.ts); a key it cannot tie to a version is "not-found".
  const held = versions.flatMap((version): HeldVersion[] =>
    version.value ? [{ versionId: version.versionId, value: version.value }] : [],
  );
  const identified = new Map(
    held.map((version) => [version.versionId, keys ? identifyKey(keys, version, arn, held) : undefined]),
  );
  const found = new Map(
    [...identified].map(([versionId, identification]) => [
      versionId,
      identification?.resolved ? identification.key : undefined,
    ]),
  );
  // What a version holds, as far as can be told: the identified key or, for a value the rule cannot
  // identify (its prefix is shared), the key its apiKeyId names. Only for showing states; what may be
  // revoked is decided on `found` alone.
  const shown = (version: ReadVersion): FactifyKey | undefined =>
    found.get(version.versionId) ??
    (version.value &&
      keys?.find((key) => key.id === version.value?.apiKeyId && prefixStarts(key, version.value.apiKey)));
  const keyState = (version: ReadVersion): KeyState => {
    if (version.malformed) return 'not-a-key-secret';
    if (version.value === undefined) return 'no-value';
    if (version === current && currentRejected) return 'rejected';
    if (keys === undefined) return 'unchecked';
    const key = shown(version);
    if (key === undefined) return 'not-found';
    if (key.revokedAt !== null) return 'revoked';
    return key.isActive ? 'active' : 'expired';
  };

  const currentKey = found.get(current.versionId);
  const orphans = unheldOwnKeys(keys ?? [], arn, versions)
    .filter((key) => key.isActive)
    .map(toLeftover);
  const previous = versions.find((version) => version.stages.includes(AWSPREVIOUS));
  const previousKey = previous && found.get(previous.versionId);
  // Only a key a rotation replaced awaits revocation; a value changed by hand is not revoked after the fact.
  const currentIdentification = identified.get(current.versionId);
  const replacedActive =
    previous &&
    previousKey?.isActive &&
    previousKey.id !== currentKey?.id &&
    currentIdentification !== undefined &&
    replacedByRotation(currentIdentification)
      ? { ...toLeftover(previousKey), versionId: previous.versionId }
      : undefined;
  // With a grace period the replaced key stays active on purpose until its schedule runs.
  const revokeAt =
    replacedActive && (await scheduledRevocation(ctx, revocationScheduleName(arn, replacedActive.versionId)));
  const awaitingRevocation = replacedActive && !revokeAt ? [replacedActive] : [];
  const scheduledRevocations =
    replacedActive && revokeAt ? [{ ...replacedActive, revokeAt: revokeAt.toISOString() }] : [];

  const pendingVersion = versions.find(
    (version) => version.stages.includes(AWSPENDING) && !version.stages.includes(AWSCURRENT),
  );
  const pendingAgeMs = pendingVersion && ctx.now().getTime() - (pendingVersion.createdDate?.getTime() ?? 0);
  const currentState = keyState(current);
  const verdict = decideVerdict({
    currentKey: currentState === 'unchecked' ? undefined : currentState,
    pendingAgeMs,
    leftoverKeys: orphans.length + awaitingRevocation.length,
  });

  const facts = {
    secret: { arn, name: details.name },
    region: ctx.region,
    rotation: {
      enabled: details.rotationEnabled,
      function: details.rotation.lambdaArn ?? null,
      schedule: details.rotation.schedule ?? null,
      window: details.rotation.window ?? null,
      lastRotatedDate: iso(details.rotation.lastRotatedDate),
      nextRotationDate: iso(details.rotation.nextRotationDate),
    },
    keyManager:
      ctx.adminSecretId === undefined
        ? ({ kind: 'self' } as const)
        : ({ kind: 'admin', secretId: ctx.adminSecretId } as const),
    factify: {
      organizationId: currentKey?.orgId ?? keys?.[0]?.orgId ?? null,
      activeKeys: keys ? keys.filter((key) => key.isActive).length : null,
      activeKeyLimit: MAX_ACTIVE_KEYS,
      error: factifyError?.message ?? null,
    },
    versions: versions.map((version) => ({
      versionId: version.versionId,
      stages: version.stages,
      createdDate: iso(version.createdDate),
      keyId: version.value?.apiKeyId ?? found.get(version.versionId)?.id ?? null,
      keyState: keyState(version),
      revokedComment: shown(version)?.revokedComment ?? null,
      createdByThisSecret: isOwnedBy(found.get(version.versionId)?.name ?? '', arn),
    })),
    pending:
      pendingVersion && pendingAgeMs !== undefined
        ? {
            versionId: pendingVersion.versionId,
            createdDate: iso(pendingVersion.createdDate),
            ageSeconds: Math.round(pendingAgeMs / 1000),
            hasValue: pendingVersion.value !== undefined || pendingVersion.malformed,
          }
        : null,
    orphans,
    awaitingRevocation,
    scheduledRevocations,
    verdict,
  };
  return { report: { ...facts, ...adviseOn(facts) }, manager };
}

async function readVersion(
  ctx: CliContext,
  arn: string,
  version: { versionId: string; stages: readonly string[]; createdDate?: Date },
): Promise<ReadVersion> {
  const raw = await ctx.store.getValue(arn, { versionId: version.versionId });
  if (raw === undefined) return { ...version, value: undefined, malformed: false };
  const label = version.stages.includes(AWSCURRENT) ? AWSCURRENT : `version ${version.versionId}`;
  try {
    return {
      ...version,
      value: parseKeySecret(raw, `The ${label} value of secret ${arn}`),
      malformed: false,
    };
  } catch (error) {
    // Other versions may hold anything someone once put there; the current one must be a key secret.
    if (!(error instanceof MalformedSecretValueError) || label === AWSCURRENT) throw error;
    return { ...version, value: undefined, malformed: true };
  }
}

async function scheduledRevocation(ctx: CliContext, name: string): Promise<Date | undefined> {
  try {
    return await ctx.scheduler.scheduledAt(name);
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'AccessDeniedException') throw error;
    throw new CliError(
      `Access denied: your AWS identity may not call scheduler:GetSchedule on ${name}, which tells whether the ` +
        'replaced key still active in AWSPREVIOUS is in its grace period. Grant scheduler:GetSchedule on ' +
        `schedules named fkr-revoke-* in region ${ctx.region}, or use a profile or role that has it.`,
      undefined,
      { cause: error },
    );
  }
}

function toLeftover(key: FactifyKey): LeftoverKey {
  return { keyId: key.id, name: key.name, createdAt: key.createdAt };
}

function iso(date: Date | undefined): string | null {
  return date === undefined ? null : date.toISOString();
}
