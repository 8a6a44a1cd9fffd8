// Bearer-key authentication with the documented 401 codes (authentication guide, factify-api.md §4).
import { ApiError } from './errors.js';
import type { Store, StoredKey } from './store.js';

export type Authentication = { ok: true; key: StoredKey } | { ok: false; error: ApiError };

const BEARER = /^Bearer +(\S+) *$/i;

/** The secret of an `Authorization: Bearer <key>` header; anything else counts as no key at all. */
export const bearerSecret = (authorization: string | undefined): string | undefined =>
  BEARER.exec(authorization ?? '')?.[1];

/**
 * Resolves the caller. Each attempt with a key still propagating uses up one of its refused requests,
 * so call this exactly once per request.
 */
export function authenticate(store: Store, secret: string | undefined, now: number): Authentication {
  if (secret === undefined) {
    return { ok: false, error: new ApiError(401, 'missing_api_key', 'No Bearer API key was provided.') };
  }
  const key = store.keyBySecret(secret);
  if (key === undefined || key.revokedAt !== null || stillPropagating(key, now)) {
    // Unknown, revoked and not-yet-propagated keys are indistinguishable to a caller.
    return { ok: false, error: new ApiError(401, 'invalid_api_key', 'The API key is invalid.') };
  }
  if (store.isExpired(key)) {
    return { ok: false, error: new ApiError(401, 'expired_api_key', 'The API key has expired.') };
  }
  return { ok: true, key };
}

function stillPropagating(key: StoredKey, now: number): boolean {
  const pending = key.unpropagated;
  if (pending === null) return false;
  if ('until' in pending) return now < pending.until;
  if (pending.requests === 0) return false;
  pending.requests -= 1;
  return true;
}
