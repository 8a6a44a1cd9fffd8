import { FactifyOutcomeUnknownError, FactifyRequestError, KeyResolutionError } from './errors.js';
import { isOwnedBy } from './key-naming.js';
import type { Logger } from './log.js';
import type { CreatedKey, Credential, FactifyKey, FactifyKeys } from './ports.js';
import type { KeySecret } from './secret-value.js';

/** Factify's documented limit of active keys per organization. */
export const MAX_ACTIVE_KEYS = 5;
/** The revoke reason for a key replaced by a rotation. */
export const ROTATED_REASON = 'rotated';
/** The revoke reason for a key a failed rotation attempt created but could not store. */
export const ORPHAN_REASON = 'rotation-orphan: created by a failed rotation attempt, never stored';
/** The revoke reason for the key of a stuck rotation that an operator cleared (factify-rotation recover). */
export const ABANDONED_REASON = 'rotation-abandoned: stuck rotation cleared by factify-rotation recover';

/**
 * The key at Factify that a secret value holds: by `apiKeyId`, or for a first value written without it, by
 * the unique key whose listed `prefix` starts the secret. Either way the prefix must match, so a wrong
 * `apiKeyId` can never make us revoke another key.
 */
export function resolveKey(
  keys: readonly FactifyKey[],
  value: KeySecret,
  secretArn: string,
  what: string,
): FactifyKey {
  if (value.apiKeyId !== undefined) {
    const key = keys.find((candidate) => candidate.id === value.apiKeyId);
    if (key === undefined) {
      throw new KeyResolutionError(
        `${what} names apiKeyId ${value.apiKeyId}, which is not among the organization's keys that the managing ` +
          'key can list. Check that apiKeyId belongs to apiKey and, with an admin key, that both are in the same organization.',
      );
    }
    if (!prefixMatches(key, value)) {
      throw new KeyResolutionError(
        `${what} names apiKeyId ${value.apiKeyId}, but that key's prefix ${key.prefix} does not start its apiKey. ` +
          'Fix apiKeyId (Factify dashboard: Manage > API Keys lists ids and prefixes).',
      );
    }
    return key;
  }
  const matches = prefixCandidates(keys, value, secretArn);
  if (matches.length !== 1) {
    throw new KeyResolutionError(
      `${what} has no apiKeyId and ${matches.length === 0 ? 'no' : matches.length} listed key${matches.length === 1 ? '' : 's'} ` +
        `match${matches.length === 1 ? 'es' : ''} its prefix${matches.length > 1 ? ` (${matches.map((key) => key.id).join(', ')})` : ''}. ` +
        'Add "apiKeyId": "key_..." to the secret value (Factify dashboard: Manage > API Keys).',
    );
  }
  return matches[0] as FactifyKey;
}

/**
 * The listed key that a secret value holds, when its id (or, without one, its unique prefix) is listed and
 * the prefix matches; undefined otherwise. For values that are only candidates for cleanup.
 */
export function findKey(
  keys: readonly FactifyKey[],
  value: KeySecret,
  secretArn: string,
): FactifyKey | undefined {
  const candidates =
    value.apiKeyId !== undefined
      ? keys.filter((key) => key.id === value.apiKeyId)
      : prefixCandidates(keys, value, secretArn);
  return candidates.length === 1 && prefixMatches(candidates[0] as FactifyKey, value)
    ? candidates[0]
    : undefined;
}

// Prefixes begin with a time-ordered id, so keys created seconds apart share one. A value without apiKeyId
// was written by hand, never by a rotation (rotations always store the id): this secret's own keys are
// not candidates.
function prefixCandidates(keys: readonly FactifyKey[], value: KeySecret, secretArn: string): FactifyKey[] {
  return keys.filter((key) => !isOwnedBy(key.name, secretArn) && prefixMatches(key, value));
}

function prefixMatches(key: FactifyKey, value: KeySecret): boolean {
  // Factify lists the first characters of the secret followed by "...".
  const visible = key.prefix.replace(/(\.\.\.|…)$/, '');
  return visible.length > 0 && value.apiKey.reveal().startsWith(visible);
}

/**
 * Revokes a key so that it ends revoked exactly once. Factify does not document its answer for a key that
 * is already revoked (204, 404 or 409 are all plausible), so a rejected revoke counts as done only when a
 * listing with revoked keys shows the key revoked. With `checkFirst` (a retried step that may have revoked
 * it already) the listing comes first, so no second DELETE is sent.
 */
export async function ensureRevoked(
  factify: FactifyKeys,
  auth: Credential,
  keyId: string,
  reason: string,
  options: { checkFirst?: boolean } = {},
): Promise<'revoked' | 'already-revoked'> {
  if (options.checkFirst && (await isRevoked(factify, auth, keyId))) return 'already-revoked';
  try {
    await factify.revokeKey(auth, keyId, reason);
    return 'revoked';
  } catch (error) {
    if (error instanceof FactifyRequestError && (await isRevoked(factify, auth, keyId)))
      return 'already-revoked';
    throw error;
  }
}

async function isRevoked(factify: FactifyKeys, auth: Credential, keyId: string): Promise<boolean> {
  const keys = await factify.listKeys(auth, { includeRevoked: true });
  return keys.some((key) => key.id === keyId && key.revokedAt !== null);
}

const CREATE_ATTEMPTS = 3;

/**
 * Creates the key named `name`, converging when a create's outcome is unknown (a timeout or 5xx after the
 * request was sent). Factify has no idempotency key and shows a secret only once, so a key that was created
 * but whose answer was lost can never be used: find it by its unique name, revoke it, and create again.
 */
export async function createKeyConverging(
  factify: FactifyKeys,
  auth: Credential,
  name: string,
  log: Logger,
): Promise<CreatedKey> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await factify.createKey(auth, name);
    } catch (error) {
      if (!(error instanceof FactifyOutcomeUnknownError) || attempt >= CREATE_ATTEMPTS) throw error;
      log.warn('Key creation outcome unknown; reconciling by key name', { keyName: name, attempt, error });
      const lost = (await factify.listKeys(auth)).filter((key) => key.name === name && key.isActive);
      for (const key of lost) {
        await ensureRevoked(factify, auth, key.id, ORPHAN_REASON);
        log.warn('Revoked a key whose creation answer was lost', { keyId: key.id });
      }
    }
  }
}
