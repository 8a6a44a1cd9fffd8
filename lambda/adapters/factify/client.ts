import { API_KEY_PATTERN, KEY_ID_PATTERN, ORG_ID_PATTERN } from '../../keys/secret-value.js';
import type {
  CreatedKey,
  Credential,
  FactifyKey,
  FactifyKeys,
  ListKeysOptions,
  Organization,
} from '../../ports.js';
import { FactifyUnexpectedResponseError, ListingLimitError } from '../../telemetry/errors.js';
import { Sensitive } from '../../telemetry/redaction.js';
import type { FactifyHttp, HttpResponse, Operation } from './http.js';

const OPERATIONS = {
  getOrganization: {
    method: 'GET',
    path: '/organization',
    description: 'read its organization (GET /v1/organization)',
    needsAdmin: false,
    idempotent: true,
  },
  listKeys: {
    method: 'GET',
    path: '/api-keys',
    description: 'list API keys (GET /v1/api-keys)',
    needsAdmin: true,
    idempotent: true,
  },
  createKey: {
    method: 'POST',
    path: '/api-keys',
    description: 'create an API key (POST /v1/api-keys)',
    needsAdmin: true,
    idempotent: false,
  },
} as const satisfies Record<string, Operation>;

// The list is unpaginated in the /v1 docs, but the pagination guide says every list may be: follow cursors.
// Revoked keys pile up with every rotation, but an organization holds at most 5 active keys, so a few secrets:
// 10,000 keys is five secrets rotated monthly for over 150 years, at 100 keys a page (the guide's largest) 100
// pages. A listing past either bound, or that returns a cursor again, would never end: it stops with a typed
// error, well within 128 MB on Node 22 and 24 alike.
export const MAX_LISTED_KEYS = 10_000;
export const MAX_KEY_PAGES = 1_000;

/** The Factify key API (/v1) over HTTP. Never sends X-Factify-Organization-Id (staff only; 403 for others). */
export class FactifyClient implements FactifyKeys {
  constructor(private readonly http: FactifyHttp) {}

  async getOrganization(auth: Credential): Promise<Organization> {
    const op = OPERATIONS.getOrganization;
    const body = json(op, await this.http.send(op, auth));
    const name = body.name === undefined || body.name === null ? '' : bounded(op, body, 'name', MAX_NAME);
    return { id: matching(op, body, 'id', ORG_ID_PATTERN), name };
  }

  async listKeys(auth: Credential, options: ListKeysOptions = {}): Promise<FactifyKey[]> {
    const op = OPERATIONS.listKeys;
    const keys: FactifyKey[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    for (;;) {
      const query = new URLSearchParams();
      if (options.includeRevoked) query.set('include_revoked', 'true');
      if (pageToken !== undefined) query.set('page_token', pageToken);
      const search = query.size > 0 ? `?${query}` : '';
      const body = json(op, await this.http.send(op, auth, undefined, search));
      if (!Array.isArray(body.api_keys)) throw unexpected(op, 'no "api_keys" array');
      const page: FactifyKey[] = body.api_keys.map((item: unknown) => toKey(op, item));
      if (keys.length + page.length > MAX_LISTED_KEYS) throw listingLimit(`${MAX_LISTED_KEYS} keys`);
      keys.push(...page);
      const next = (body.pagination as { next_page_token?: unknown } | undefined)?.next_page_token;
      if (typeof next !== 'string' || next === '') return keys;
      if (options.until !== undefined && page.some(options.until)) return keys;
      if (seen.has(next))
        throw unexpected(op, 'a page cursor it had already returned (the listing would never end)');
      if (seen.size + 1 >= MAX_KEY_PAGES) throw listingLimit(`${MAX_KEY_PAGES} pages`);
      seen.add(next);
      pageToken = next;
    }
  }

  async createKey(auth: Credential, name: string): Promise<CreatedKey> {
    const op = OPERATIONS.createKey;
    const body = json(op, await this.http.send(op, auth, { name }));
    const secret = body.key;
    if (typeof secret !== 'string' || secret.length > MAX_SECRET || !API_KEY_PATTERN.test(secret)) {
      throw unexpected(
        op,
        'no "key" in the Factify key format; if a key was created it is revoked by the next attempt',
      );
    }
    return { ...toKey(op, body), secret: new Sensitive(secret) };
  }

  async revokeKey(auth: Credential, keyId: string, reason: string): Promise<void> {
    const op: Operation = {
      method: 'DELETE',
      path: `/api-keys/${encodeURIComponent(keyId)}`,
      description: `revoke API key ${keyId} (DELETE /v1/api-keys/${keyId})`,
      needsAdmin: true,
      idempotent: true,
    };
    await this.http.send(op, auth, { reason });
  }
}

function listingLimit(limit: string): ListingLimitError {
  return new ListingLimitError(
    "the Factify organization's API keys (GET /v1/api-keys)",
    limit,
    'Check FACTIFY_API_URL points at the Factify /v1 API; if it does, report the endless listing to Factify.',
  );
}

function json(op: Operation, response: HttpResponse): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw unexpected(op, `a body that is not JSON (HTTP ${response.status})`, response.status);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw unexpected(op, `a body that is not a JSON object (HTTP ${response.status})`, response.status);
  }
  return body as Record<string, unknown>;
}

// Bounds on what Factify may answer: generous next to what it documents (names of 1 to 63 characters,
// prefixes of 16 to 20, keys of about 80, reasons of up to 500), tight enough that no answer can carry
// a huge value into a secret version, a log line or an operator's terminal.
const MAX_NAME = 255;
const MAX_PREFIX = 64;
const MAX_SECRET = 512;
const MAX_COMMENT = 500;
const MAX_TIMESTAMP = 64;

/** A listed or created key, every field checked against Factify's documented formats before use. */
function toKey(op: Operation, item: unknown): FactifyKey {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw unexpected(op, 'a key that is not an object');
  }
  const record = item as Record<string, unknown>;
  if (typeof record.is_active !== 'boolean') throw unexpected(op, 'a key without a boolean "is_active"');
  const comment = own(record, 'revoked_comment');
  return {
    id: matching(op, record, 'id', KEY_ID_PATTERN),
    orgId: matching(op, record, 'org_id', ORG_ID_PATTERN),
    name: bounded(op, record, 'name', MAX_NAME),
    prefix: bounded(op, record, 'prefix', MAX_PREFIX),
    isActive: record.is_active,
    revokedAt: timestamp(op, record, 'revoked_at') ?? null,
    revokedComment: typeof comment === 'string' ? comment.slice(0, MAX_COMMENT) : null,
    createdAt: timestamp(op, record, 'created_at') ?? '',
  };
}

// Own properties only: a body without a field must not find Object.prototype's `constructor` or `toString`.
function own(record: Record<string, unknown>, field: string): unknown {
  return Object.hasOwn(record, field) ? record[field] : undefined;
}

function bounded(op: Operation, record: Record<string, unknown>, field: string, max: number): string {
  const value = own(record, field);
  if (typeof value !== 'string' || value === '') throw unexpected(op, `no "${field}" string`);
  if (value.length > max) throw unexpected(op, `a "${field}" of ${value.length} characters (at most ${max})`);
  return value;
}

function matching(op: Operation, record: Record<string, unknown>, field: string, format: RegExp): string {
  const value = own(record, field);
  if (typeof value !== 'string' || !format.test(value)) {
    throw unexpected(op, `a "${field}" that is not a Factify id (${format.source})`);
  }
  return value;
}

// An RFC 3339 time, or absent/null.
function timestamp(op: Operation, record: Record<string, unknown>, field: string): string | undefined {
  const value = own(record, field);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TIMESTAMP || Number.isNaN(Date.parse(value))) {
    throw unexpected(op, `a "${field}" that is neither null nor a timestamp`);
  }
  return value;
}

function unexpected(op: Operation, what: string, status?: number): FactifyUnexpectedResponseError {
  return new FactifyUnexpectedResponseError(
    `Factify answered the request to ${op.description} with ${what}, which is not the documented response. ` +
      'Check FACTIFY_API_URL points at the Factify /v1 API.',
    status,
  );
}
