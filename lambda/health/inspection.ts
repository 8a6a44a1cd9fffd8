import { MAX_ACTIVE_KEYS } from '../keys/key-management.js';
import {
  type HeldVersion,
  type Identification,
  identifyKey,
  leftoverOwnKeys,
  prefixStarts,
  replacedKeyIdOf,
  withProvenance,
} from '../keys/ownership.js';
import { revocationScheduleNames } from '../keys/revocation-schedule.js';
import { type KeySecret, parseKeySecret } from '../keys/secret-value.js';
import { managerCredential, sealedWitnesses } from '../keys/secret-versions.js';
import {
  AWSCURRENT,
  AWSPENDING,
  AWSPREVIOUS,
  type Credential,
  type FactifyKey,
  type FactifyKeys,
  type InspectableSecretStore,
  type SealKey,
  type SecretDetails,
} from '../ports.js';
import { daysBetween, rotationDeadline } from '../settings/rotation-deadline.js';
import {
  FactifyAuthenticationError,
  FactifyError,
  MalformedSecretValueError,
  RotationStateError,
} from '../telemetry/errors.js';
import {
  ACTIVE_KEYS_WARNING,
  decideVerdict,
  type Finding,
  type KeyState,
  STUCK_AFTER_MS,
  type Verdict,
} from './verdict.js';

/**
 * The one inspection of a secret's rotation health, shared by `factify-rotation status` and the function's
 * daily audit. It only reads: DescribeSecret, ListSecretVersionIds, GetSecretValue, Factify's key list, and
 * the revocation schedule of a replaced key.
 */
export interface InspectionContext {
  readonly store: InspectableSecretStore;
  readonly factify: FactifyKeys;
  /**
   * The KMS HMAC key that verifies the function's seals. Without it (a CLI whose FACTIFY_SEAL_KEY_ID is
   * unset) no value counts as the function's: nothing is found awaiting revocation.
   */
  readonly sealKey?: SealKey;
  /** The secret whose key manages Factify keys; undefined for self-rotation. */
  readonly adminSecretId?: string;
  /**
   * When the revocation schedule `name` runs, undefined when there is none. Absent where no revocation is ever
   * scheduled (no grace period): then a replaced key still active is simply not revoked.
   */
  readonly scheduledRevocationAt?: (name: string) => Promise<Date | undefined>;
  /** Throws for a secret this inspection must not look into, before anything of it is read. */
  readonly refuseSecret?: (secret: { readonly arn: string; readonly name: string }) => void;
  /**
   * The organization's keys, every one, listed with `manager`; a fleet shares one listing per organization
   * (key-listings.ts). Absent: the secret's own listing.
   */
  readonly listKeys?: (manager: Credential, current: KeySecret) => Promise<FactifyKey[]>;
  readonly now: () => Date;
}

/** One staged version and the key it holds. */
export interface VersionReport {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate: string | null;
  readonly keyId: string | null;
  readonly keyState: KeyState;
  /** The reason Factify recorded when the key was revoked ("rotated" for a key a rotation replaced). */
  readonly revokedComment: string | null;
  /** The version's seal (or a sealed version it copies) shows the function created its key for this secret. */
  readonly createdByThisSecret: boolean;
}

/** A key at Factify that should not be active any more. */
export interface LeftoverKey {
  readonly keyId: string;
  readonly name: string;
  readonly createdAt: string;
  /** The AWSPREVIOUS version, for a replaced key (which AWSCURRENT's seal names); absent for an orphan. */
  readonly versionId?: string;
}

/** Everything an inspection finds: ids, names, dates and states only, never a key. */
export interface SecretInspection {
  readonly secret: { readonly arn: string; readonly name: string };
  readonly rotation: {
    readonly enabled: boolean;
    readonly function: string | null;
    readonly schedule: string | null;
    readonly window: string | null;
    readonly lastRotatedDate: string | null;
    readonly nextRotationDate: string | null;
    /** Days since the AWSCURRENT version was created: the current key's age in the secret. */
    readonly daysSinceRotation: number | null;
    /** When the next rotation must have happened by the schedule and window; null when unknown. */
    readonly rotateBy: string | null;
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
  /** The replaced key in AWSPREVIOUS, still active, with no revocation pending: its grace is over or it was never scheduled. */
  readonly awaitingRevocation: readonly LeftoverKey[];
  /** The replaced key in AWSPREVIOUS in its grace period: a schedule revokes it at `revokeAt`. */
  readonly scheduledRevocations: readonly (LeftoverKey & { readonly revokeAt: string })[];
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
}

/** The inspection, and the credential that manages keys, for a command that goes on to act on it. */
export interface Inspection {
  readonly report: SecretInspection;
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
 * Reads the secret's rotation settings and versions from Secrets Manager, then the organization's keys from
 * Factify with the managing key (the admin key, or the AWSCURRENT key itself), and judges them. Throws when
 * the secret does not hold a Factify key secret; reports (rather than throws) a Factify failure.
 */
export async function inspectSecret(
  ctx: InspectionContext,
  secretId: string,
  /** What DescribeSecret would say, when a ListSecrets entry already said it. */
  described?: SecretDetails,
): Promise<Inspection> {
  const details = described ?? (await ctx.store.describeDetails(secretId));
  ctx.refuseSecret?.(details);
  const { arn } = details;
  const versions = await Promise.all(
    (await ctx.store.listVersions(arn)).map((version) => readVersion(ctx, arn, version)),
  );
  const current = versions.find((version) => version.stages.includes(AWSCURRENT));
  if (current?.value === undefined) {
    throw new RotationStateError(
      `Secret ${arn} has no AWSCURRENT value, so it holds no Factify key yet. Put a value like ` +
        '{"apiKey": "ffy_...", "apiKeyId": "key_..."} in it first.',
    );
  }
  // Chosen as the rotation function chooses it.
  const manager = await managerCredential(ctx, current.value, `the AWSCURRENT key of secret ${arn}`);

  let keys: FactifyKey[] | undefined;
  let factifyError: FactifyError | undefined;
  try {
    keys = await (ctx.listKeys?.(manager, current.value) ??
      ctx.factify.listKeys(manager, { includeRevoked: true }));
  } catch (error) {
    if (!(error instanceof FactifyError)) throw error;
    factifyError = error;
  }
  // With self-rotation, a 401 to the listing is Factify rejecting the AWSCURRENT key itself.
  const currentRejected =
    ctx.adminSecretId === undefined && factifyError instanceof FactifyAuthenticationError;

  // Identified by the function's own rule (ownership.ts); a key it cannot tie to a version is "not-found".
  const held = await Promise.all(
    versions.flatMap((version) =>
      version.value ? [provenance(ctx, arn, { versionId: version.versionId, value: version.value })] : [],
    ),
  );
  const evidence = [
    ...held,
    ...(keys && ctx.sealKey
      ? await sealedWitnesses({ store: ctx.store, secret: details, sealKey: ctx.sealKey }, keys, held)
      : []),
  ];
  const identified = new Map<string, Identification | undefined>(
    held.map((version) => [version.versionId, keys ? identifyKey(keys, version, evidence) : undefined]),
  );
  const found = new Map(
    [...identified].map(([versionId, identification]) => [
      versionId,
      identification?.resolved ? identification : undefined,
    ]),
  );
  // What a version holds, as far as can be told: the identified key or, for a value the rule cannot
  // identify (its prefix is shared), the key its apiKeyId names. Only for showing states; what may be
  // revoked is decided on `found` alone.
  const shown = (version: ReadVersion): FactifyKey | undefined =>
    found.get(version.versionId)?.key ??
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

  const currentKey = found.get(current.versionId)?.key;
  const identifications = [...identified.values()].filter((value) => value !== undefined);
  const orphans = leftoverOwnKeys(keys ?? [], arn, identifications)
    .filter((key) => key.isActive)
    .map(toLeftover);
  const previous = versions.find((version) => version.stages.includes(AWSPREVIOUS));
  // Only the key AWSCURRENT's seal records as replaced awaits revocation: never whatever AWSPREVIOUS holds,
  // and nothing for a value written by hand.
  const currentHeld = held.find((version) => version.versionId === current.versionId);
  const replacedId = currentHeld && replacedKeyIdOf(currentHeld);
  const replacedKey = replacedId ? keys?.find((key) => key.id === replacedId) : undefined;
  const replacedActive =
    replacedKey?.isActive && replacedKey.id !== currentKey?.id
      ? {
          ...toLeftover(replacedKey),
          // The version that holds it, when AWSPREVIOUS still does: finishSecret named its schedule after it.
          ...(previous && found.get(previous.versionId)?.key.id === replacedKey.id
            ? { versionId: previous.versionId }
            : {}),
        }
      : undefined;
  // With a grace period the replaced key stays active on purpose until its schedule runs. A schedule deletes
  // itself once Lambda has accepted its event, so only a schedule still due counts: a key whose schedule is
  // gone or past is active after its grace, whatever became of the invocation.
  const scheduled =
    replacedActive?.versionId !== undefined &&
    (await scheduledRevocation(ctx, arn, replacedActive.versionId));
  const revokeAt = scheduled && scheduled.getTime() > ctx.now().getTime() ? scheduled : undefined;
  const awaitingRevocation = replacedActive && !revokeAt ? [replacedActive] : [];
  const scheduledRevocations =
    replacedActive && revokeAt ? [{ ...replacedActive, revokeAt: revokeAt.toISOString() }] : [];
  // Values no evidence ties to one key: a person decides (ownership.ts revokes none of their candidates).
  const undecided = [...identified].flatMap(([versionId, identification]) =>
    identification && !identification.resolved ? [{ versionId, problem: identification.problem }] : [],
  );

  const pendingVersion = versions.find(
    (version) => version.stages.includes(AWSPENDING) && !version.stages.includes(AWSCURRENT),
  );
  const now = ctx.now().getTime();
  const pendingAgeMs = pendingVersion && now - (pendingVersion.createdDate?.getTime() ?? 0);
  const currentState = keyState(current);

  const rotationEnabled = details.rotationEnabled && details.rotation.lambdaArn !== undefined;
  const schedule = details.rotation.schedule;
  const rotateBy =
    schedule !== undefined && current.createdDate !== undefined
      ? (rotationDeadline(schedule, details.rotation.window, current.createdDate) ??
        details.rotation.nextRotationDate)
      : undefined;
  const overdue = rotationEnabled && rotateBy !== undefined && now > rotateBy.getTime();
  const activeKeys = keys ? keys.filter((key) => key.isActive).length : null;
  const verdict = decideVerdict({
    // Rotation that is on but unscheduled never happens either.
    rotationEnabled: rotationEnabled && schedule !== undefined,
    overdue,
    currentKey: currentState === 'unchecked' ? undefined : currentState,
    pendingAgeMs,
    leftoverKeys: orphans.length + awaitingRevocation.length,
  });

  const report: Omit<SecretInspection, 'findings'> = {
    secret: { arn, name: details.name },
    rotation: {
      enabled: details.rotationEnabled,
      function: details.rotation.lambdaArn ?? null,
      schedule: schedule ?? null,
      window: details.rotation.window ?? null,
      lastRotatedDate: iso(details.rotation.lastRotatedDate),
      nextRotationDate: iso(details.rotation.nextRotationDate),
      daysSinceRotation:
        current.createdDate === undefined ? null : daysBetween(current.createdDate.getTime(), now),
      rotateBy: iso(rotateBy),
    },
    keyManager:
      ctx.adminSecretId === undefined
        ? ({ kind: 'self' } as const)
        : ({ kind: 'admin', secretId: ctx.adminSecretId } as const),
    factify: {
      organizationId: currentKey?.orgId ?? keys?.[0]?.orgId ?? null,
      activeKeys,
      activeKeyLimit: MAX_ACTIVE_KEYS,
      error: factifyError?.message ?? null,
    },
    versions: versions.map((version) => ({
      versionId: version.versionId,
      stages: version.stages,
      createdDate: iso(version.createdDate),
      keyId: version.value?.apiKeyId ?? found.get(version.versionId)?.key.id ?? null,
      keyState: keyState(version),
      revokedComment: shown(version)?.revokedComment ?? null,
      createdByThisSecret: (found.get(version.versionId)?.evidence ?? 'prefix') !== 'prefix',
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
  const findings = findingsOf(report, currentState, overdue);
  for (const { versionId, problem } of undecided) {
    findings.push({
      code: 'key-not-identified',
      message:
        `Version ${versionId} holds a key no evidence identifies (${problem}): no path revokes any of the keys ` +
        'it could be. Decide which key it is, and put that key with its "apiKeyId" in the secret.',
    });
  }
  return { report: { ...report, findings }, manager };
}

/** Every finding of a report, in the order of the verdicts they lead to. */
function findingsOf(
  report: Omit<SecretInspection, 'findings'>,
  currentState: KeyState,
  overdue: boolean,
): Finding[] {
  const { rotation, factify, pending } = report;
  const findings: Finding[] = [];
  const add = (code: Finding['code'], message: string) => findings.push({ code, message });
  if (currentState !== 'active' && currentState !== 'unchecked') {
    const current = report.versions.find((version) => version.stages.includes(AWSCURRENT));
    add(
      'current-key-not-active',
      `The AWSCURRENT key ${current?.keyId ?? ''} is ${currentState} at Factify: consumers of the secret are failing.`,
    );
  }
  if (pending && pending.ageSeconds * 1000 >= STUCK_AFTER_MS) {
    add(
      'rotation-stuck',
      `AWSPENDING has been on version ${pending.versionId} for ${Math.round(pending.ageSeconds / 60)} minutes: ` +
        'the rotation did not finish, and Secrets Manager refuses new ones until it leaves that version.',
    );
  }
  if (!rotation.enabled || rotation.function === null) {
    add('rotation-disabled', 'Rotation is turned off for this secret: its key will never be replaced.');
  } else if (rotation.schedule === null) {
    add('rotation-not-scheduled', 'Rotation is on but has no schedule: Secrets Manager never starts one.');
  } else if (overdue) {
    add(
      'rotation-overdue',
      `The AWSCURRENT version is ${rotation.daysSinceRotation} days old; by ${rotation.schedule}` +
        `${rotation.window ? ` with a ${rotation.window} window` : ''} it should have been replaced by ${rotation.rotateBy}.`,
    );
  }
  if (report.orphans.length > 0) {
    add(
      'orphaned-keys',
      `${report.orphans.length} active key(s) made by this secret's rotations are held by no version: ` +
        report.orphans.map((key) => key.keyId).join(', '),
    );
  }
  for (const key of report.awaitingRevocation) {
    add(
      'replaced-key-not-revoked',
      `The replaced key ${key.keyId} in AWSPREVIOUS (version ${key.versionId}) is still active and no revocation ` +
        'is pending: its grace period is over, or its revocation was lost.',
    );
  }
  if (factify.activeKeys !== null && factify.activeKeys >= ACTIVE_KEYS_WARNING) {
    add(
      'active-keys-near-limit',
      `The Factify organization has ${factify.activeKeys} of ${factify.activeKeyLimit} active keys: a rotation ` +
        'needs one free to create the new key.',
    );
  }
  if (factify.error !== null) add('factify-unchecked', `Factify could not be checked: ${factify.error}`);
  return findings;
}

function provenance(
  ctx: InspectionContext,
  arn: string,
  version: { versionId: string; value: KeySecret },
): Promise<HeldVersion> {
  return ctx.sealKey === undefined
    ? Promise.resolve({ ...version, sealed: false })
    : withProvenance(ctx.sealKey, arn, version);
}

async function readVersion(
  ctx: InspectionContext,
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

function toLeftover(key: FactifyKey): LeftoverKey {
  return { keyId: key.id, name: key.name, createdAt: key.createdAt };
}

function iso(date: Date | undefined): string | null {
  return date === undefined ? null : date.toISOString();
}

// Under today's name, or under the earlier one of a revocation scheduled before the upgrade.
async function scheduledRevocation(
  ctx: InspectionContext,
  arn: string,
  versionId: string,
): Promise<Date | undefined> {
  for (const name of revocationScheduleNames(arn, versionId)) {
    const at = await ctx.scheduledRevocationAt?.(name);
    if (at !== undefined) return at;
  }
  return undefined;
}
