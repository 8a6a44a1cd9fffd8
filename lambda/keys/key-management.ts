import type { CreatedKey, Credential, FactifyKey, FactifyKeys } from '../ports.js';
import { FactifyOutcomeUnknownError, FactifyRequestError } from '../telemetry/errors.js';
import type { Logger } from '../telemetry/log.js';

/** Factify's documented limit of active keys per organization. */
export const MAX_ACTIVE_KEYS = 5;
/** The revoke reason for a key replaced by a rotation. */
export const ROTATED_REASON = 'rotated';
/** The revoke reason for a key a failed rotation attempt created but could not store. */
export const ORPHAN_REASON = 'rotation-orphan: created by a failed rotation attempt, never stored';
/** The revoke reason for the key of a createSecret that found another value stored for its token. */
export const DUPLICATE_REASON =
  'rotation-duplicate: a concurrent attempt of the same rotation stored its key first';
/** The revoke reason for the key of a stuck rotation that an operator cleared (factify-rotation recover). */
export const ABANDONED_REASON = 'rotation-abandoned: stuck rotation cleared by factify-rotation recover';

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
  const keys = await listUntil(factify, auth, keyId);
  return keys.some((key) => key.id === keyId && key.revokedAt !== null);
}

/**
 * The organization's keys with revoked ones, up to the page that shows `keyId`: revoked keys pile up with
 * every rotation, and a search for one key need not read them all.
 */
export function listUntil(factify: FactifyKeys, auth: Credential, keyId: string): Promise<FactifyKey[]> {
  return factify.listKeys(auth, { includeRevoked: true, until: (key) => key.id === keyId });
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
