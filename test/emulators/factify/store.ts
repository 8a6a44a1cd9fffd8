// The simulator's state: organizations and their API keys, and the documented wire view of a key.
import { newApiKeyId, newOrganizationId, newSecret, prefixOf } from './ids.js';
import type { PropagationDelay, Settings } from './options.js';

/** "Up to 5 active API keys at once" (authentication guide). */
export const ACTIVE_KEY_LIMIT = 5;

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

/** A key as stored. Times are epoch milliseconds; the secret lives only in the lookup map. */
export interface StoredKey {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: number;
  updatedAt: number;
  readonly expiresAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
  revokedComment: string | null;
  admin: boolean;
  /** Propagation still to go: requests to refuse, or the instant the key starts to work. */
  unpropagated: { requests: number } | { until: number } | null;
  /** DELETE calls that revoked it: 0 or 1, since a repeat finds it already revoked and changes nothing. */
  revocations: number;
}

/** A key as `GET /v1/api-keys` lists it (L1). */
export interface ApiKeyJson {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  created_at: string;
  updated_at: string;
  is_active: boolean;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  revoked_comment: string | null;
}

export interface NewKey {
  name: string;
  admin: boolean;
  expiresAt: number | null;
  propagation: PropagationDelay | null;
  /** When it was created, for a seeded key; the clock's now otherwise. */
  createdAt?: number;
}

export class Store {
  readonly #organizations = new Map<string, Organization>();
  /** Insertion-ordered, so listings come out oldest first. */
  readonly #keys = new Map<string, StoredKey>();
  readonly #keysBySecret = new Map<string, StoredKey>();

  constructor(private readonly settings: Settings) {}

  createOrganization(name: string): Organization {
    const now = this.settings.clock();
    const organization = { id: newOrganizationId(now), name, createdAt: now };
    this.#organizations.set(organization.id, organization);
    return organization;
  }

  organization(id: string): Organization | undefined {
    return this.#organizations.get(id);
  }

  key(id: string): StoredKey | undefined {
    return this.#keys.get(id);
  }

  keyBySecret(secret: string): StoredKey | undefined {
    return this.#keysBySecret.get(secret);
  }

  /** An organization's keys; revoked ones only on request, expired ones always (L1). */
  keysOf(orgId: string, includeRevoked: boolean): StoredKey[] {
    return [...this.#keys.values()].filter(
      (key) => key.orgId === orgId && (includeRevoked || key.revokedAt === null),
    );
  }

  isExpired(key: StoredKey): boolean {
    return key.expiresAt !== null && key.expiresAt <= this.settings.clock();
  }

  /** SPEC: active exactly when not revoked and not expired. */
  isActive(key: StoredKey): boolean {
    return key.revokedAt === null && !this.isExpired(key);
  }

  atKeyLimit(orgId: string): boolean {
    const counted = this.keysOf(orgId, false).filter(
      (key) => this.settings.limitCountsExpiredKeys || !this.isExpired(key),
    );
    return counted.length >= ACTIVE_KEY_LIMIT;
  }

  /** Creates a key; the caller enforces the active-key limit. Returns the secret, which is not kept on the key. */
  issueKey(orgId: string, spec: NewKey): { key: StoredKey; secret: string } {
    const now = spec.createdAt ?? this.settings.clock();
    const secret = newSecret(now);
    const { propagation } = spec;
    const key: StoredKey = {
      id: newApiKeyId(now),
      orgId,
      name: spec.name,
      prefix: prefixOf(secret),
      createdAt: now,
      updatedAt: now,
      expiresAt: spec.expiresAt,
      revokedAt: null,
      revokedBy: null,
      revokedComment: null,
      admin: spec.admin,
      unpropagated:
        propagation === null
          ? null
          : 'requests' in propagation
            ? { requests: propagation.requests }
            : { until: now + propagation.ms },
      revocations: 0,
    };
    this.#keys.set(key.id, key);
    this.#keysBySecret.set(secret, key);
    return { key, secret };
  }

  revoke(key: StoredKey, revokedBy: string, comment: string | null): void {
    const now = this.settings.clock();
    key.revokedAt = now;
    key.updatedAt = now;
    key.revokedBy = revokedBy;
    key.revokedComment = comment;
    key.revocations += 1;
  }

  toJson(key: StoredKey): ApiKeyJson {
    return {
      id: key.id,
      org_id: key.orgId,
      name: key.name,
      prefix: key.prefix,
      created_at: iso(key.createdAt),
      updated_at: iso(key.updatedAt),
      is_active: this.isActive(key),
      expires_at: key.expiresAt === null ? null : iso(key.expiresAt),
      revoked_at: key.revokedAt === null ? null : iso(key.revokedAt),
      revoked_by: key.revokedBy,
      revoked_comment: key.revokedComment,
    };
  }
}

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
