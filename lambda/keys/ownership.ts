import type { FactifyKey, FactifyKeys } from '../ports.js';
import { FactifyAuthenticationError, KeyResolutionError, RotationStateError } from '../telemetry/errors.js';
import type { Sensitive } from '../telemetry/redaction.js';
import { isOwnedBy, rotationTokenOf } from './key-naming.js';
import type { KeySecret } from './secret-value.js';

/**
 * The one rule for "is this key provably this secret's?", used before every revoke: by createSecret's
 * clean-up, finishSecret, the scheduled revocation and the CLI's `recover` (and by `status` to describe
 * keys). The functions here are pure, over what Secrets Manager and Factify listed, except
 * `proveRevocable`, which asks Factify to confirm a hand-written key.
 *
 * - A key a rotation of this secret created is named `fkr-<secret tag>-<token>` and stored in version
 *   `<token>`. Versions are immutable, so a value whose `apiKeyId` names a key whose name carries that
 *   version's id is that key: name, version and stored id vouch for each other.
 * - Any other value was written by hand. Its key is identified only when exactly one key of the
 *   organization, active or revoked, shows a prefix that starts its `apiKey` (this secret's own rotation
 *   keys aside: their secret was only ever stored by the rotation, so a hand-written value cannot hold one
 *   unless it copies a stored value, which is recognised by the value itself). An `apiKeyId` that
 *   contradicts the prefix is an error, never a reason to revoke.
 * - Before a hand-written key is revoked, the value must also prove it holds the key: its `apiKey` must
 *   authenticate, in the listed key's organization. A prefix is visible to anyone who can list keys; the
 *   rest of the secret is not.
 */

/** A version of the secret and its parsed value. */
export interface HeldVersion {
  readonly versionId: string;
  readonly value: KeySecret;
}

/** Which Factify key a version holds, and how that is known. */
export type Identification =
  | {
      readonly resolved: true;
      readonly key: FactifyKey;
      /** The version was stored by the rotation that created the key (name, version and id agree). */
      readonly byRotation: boolean;
    }
  | {
      readonly resolved: false;
      /** The keys that could be the one (several share the prefix), or none. */
      readonly candidates: readonly FactifyKey[];
      /** Why the key is not identified, for an operator. */
      readonly problem: string;
    };

/**
 * Identifies the key `version` holds among the organization's `keys` (listed with revoked ones). `others`
 * are other versions of the secret that were read, so that a hand-made copy of a stored value is
 * recognised as the copy it is.
 */
export function identifyKey(
  keys: readonly FactifyKey[],
  version: HeldVersion,
  secretArn: string,
  others: readonly HeldVersion[] = [],
): Identification {
  const { value } = version;
  const own = ownKey(keys, version, secretArn);
  if (own !== undefined) return { resolved: true, key: own, byRotation: true };

  // A copy of another stored value holds that value's key.
  for (const other of others) {
    if (other.versionId === version.versionId || !other.value.apiKey.equals(value.apiKey)) continue;
    const key = ownKey(keys, other, secretArn);
    if (key === undefined) continue;
    return contradicts(value, key) ?? { resolved: true, key, byRotation: false };
  }
  const named = value.apiKeyId === undefined ? undefined : keys.find((key) => key.id === value.apiKeyId);
  if (named !== undefined && isOwnedBy(named.name, secretArn) && prefixStarts(named, value.apiKey)) {
    // An older value of this secret, copied by hand: still one of this secret's own keys.
    return { resolved: true, key: named, byRotation: false };
  }

  const candidates = keys.filter((key) => prefixStarts(key, value.apiKey) && !isOwnedBy(key.name, secretArn));
  if (candidates.length === 1) {
    return (
      contradicts(value, candidates[0] as FactifyKey) ?? {
        resolved: true,
        key: candidates[0] as FactifyKey,
        byRotation: false,
      }
    );
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

/** An identification that found its key. */
export type Resolved = Extract<Identification, { resolved: true }>;

/** The identification when it found the key, or KEY_NOT_RESOLVED saying which keys clash and what to do. */
export function requireKey(identification: Identification, what: string): Resolved {
  if (identification.resolved) return identification;
  throw new KeyResolutionError(
    `${what} holds a key written by hand, which is identified only when exactly one key of the organization, ` +
      `active or revoked, shows a prefix that starts its apiKey; but ${identification.problem}. No key was ` +
      'revoked for it. Put in the secret a key whose prefix no other key shares (create it in the Factify ' +
      'dashboard, Manage > API Keys, at least a minute apart from any other key) together with its "apiKeyId", ' +
      'and revoke the old key yourself once nothing uses it.',
  );
}

/**
 * Whether the AWSCURRENT version was put there by a rotation of this secret, so that the version it
 * replaced (AWSPREVIOUS) was replaced by that rotation. A value changed by hand is reported, not revoked.
 */
export function replacedByRotation(current: Identification): boolean {
  return current.resolved && current.byRotation;
}

/**
 * The keys no revoke may touch: the keys AWSCURRENT and AWSPENDING hold (every candidate, when one is not
 * identified) and the admin key (every key its prefix could be, this secret's own keys aside).
 */
export function protectedKeyIds(
  keys: readonly FactifyKey[],
  secretArn: string,
  held: { readonly live: readonly Identification[]; readonly adminKey?: Sensitive },
): Set<string> {
  const ids = new Set<string>();
  for (const identification of held.live) {
    if (identification.resolved) ids.add(identification.key.id);
    else for (const key of identification.candidates) ids.add(key.id);
  }
  const { adminKey } = held;
  if (adminKey !== undefined) {
    for (const key of keys) {
      if (prefixStarts(key, adminKey) && !isOwnedBy(key.name, secretArn)) ids.add(key.id);
    }
  }
  return ids;
}

/**
 * The last check before a revoke: the key is not protected, and a hand-written value proves it holds the
 * key (see proveHeld). A key whose value no longer authenticates because the key was revoked meanwhile (a
 * concurrent delivery of the same step revoked it) is 'revoked-meanwhile': nothing left to do. `relist`
 * lists the organization's keys again, revoked ones included. Throws RotationStateError otherwise.
 */
export async function proveRevocable(
  factify: Pick<FactifyKeys, 'getOrganization'>,
  target: { readonly identification: Resolved; readonly value: KeySecret },
  protectedIds: ReadonlySet<string>,
  what: string,
  relist: () => Promise<readonly FactifyKey[]>,
): Promise<'revocable' | 'revoked-meanwhile'> {
  const { key } = target.identification;
  if (protectedIds.has(key.id)) {
    throw new RotationStateError(
      `Refusing to revoke key ${key.id} (${what}): it is, or may be, the key of AWSCURRENT or AWSPENDING or the admin key.`,
    );
  }
  const proof = await possession(factify, target, what);
  if (proof === 'rejected') {
    const now = (await relist()).find((listed) => listed.id === key.id);
    if (now !== undefined && !now.isActive) return 'revoked-meanwhile';
  }
  if (proof !== 'held') refuseUnproven(target.identification, what, proof);
  return 'revocable';
}

/**
 * A hand-written value proves it holds its identified key by authenticating with its apiKey in that key's
 * organization: a prefix is visible to anyone who can list keys, the rest of the secret is not. A value a
 * rotation stored needs no proof. Throws RotationStateError otherwise.
 */
export async function proveHeld(
  factify: Pick<FactifyKeys, 'getOrganization'>,
  target: { readonly identification: Resolved; readonly value: KeySecret },
  what: string,
): Promise<void> {
  const proof = await possession(factify, target, what);
  if (proof !== 'held') refuseUnproven(target.identification, what, proof);
}

type Possession = 'held' | 'rejected' | { readonly otherOrganization: string };

async function possession(
  factify: Pick<FactifyKeys, 'getOrganization'>,
  target: { readonly identification: Resolved; readonly value: KeySecret },
  what: string,
): Promise<Possession> {
  if (target.identification.byRotation) return 'held';
  try {
    const organization = await factify.getOrganization({ key: target.value.apiKey, label: what });
    return organization.id === target.identification.key.orgId
      ? 'held'
      : { otherOrganization: organization.id };
  } catch (error) {
    if (!(error instanceof FactifyAuthenticationError)) throw error;
    return 'rejected';
  }
}

function refuseUnproven(identification: Resolved, what: string, proof: Exclude<Possession, 'held'>): never {
  const why =
    proof === 'rejected'
      ? 'its apiKey does not authenticate at Factify'
      : `its apiKey belongs to organization ${proof.otherOrganization}`;
  throw new RotationStateError(
    `${what} was written by hand and names key ${identification.key.id} by its prefix, but ${why}, so it does ` +
      'not prove it holds that key. Nothing was revoked or created. Put the working key and its "apiKeyId" in the secret.',
  );
}

/**
 * Keys this secret's rotations created that no version holds (orphans): the key named for a version that
 * is not among `versions`, or whose value holds another key, unless some version (a copy made by hand)
 * names it by `apiKeyId`. `versions` are the versions that still have a staging label, those without a
 * value (the AWSPENDING placeholder) with value undefined. Active or not: callers filter.
 */
export function unheldOwnKeys(
  keys: readonly FactifyKey[],
  secretArn: string,
  versions: readonly { readonly versionId: string; readonly value: KeySecret | undefined }[],
): FactifyKey[] {
  return keys.filter((key) => {
    if (rotationTokenOf(key.name, secretArn) === undefined) return false;
    return !versions.some(({ value }) => value?.apiKeyId === key.id && prefixStarts(key, value.apiKey));
  });
}

function ownKey(
  keys: readonly FactifyKey[],
  version: HeldVersion,
  secretArn: string,
): FactifyKey | undefined {
  const { apiKeyId, apiKey } = version.value;
  if (apiKeyId === undefined) return undefined;
  const key = keys.find((candidate) => candidate.id === apiKeyId);
  return key !== undefined &&
    rotationTokenOf(key.name, secretArn) === version.versionId &&
    prefixStarts(key, apiKey)
    ? key
    : undefined;
}

function contradicts(value: KeySecret, key: FactifyKey): Identification | undefined {
  if (value.apiKeyId === undefined || value.apiKeyId === key.id) return undefined;
  return {
    resolved: false,
    candidates: [key],
    problem: `its apiKeyId ${value.apiKeyId} contradicts its apiKey, whose prefix is that of ${key.id}`,
  };
}

/** Whether the key's listed prefix (its first characters, then "...") starts `secret`. */
export function prefixStarts(key: FactifyKey, secret: Sensitive): boolean {
  const visible = key.prefix.replace(/(\.\.\.|…)$/, '');
  return visible.length > 0 && secret.reveal().startsWith(visible);
}
