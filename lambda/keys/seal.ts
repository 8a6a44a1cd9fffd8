import { createHash } from 'node:crypto';
import type { SealKey } from '../ports.js';
import type { Sensitive } from '../telemetry/redaction.js';

/**
 * The seal: the evidence this function writes into every value it stores, which no writer of the secret can
 * forge. It is an HMAC-SHA-256 from a KMS HMAC key that only the function's role may use for GenerateMac,
 * over a canonical, versioned encoding of where the value lives (the secret's ARN and the version id) and
 * what it says (the key id, a SHA-256 of the key, the organization, and the key it replaced). A copy of a
 * sealed value under another version or in another secret does not verify, so it is a hand-written value,
 * never evidence. The seal travels in the value as one field, `rotationSeal`, that consumers ignore:
 * `{"v": 1, "replacesKeyId": "key_..." | null, "mac": "<base64>"}`.
 */
export const SEAL_FIELD = 'rotationSeal';
const SEAL_VERSION = 1;
// Domain separation: a MAC of this key over anything else can never pass for a seal.
const DOMAIN = 'factify-key-rotation/seal';

/** What a seal states, once verified. */
export interface SealClaims {
  readonly secretArn: string;
  readonly versionId: string;
  readonly keyId: string;
  readonly apiKey: Sensitive;
  readonly organizationId: string;
  /** The key AWSCURRENT held when this version's key was created; null when there was none. */
  readonly replacesKeyId: string | null;
}

/** The seal field as stored in a value (unverified until verifySeal says so). */
export interface StoredSeal {
  readonly v: number;
  readonly replacesKeyId: string | null;
  readonly mac: string;
}

/**
 * The message a seal covers: a JSON array (one canonical encoding of strings and null) behind a domain and
 * version tag. The key itself is hashed, so the message never holds it.
 */
export function sealMessage(claims: SealClaims): Uint8Array {
  const keyDigest = createHash('sha256').update(claims.apiKey.reveal()).digest('hex');
  return Buffer.from(
    JSON.stringify([
      DOMAIN,
      SEAL_VERSION,
      claims.secretArn,
      claims.versionId,
      claims.keyId,
      keyDigest,
      claims.organizationId,
      claims.replacesKeyId,
    ]),
  );
}

/** Seals a value about to be written. */
export async function seal(key: SealKey, claims: SealClaims): Promise<StoredSeal> {
  const mac = await key.generateMac(sealMessage(claims));
  return { v: SEAL_VERSION, replacesKeyId: claims.replacesKeyId, mac: Buffer.from(mac).toString('base64') };
}

/**
 * Whether `stored` is this function's seal over `claims` (whose replacesKeyId is taken from the seal).
 * Anything else (no seal, another version of the encoding, a malformed or wrong MAC) is false.
 */
export async function verifySeal(
  key: SealKey,
  stored: StoredSeal | undefined,
  claims: Omit<SealClaims, 'replacesKeyId'>,
): Promise<boolean> {
  if (stored === undefined || stored.v !== SEAL_VERSION) return false;
  const mac = Buffer.from(stored.mac, 'base64');
  // Base64 that does not round-trip is not a MAC this function wrote; HMAC-SHA-256 is 32 bytes.
  if (mac.length !== 32 || mac.toString('base64') !== stored.mac) return false;
  return key.verifyMac(sealMessage({ ...claims, replacesKeyId: stored.replacesKeyId }), mac);
}

/** Reads the seal field of a parsed JSON value; undefined when it is absent or not shaped like a seal. */
export function parseStoredSeal(field: unknown): StoredSeal | undefined {
  if (typeof field !== 'object' || field === null || Array.isArray(field)) return undefined;
  const { v, replacesKeyId, mac } = field as Record<string, unknown>;
  if (typeof v !== 'number' || typeof mac !== 'string') return undefined;
  if (replacesKeyId !== null && typeof replacesKeyId !== 'string') return undefined;
  return { v, replacesKeyId, mac };
}
