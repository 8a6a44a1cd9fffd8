// Identifier and secret formats of the Factify /v1 API (factify-api.md §3).
import { randomBytes } from 'node:crypto';

/** TypeID base32 alphabet: Crockford's, lower case, as in the documented `[0-9a-hjkmnp-tv-z]` class. */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The documented path pattern of `DELETE /v1/api-keys/{api_key_id}`. */
export const API_KEY_ID = /^key_[0-9a-hjkmnp-tv-z]{26}$/;

/** Any id this simulator issues, as a path segment: what an operation's name shows as `{id}`. */
const TYPE_ID_SEGMENT = /(?<=\/)[a-z]+_[0-9a-hjkmnp-tv-z]{26}(?=\/|$)/g;

/** A request's operation, named without its ids: `DELETE /v1/api-keys/{id}`. */
export const operationName = (method: string, path: string): string =>
  `${method} ${path.replace(TYPE_ID_SEGMENT, '{id}')}`;

/** Environment segment of the secrets this simulator issues: it models the sandbox (`ffy_test_`). */
const SECRET_ENV = 'test';

/** Length of the `prefix` field before its "..." (SPEC: "the first 16 characters plus '...'"). */
const PREFIX_CHARS = 16;

/**
 * A TypeID suffix: a UUIDv7 (48-bit millisecond timestamp, then random bits) as 26 base32 characters.
 * Time-ordered like the real ids, so consecutive ids share their leading characters.
 */
function typeIdSuffix(nowMs: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f); // version 7
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // RFC 9562 variant
  return encode(BigInt(`0x${bytes.toString('hex')}`), BASE32, 26);
}

function encode(value: bigint, alphabet: string, width: number): string {
  const base = BigInt(alphabet.length);
  let out = '';
  for (let rest = value; out.length < width; rest /= base) {
    out = alphabet[Number(rest % base)] + out;
  }
  return out;
}

export const newOrganizationId = (nowMs: number): string => `org_${typeIdSuffix(nowMs)}`;
export const newApiKeyId = (nowMs: number): string => `key_${typeIdSuffix(nowMs)}`;
export const newRequestId = (nowMs: number): string => `req_${typeIdSuffix(nowMs)}`;

/**
 * A secret shaped `ffy_<env>_<base32 uuid7><base62 random>` (78 characters). The UUID segment is drawn
 * independently of the key id: the docs only hint that it may equal the id suffix, so nothing built
 * against this simulator can come to rely on that.
 */
export function newSecret(nowMs: number): string {
  const random = BigInt(`0x${randomBytes(32).toString('hex')}`);
  return `ffy_${SECRET_ENV}_${typeIdSuffix(nowMs)}${encode(random, BASE62, 43)}`;
}

/**
 * The listed `prefix` of a secret. Its 7 characters after `ffy_test_` are the top of the UUID's timestamp,
 * so keys created within ~30 s of each other share a prefix, as real ones would: a prefix is no unique id.
 */
export const prefixOf = (secret: string): string => `${secret.slice(0, PREFIX_CHARS)}...`;
