import { MalformedSecretValueError } from './errors.js';
import { Sensitive } from './sensitive.js';

/** The fields this function owns in a secret value; every other field is the user's and is carried over. */
const OWN_FIELDS = ['apiKey', 'apiKeyId', 'organizationId', 'createdAt'] as const;

// Factify documents `ffy_live_`/`ffy_test_` while its examples use `ffy_prod_`: accept any env segment.
const API_KEY_PATTERN = /^ffy_[a-z]+_[A-Za-z0-9]+$/;
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
  const carried = Object.fromEntries(
    Object.entries(fields).filter(([name]) => !(OWN_FIELDS as readonly string[]).includes(name)),
  );
  return {
    apiKey: new Sensitive(apiKey),
    ...(apiKeyId === undefined ? {} : { apiKeyId }),
    ...(typeof organizationId === 'string' ? { organizationId } : {}),
    ...(typeof createdAt === 'string' ? { createdAt } : {}),
    carried,
  };
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
  carried: Readonly<Record<string, unknown>>;
}): Sensitive {
  return new Sensitive(
    JSON.stringify({
      ...fields.carried,
      apiKey: fields.apiKey.reveal(),
      apiKeyId: fields.apiKeyId,
      organizationId: fields.organizationId,
      createdAt: fields.createdAt,
    }),
  );
}
