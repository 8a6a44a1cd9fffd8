import type { FactifyKey, FactifyKeys, SealKey } from '../ports.js';
import {
  FactifyAuthenticationError,
  KeyResolutionError,
  RevocationRefusedError,
  RotationStateError,
} from '../telemetry/errors.js';
import type { Sensitive } from '../telemetry/redaction.js';
import { isRotationKeyOfAnotherSecret, rotationTokenOf } from './key-naming.js';
import { verifySeal } from './seal.js';
import type { KeySecret } from './secret-value.js';

/**
 * The one rule for "which key does this value hold, is it ours, and may it be revoked", for every path that
 * revokes (createSecret's clean-up, finishSecret, the scheduled revocation, the CLI's `recover`) and for the
 * audit and `status` that describe keys. Ownership comes from evidence the function wrote, never from names,
 * prefixes or labels alone:
 *
 * - A value the function wrote carries its seal (seal.ts), a KMS HMAC over this secret's ARN, the version id,
 *   the key id, a hash of the key, the organization and the key it replaced. A seal that verifies for this
 *   secret and this version says which key the value holds and which key its rotation replaced. A copy of a
 *   sealed value elsewhere does not verify: it is a hand-written value.
 * - A hand-written value (the first one, any edit, and every value written before seals existed) is
 *   identified only by a prefix that no other key of the organization shows (this secret's own keys
 *   included, unless a sealed version tells them apart), and is acted on only once its apiKey authenticates
 *   in that key's organization (possession). Its `apiKeyId` can only contradict, never decide.
 * - The key a rotation replaced is the one its seal records, never whatever AWSPREVIOUS holds; for a rotation
 *   by a release before seals, the key its replaced version holds, taken as any hand-written value is.
 * - Never revoked, by any path: the key AWSCURRENT or AWSPENDING holds (every candidate when one is not
 *   identified), the admin key, a key another secret's rotation created, and, when the function did not
 *   itself create the key for this secret (no sealed version holds it), a key another secret this function
 *   rotates holds in AWSCURRENT or AWSPENDING.
 */

/** A version of the secret, its parsed value, and whether its seal verifies for this secret and version. */
export interface HeldVersion {
  readonly versionId: string;
  readonly value: KeySecret;
  /** The function wrote this value, for this secret and this version. */
  readonly sealed: boolean;
}

/** Verifies a version's seal. Only a value that carries a seal costs a KMS call. */
export async function withProvenance(
  sealKey: SealKey,
  secretArn: string,
  version: { readonly versionId: string; readonly value: KeySecret },
): Promise<HeldVersion> {
  const { value, versionId } = version;
  const sealed =
    value.seal !== undefined &&
    value.apiKeyId !== undefined &&
    value.organizationId !== undefined &&
    (await verifySeal(sealKey, value.seal, {
      secretArn,
      versionId,
      keyId: value.apiKeyId,
      apiKey: value.apiKey,
      organizationId: value.organizationId,
    }));
  return { versionId, value, sealed };
}

/** Which Factify key a version holds, and on what evidence. */
export type Identification =
  | {
      readonly resolved: true;
      readonly key: FactifyKey;
      /**
       * 'seal': the version's own seal; 'copy': the same key as a sealed version of this secret; 'prefix': a
       * hand-written value whose prefix only this key shows, which must still prove possession (proveHeld).
       */
      readonly evidence: 'seal' | 'copy' | 'prefix';
    }
  | {
      readonly resolved: false;
      /** The keys that could be the one, or none. */
      readonly candidates: readonly FactifyKey[];
      /** Why the key is not identified, for an operator. */
      readonly problem: string;
    };

/** An identification that found its key. */
export type Resolved = Extract<Identification, { resolved: true }>;

/**
 * Identifies the key `version` holds among the organization's `keys` (listed with revoked ones). `others`
 * are the other versions of the secret that were read: their seals tell this secret's own keys apart.
 */
export function identifyKey(
  keys: readonly FactifyKey[],
  version: HeldVersion,
  others: readonly HeldVersion[] = [],
): Identification {
  const { value } = version;
  if (version.sealed) {
    const key = keys.find((candidate) => candidate.id === value.apiKeyId);
    return key === undefined
      ? {
          resolved: false,
          candidates: [],
          problem: `the key ${value.apiKeyId} its seal records is not among the organization's keys`,
        }
      : { resolved: true, key, evidence: 'seal' };
  }
  const sealed = others.filter((other) => other.sealed && other.versionId !== version.versionId);
  const original = sealed.find((other) => other.value.apiKey.equals(value.apiKey));
  const copied = original && keys.find((key) => key.id === original.value.apiKeyId);
  if (copied !== undefined)
    return contradicts(value, copied) ?? { resolved: true, key: copied, evidence: 'copy' };

  const candidates = keys.filter(
    (key) => prefixStarts(key, value.apiKey) && !toldApart(key, value.apiKey, sealed),
  );
  if (candidates.length === 1) {
    const key = candidates[0] as FactifyKey;
    return contradicts(value, key) ?? { resolved: true, key, evidence: 'prefix' };
  }
  return {
    resolved: false,
    candidates,
    problem:
      candidates.length === 0
        ? 'no key of the organization (active or revoked) shows a prefix that starts its apiKey'
        : `${candidates.length} keys of the organization show a prefix that starts its apiKey ` +
          `(${candidates.map((key) => key.id).join(', ')}), and a prefix is all Factify shows of a key`,
  };
}

/** The identification when it found the key, or KEY_NOT_RESOLVED saying which keys clash and what to do. */
export function requireKey(identification: Identification, what: string): Resolved {
  if (identification.resolved) return identification;
  throw new KeyResolutionError(
    `${what} holds a key written by hand, which is identified only when exactly one key of the organization, ` +
      `active or revoked, shows a prefix that starts its apiKey; but ${identification.problem}. No key was ` +
      'revoked or created for it. Put in the secret a key whose prefix no other key shares (create it in the ' +
      'Factify dashboard, Manage > API Keys, at least a minute apart from any other key) together with its ' +
      '"apiKeyId", and revoke the old key yourself once nothing uses it.',
  );
}

/**
 * The key the rotation that wrote `version` replaced, as its seal records it: undefined for a value the
 * function did not write for this version (nothing is known), null for a rotation that replaced none.
 */
export function replacedKeyIdOf(version: HeldVersion): string | null | undefined {
  return version.sealed ? (version.value.seal?.replacesKeyId ?? null) : undefined;
}

/** The secrets of the versions identified as holding `key`: what another secret must hold to hold that key. */
export function secretsOf(
  key: FactifyKey,
  keys: readonly FactifyKey[],
  versions: readonly HeldVersion[],
): Sensitive[] {
  return versions.flatMap((version) => {
    const identification = identifyKey(keys, version, versions);
    return identification.resolved && identification.key.id === key.id ? [version.value.apiKey] : [];
  });
}

/** Whether a sealed version of this secret holds `keyId`: the function created that key for this secret. */
export function createdHere(keyId: string, versions: readonly HeldVersion[]): boolean {
  return versions.some((version) => version.sealed && version.value.apiKeyId === keyId);
}

/**
 * The keys no revoke may touch: the keys AWSCURRENT and AWSPENDING hold (every candidate, when one is not
 * identified), the admin key (every key its prefix could be, unless a sealed version tells it apart), and
 * every key another secret's rotation created.
 */
export function protectedKeyIds(
  keys: readonly FactifyKey[],
  secretArn: string,
  held: {
    readonly live: readonly Identification[];
    readonly adminKey?: Sensitive;
    readonly versions?: readonly HeldVersion[];
  },
): Set<string> {
  const ids = new Set<string>();
  for (const identification of held.live) {
    if (identification.resolved) ids.add(identification.key.id);
    else for (const key of identification.candidates) ids.add(key.id);
  }
  const { adminKey, versions = [] } = held;
  for (const key of keys) {
    if (isRotationKeyOfAnotherSecret(key.name, secretArn)) ids.add(key.id);
    if (adminKey !== undefined && prefixStarts(key, adminKey) && !toldApart(key, adminKey, versions)) {
      ids.add(key.id);
    }
  }
  return ids;
}

/** A key about to be revoked, and whether the function created it for this secret (see createdHere). */
export interface RevocationTarget {
  readonly key: FactifyKey;
  readonly createdHere: boolean;
}

/**
 * The last check before any revoke: the key is not protected (protectedKeyIds) and, unless the function
 * created it for this secret, no other secret this function rotates holds it in AWSCURRENT or AWSPENDING
 * (`heldElsewhere` lists those, and is asked only then: once in a secret's life, for the key it started
 * with). Throws RevocationRefusedError, naming the key for a person to decide, otherwise.
 */
export async function checkRevocable(
  target: RevocationTarget,
  protectedIds: ReadonlySet<string>,
  what: string,
  heldElsewhere: (key: FactifyKey) => Promise<readonly string[]>,
): Promise<void> {
  const { key } = target;
  refuseProtected(key, protectedIds, what);
  if (target.createdHere) return;
  const holders = await heldElsewhere(key);
  if (holders.length > 0) {
    throw new RevocationRefusedError(
      `Refusing to revoke key ${key.id} (${what}): it was written into this secret by hand, and ` +
        `${holders.length} other secret(s) this function rotates hold it, or a key with its prefix, in ` +
        `AWSCURRENT or AWSPENDING: ${holders.join(', ')}. Nothing was revoked; rotate those secrets first, ` +
        'then revoke it yourself.',
    );
  }
}

/** Throws RevocationRefusedError, naming the key for a person to decide, when protectedKeyIds holds it. */
export function refuseProtected(key: FactifyKey, protectedIds: ReadonlySet<string>, what: string): void {
  if (protectedIds.has(key.id)) {
    throw new RevocationRefusedError(
      `Refusing to revoke key ${key.id} (${what}): it is, or may be, the key of AWSCURRENT or AWSPENDING, the ` +
        "admin key, or a key another secret's rotation created. Nothing was revoked; revoke it yourself once " +
        'you know nothing uses it.',
    );
  }
}

/**
 * A hand-written value proves it holds its identified key by authenticating with its apiKey in that key's
 * organization: a prefix is visible to anyone who can list keys, the rest of the secret is not. A sealed
 * value, or a copy of one, needs no proof. Throws RotationStateError otherwise.
 */
export async function proveHeld(
  factify: Pick<FactifyKeys, 'getOrganization'>,
  target: { readonly identification: Resolved; readonly value: KeySecret },
  what: string,
): Promise<void> {
  const why = await possessionProblem(factify, target, what);
  if (why === undefined) return;
  throw new RotationStateError(
    `${what} was written by hand and names key ${target.identification.key.id} by its prefix, but ${why}, so ` +
      'it does not prove it holds that key. Nothing was revoked or created. Put the working key and its ' +
      '"apiKeyId" in the secret.',
  );
}

/** Why a hand-written value does not prove it holds its identified key (proveHeld), or undefined when it does. */
export async function possessionProblem(
  factify: Pick<FactifyKeys, 'getOrganization'>,
  target: { readonly identification: Resolved; readonly value: KeySecret },
  what: string,
): Promise<string | undefined> {
  const { identification } = target;
  if (identification.evidence !== 'prefix') return undefined;
  try {
    const organization = await factify.getOrganization({ key: target.value.apiKey, label: what });
    if (organization.id === identification.key.orgId) return undefined;
    return `its apiKey belongs to organization ${organization.id}`;
  } catch (error) {
    if (!(error instanceof FactifyAuthenticationError)) throw error;
    return 'its apiKey does not authenticate at Factify';
  }
}

/**
 * Keys this secret's rotations created (by their name, which only the key manager sets) that no version
 * holds: from a rotation that failed or was abandoned. A key any read version holds or may hold (a
 * candidate of an unidentified value) is not one. Active or not: callers filter.
 */
export function leftoverOwnKeys(
  keys: readonly FactifyKey[],
  secretArn: string,
  held: readonly Identification[],
): FactifyKey[] {
  const heldIds = new Set(
    held.flatMap((identification) =>
      identification.resolved ? [identification.key.id] : identification.candidates.map((key) => key.id),
    ),
  );
  return keys.filter((key) => rotationTokenOf(key.name, secretArn) !== undefined && !heldIds.has(key.id));
}

function contradicts(value: KeySecret, key: FactifyKey): Identification | undefined {
  if (value.apiKeyId === undefined || value.apiKeyId === key.id) return undefined;
  return {
    resolved: false,
    candidates: [key],
    problem: `its apiKeyId ${value.apiKeyId} contradicts its apiKey, whose prefix is that of ${key.id}`,
  };
}

// A sealed version holds `key` with a different secret: `secret` is not that key, whatever its prefix.
function toldApart(key: FactifyKey, secret: Sensitive, versions: readonly HeldVersion[]): boolean {
  return versions.some(
    (version) => version.sealed && version.value.apiKeyId === key.id && !version.value.apiKey.equals(secret),
  );
}

/** Whether the key's listed prefix (its first characters, then "...") starts `secret`. */
export function prefixStarts(key: FactifyKey, secret: Sensitive): boolean {
  const visible = key.prefix.replace(/(\.\.\.|…)$/, '');
  return visible.length > 0 && secret.reveal().startsWith(visible);
}
