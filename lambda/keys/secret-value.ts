import { MalformedSecretValueError } from '../telemetry/errors.js';
import { Sensitive } from '../telemetry/redaction.js';
import { parseStoredSeal, SEAL_FIELD, type StoredSeal } from './seal.js';

/**
 * The fields this function owns in a secret value; every other field is the user's and is carried over.
 * The seal is the function's own too: a seal carried into another version would only ever fail to verify.
 */
const OWN_FIELDS = ['apiKey', 'apiKeyId', 'organizationId', 'createdAt', SEAL_FIELD] as const;

// Factify documents `ffy_live_`/`ffy_test_` while its examples use `ffy_prod_`: accept any env segment.
export const API_KEY_PATTERN = /^ffy_[a-z]+_[A-Za-z0-9]+$/;
// Factify ids are TypeIDs: a type prefix, then 26 characters of lower-case Crockford base32.
export const KEY_ID_PATTERN = /^key_[0-9a-hjkmnp-tv-z]{26}$/;
export const ORG_ID_PATTERN = /^org_[0-9a-hjkmnp-tv-z]{26}$/;

/** A secret value holding a Factify key: `{"apiKey": "ffy_...", "apiKeyId": "key_...", ...other fields}`. */
export interface KeySecret {
  readonly apiKey: Sensitive;
  /** Absent in a first value written by hand; then it is resolved at Factify by the key's prefix. */
  readonly apiKeyId?: string;
  readonly organizationId?: string;
  /** When this function created the key (absent in a value written by hand). */
  readonly createdAt?: string;
  /** The seal field as written (seal.ts): evidence only once verified for this secret and version. */
  readonly seal?: StoredSeal;
  /** The user's other fields, carried over unchanged into every new version. */
  readonly carried: Readonly<Record<string, unknown>>;
}

/**
 * Parses a secret value. `what` names the value for the error message ("the AWSCURRENT version of secret
 * X"); the message never quotes the value, since it holds a key.
 */
export function parseKeySecret(raw: Sensitive, what: string): KeySecret {
  const fail = (why: string): never => {
    throw new MalformedSecretValueError(
      `${what} is not a Factify key secret: ${why}. Expected JSON like {"apiKey": "ffy_...", "apiKeyId": "key_..."}.`,
    );
  };
  let value: unknown;
  try {
    value = JSON.parse(raw.reveal());
  } catch {
    // JSON.parse's own message quotes the input: never pass it on.
    return fail('it is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('it is not a JSON object');
  const fields = value as Record<string, unknown>;
  const { apiKey, apiKeyId, organizationId, createdAt } = fields;
  if (typeof apiKey !== 'string') return fail('"apiKey" is missing or not a string');
  if (!API_KEY_PATTERN.test(apiKey))
    return fail('"apiKey" does not have the Factify key format ffy_<env>_<...>');
  if (apiKeyId !== undefined && (typeof apiKeyId !== 'string' || !KEY_ID_PATTERN.test(apiKeyId))) {
    return fail('"apiKeyId" is not a Factify key id (key_ followed by 26 characters)');
  }
  if (
    organizationId !== undefined &&
    (typeof organizationId !== 'string' || !ORG_ID_PATTERN.test(organizationId))
  ) {
    return fail('"organizationId" is not a Factify organization id (org_ followed by 26 characters)');
  }
  const seal = parseStoredSeal(fields[SEAL_FIELD]);
  const carried = Object.fromEntries(
    Object.entries(fields).filter(([name]) => !(OWN_FIELDS as readonly string[]).includes(name)),
  );
  return {
    apiKey: new Sensitive(apiKey),
    ...(apiKeyId === undefined ? {} : { apiKeyId }),
    ...(typeof organizationId === 'string' ? { organizationId } : {}),
    ...(typeof createdAt === 'string' ? { createdAt } : {}),
    ...(seal === undefined ? {} : { seal }),
    carried,
  };
}

/** Secrets Manager's limit on a SecretString, in bytes. */
const MAX_SECRET_STRING_BYTES = 65_536;
// Room for this function's own fields next to the carried ones: a key of up to 512 characters (the most
// the Factify client accepts), two ids, a timestamp of up to 64, the seal (a key id and 44 characters of
// MAC), and their names and quotes.
const OWN_FIELDS_BYTES = 1_280;
// Deep enough for any configuration; shallow enough that serializing can never overflow the stack
// (JSON.parse reads thousands of levels that JSON.stringify then cannot write).
const MAX_CARRIED_DEPTH = 64;

/**
 * Checks that the user's fields of `value` can be carried into a new version: nested at most 64 levels, and
 * small enough that with a new key the version stays within Secrets Manager's 64 KB. Called before the
 * key is created, so a value that cannot be carried fails with nothing written, not after the POST.
 */
export function checkCarriable(value: KeySecret, what: string): void {
  const fail = (why: string): never => {
    throw new MalformedSecretValueError(
      `${what} cannot be carried into a new version: ${why}. Shorten the secret's other fields, then retry the rotation.`,
    );
  };
  if (nestingExceeds(value.carried, MAX_CARRIED_DEPTH)) {
    fail(`its fields are nested more than ${MAX_CARRIED_DEPTH} levels deep`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(value.carried));
  if (bytes + OWN_FIELDS_BYTES > MAX_SECRET_STRING_BYTES) {
    fail(
      `its other fields take ${bytes} bytes, and with a new key a version would exceed Secrets Manager's 64 KB ` +
        `(${MAX_SECRET_STRING_BYTES} bytes)`,
    );
  }
}

// Iterative, so that measuring a hostile value cannot overflow the stack either.
function nestingExceeds(root: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Parses the admin secret named by FACTIFY_ADMIN_SECRET_ID: JSON with at least `apiKey`. */
export function parseAdminSecret(raw: Sensitive, secretId: string): Sensitive {
  return parseKeySecret(raw, `The admin secret ${secretId} (FACTIFY_ADMIN_SECRET_ID)`).apiKey;
}

/** The value of a new version: the user's fields first, then this function's own. */
export function serializeKeySecret(fields: {
  apiKey: Sensitive;
  apiKeyId: string;
  organizationId: string;
  createdAt: string;
  seal: StoredSeal;
  carried: Readonly<Record<string, unknown>>;
}): Sensitive {
  return new Sensitive(
    JSON.stringify({
      ...fields.carried,
      apiKey: fields.apiKey.reveal(),
      apiKeyId: fields.apiKeyId,
      organizationId: fields.organizationId,
      createdAt: fields.createdAt,
      [SEAL_FIELD]: fields.seal,
    }),
  );
}
