// The documented /v1 operations (factify-api.md §1-2), on an authenticated caller.
import { ApiError, malformedBody } from './errors.js';
import { API_KEY_ID } from './ids.js';
import type { Settings } from './options.js';
import { ACTIVE_KEY_LIMIT, iso, type Store, type StoredKey } from './store.js';

/** The request body as received: absent, parsed JSON, or unparseable. */
export type RequestBody = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'malformed' };

export interface OperationRequest {
  caller: StoredKey;
  query: URLSearchParams;
  body: RequestBody;
}

/** A successful answer; failures are thrown as `ApiError`. */
export interface Reply {
  status: number;
  json?: unknown;
  /** The key the operation created or revoked. */
  keyId?: string;
}

export interface Operation {
  /** Create, list and revoke require the organization admin role (C1, L1, R1). */
  adminOnly: boolean;
  run(request: OperationRequest): Reply;
}

const NAME_MAX_CHARS = 63;
const REASON_MAX_CHARS = 500;
/** v1beta: an expiry "at most 1 year (8760 h) ahead". */
const MAX_LIFETIME_MS = 8760 * 3_600_000;
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class FactifyApi {
  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
  ) {}

  /** The operation behind a method and path, or `undefined` when there is none. */
  match(method: string, path: string): Operation | undefined {
    const keyPath = /^\/v1\/api-keys\/([^/]+)$/.exec(path);
    switch (`${method} ${keyPath ? '/v1/api-keys/{id}' : path}`) {
      case 'GET /v1/organization':
        return { adminOnly: false, run: (request) => this.#getOrganization(request) };
      case 'GET /v1/me':
        return { adminOnly: false, run: () => this.#getMe() };
      case 'GET /v1/api-keys':
        return { adminOnly: true, run: (request) => this.#listKeys(request) };
      case 'POST /v1/api-keys':
        return { adminOnly: true, run: (request) => this.#createKey(request) };
      case 'DELETE /v1/api-keys/{id}':
        return { adminOnly: true, run: (request) => this.#revokeKey(request, keyPath?.[1] ?? '') };
      default:
        return undefined;
    }
  }

  #getOrganization({ caller }: OperationRequest): Reply {
    const organization = this.store.organization(caller.orgId);
    if (organization === undefined) throw new Error(`key ${caller.id} belongs to no organization`);
    return {
      status: 200,
      json: { id: organization.id, name: organization.name, created_at: iso(organization.createdAt) },
    };
  }

  /** ME: API-key callers have no user identity. */
  #getMe(): Reply {
    throw new ApiError(
      403,
      'insufficient_permissions',
      'API keys have no user identity; /v1/me needs a user session.',
    );
  }

  #listKeys({ caller, query }: OperationRequest): Reply {
    const includeRevoked = query.get('include_revoked') ?? 'false';
    if (includeRevoked !== 'true' && includeRevoked !== 'false') {
      throw this.#invalid('include_revoked', 'invalid_field_value', 'include_revoked must be true or false.');
    }
    const keys = this.store.keysOf(caller.orgId, includeRevoked === 'true');
    const size = this.settings.listPageSize;
    if (size === null) return { status: 200, json: { api_keys: keys.map((key) => this.store.toJson(key)) } };
    // An opaque cursor, as the pagination guide describes: here, the offset of the next page.
    const token = query.get('page_token');
    const decoded = token === null ? '0' : Buffer.from(token, 'base64url').toString();
    const offset = Number(decoded);
    if (!/^\d+$/.test(decoded) || offset > keys.length) {
      throw this.#invalid(
        'page_token',
        'invalid_page_token',
        'page_token is not a cursor this API returned.',
      );
    }
    const next = offset + size;
    return {
      status: 200,
      json: {
        api_keys: keys.slice(offset, next).map((key) => this.store.toJson(key)),
        pagination:
          next < keys.length
            ? { has_more: true, next_page_token: Buffer.from(String(next)).toString('base64url') }
            : { has_more: false },
      },
    };
  }

  #createKey({ caller, body }: OperationRequest): Reply {
    const fields = objectBody(body);
    if (fields === undefined) throw malformedBody();
    const name = this.#name(fields.name);
    const expiresAt = this.#expiresAt(fields.expires_at);
    if (this.store.atKeyLimit(caller.orgId)) {
      throw new ApiError(
        this.settings.createLimitStatus,
        'api_key_limit_reached',
        `The organization has reached the limit of ${ACTIVE_KEY_LIMIT} active API keys; revoke one before creating another.`,
      );
    }
    const { key, secret } = this.store.issueKey(caller.orgId, {
      name,
      admin: this.settings.newKeysAreAdmin,
      expiresAt,
      propagation: this.settings.propagationDelay,
    });
    return {
      status: this.settings.createStatus,
      json: { ...this.store.toJson(key), key: secret },
      keyId: key.id,
    };
  }

  #revokeKey({ caller, body }: OperationRequest, id: string): Reply {
    if (!API_KEY_ID.test(id)) {
      throw new ApiError(400, 'invalid_field_value', 'api_key_id must match key_[0-9a-hjkmnp-tv-z]{26}.', {
        param: 'api_key_id',
      });
    }
    // R1: the body is optional; when present it must be a JSON object.
    const fields = body.kind === 'none' ? {} : objectBody(body);
    if (fields === undefined) throw malformedBody();
    const reason = this.#reason(fields.reason);
    const key = this.store.key(id);
    // Another organization's key is as invisible as an unknown one.
    if (key === undefined || key.orgId !== caller.orgId) {
      throw new ApiError(404, 'resource_not_found', `API key ${id} was not found.`);
    }
    if (key.revokedAt !== null) return this.#alreadyRevoked(id);
    // revoked_by is the calling key's id: an API-key caller has no usr_ identity (ME).
    this.store.revoke(key, caller.id, reason);
    return { status: 204, keyId: id };
  }

  #alreadyRevoked(id: string): Reply {
    const status = this.settings.revokeAlreadyRevokedStatus;
    if (status === 204) return { status };
    if (status === 404) throw new ApiError(status, 'resource_not_found', `API key ${id} was not found.`);
    throw new ApiError(status, 'precondition_failed', `API key ${id} is already revoked.`);
  }

  #name(value: unknown): string {
    if (value === undefined) throw this.#invalid('name', 'missing_required_field', 'name is required.');
    return this.#text('name', value, NAME_MAX_CHARS);
  }

  /** Omitted or null means the key never expires. */
  #expiresAt(value: unknown): number | null {
    if (value === undefined || value === null) return null;
    const at = typeof value === 'string' && RFC_3339.test(value) ? Date.parse(value) : Number.NaN;
    const now = this.settings.clock();
    if (!(at > now && at <= now + MAX_LIFETIME_MS)) {
      throw this.#invalid(
        'expires_at',
        'invalid_field_value',
        'expires_at must be an RFC 3339 date-time in the future and at most 1 year ahead.',
      );
    }
    return at;
  }

  #reason(value: unknown): string | null {
    return value === undefined ? null : this.#text('reason', value, REASON_MAX_CHARS);
  }

  /** A string of 1 to `max` characters, the v1beta bounds of `name` and `reason`. */
  #text(param: string, value: unknown, max: number): string {
    if (typeof value !== 'string' || value.length === 0 || [...value].length > max) {
      throw this.#invalid(
        param,
        'invalid_field_value',
        `${param} must be a string of 1 to ${max} characters.`,
      );
    }
    return value;
  }

  #invalid(param: string, code: string, message: string): ApiError {
    return new ApiError(this.settings.validationStatus, code, message, { param });
  }
}

/** The body's fields, or `undefined` when it is missing, unparseable or not a JSON object. */
function objectBody(body: RequestBody): Record<string, unknown> | undefined {
  if (
    body.kind !== 'json' ||
    typeof body.value !== 'object' ||
    body.value === null ||
    Array.isArray(body.value)
  ) {
    return undefined;
  }
  return body.value as Record<string, unknown>;
}
