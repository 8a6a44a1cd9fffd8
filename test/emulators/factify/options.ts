// Simulator options: one place for the defaults, each undocumented behaviour a switch over its plausible answers.
import type { ErrorFormat } from './errors.js';

/** A fixed-window request budget. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/**
 * How long a newly created key stays unknown to authentication (answering 401 `invalid_api_key`):
 * for its first `requests` requests, or for `ms` milliseconds after creation.
 */
export type PropagationDelay = { requests: number } | { ms: number };

/** Statuses the docs leave plausible for revoking an already-revoked key (factify-api.md §2.3). */
const ALREADY_REVOKED_STATUSES = [204, 400, 404, 409] as const;
export type AlreadyRevokedStatus = (typeof ALREADY_REVOKED_STATUSES)[number];

export interface FactifySimulatorOptions {
  /** Shape of error bodies. @default 'problem' */
  errorFormat?: ErrorFormat;
  /** Status of request validation failures (the /v1 pages suggest 422; 400 is as plausible). @default 422 */
  validationStatus?: 400 | 422;
  /** Status when an organization already has 5 active keys (undocumented). @default 409 */
  createLimitStatus?: number;
  /** Whether expired, unrevoked keys count toward the 5-active-key limit (undocumented). @default false */
  limitCountsExpiredKeys?: boolean;
  /** Answer to revoking an already-revoked key (undocumented). @default 204 */
  revokeAlreadyRevokedStatus?: AlreadyRevokedStatus;
  /** Success status of `POST /v1/api-keys` (the stored docs cut off before it). @default 201 */
  createStatus?: 200 | 201;
  /** Whether keys created through the API get the admin role (undocumented). @default true */
  newKeysAreAdmin?: boolean;
  /** Delay before keys created through the API authenticate. Seeded keys never wait. @default null */
  propagationDelay?: PropagationDelay | null;
  /**
   * Budgets: `read` for GET (documented 1,000/min), `write` for POST (documented 100/min).
   * @default { read: { limit: 1000, windowMs: 60_000 }, write: { limit: 100, windowMs: 60_000 } }
   */
  rateLimits?: { read?: RateLimit; write?: RateLimit };
  /** Budget DELETE draws on: the guide's "write operations (POST)" leaves it open. @default 'write' */
  deleteRateClass?: 'read' | 'write';
  /** `per-key` as documented, or one `global` budget shared by every caller (to model scale). @default 'per-key' */
  rateLimitScope?: 'per-key' | 'global';
  /** Also send a `Retry-After` header on 429 (undocumented; the body's `retry_after` always is). @default false */
  retryAfterHeader?: boolean;
  /** Milliseconds since the epoch: drives timestamps, expiry, propagation and rate windows. @default Date.now */
  clock?: () => number;
  /**
   * Keys per page of `GET /v1/api-keys`, with the pagination guide's opaque `page_token` and
   * `pagination.next_page_token` (the /v1 list page documents none). @default null (one page, unpaginated)
   */
  listPageSize?: number | null;
}

export type Settings = Required<Omit<FactifySimulatorOptions, 'rateLimits'>> & {
  rateLimits: { read: RateLimit; write: RateLimit };
};

/** Resolves defaults and rejects nonsensical values, reporting every problem at once. */
export function resolveSettings(options: FactifySimulatorOptions = {}): Settings {
  const settings: Settings = {
    errorFormat: options.errorFormat ?? 'problem',
    validationStatus: options.validationStatus ?? 422,
    createLimitStatus: options.createLimitStatus ?? 409,
    limitCountsExpiredKeys: options.limitCountsExpiredKeys ?? false,
    revokeAlreadyRevokedStatus: options.revokeAlreadyRevokedStatus ?? 204,
    createStatus: options.createStatus ?? 201,
    newKeysAreAdmin: options.newKeysAreAdmin ?? true,
    propagationDelay: options.propagationDelay ?? null,
    rateLimits: {
      read: options.rateLimits?.read ?? { limit: 1000, windowMs: 60_000 },
      write: options.rateLimits?.write ?? { limit: 100, windowMs: 60_000 },
    },
    deleteRateClass: options.deleteRateClass ?? 'write',
    rateLimitScope: options.rateLimitScope ?? 'per-key',
    retryAfterHeader: options.retryAfterHeader ?? false,
    clock: options.clock ?? Date.now,
    listPageSize: options.listPageSize ?? null,
  };
  assertValid('Invalid Factify simulator options', [
    ...checkStatus('createLimitStatus', settings.createLimitStatus),
    ...checkAlreadyRevokedStatus(settings.revokeAlreadyRevokedStatus),
    ...checkPropagation(settings.propagationDelay),
    ...checkRateLimit('rateLimits.read', settings.rateLimits.read),
    ...checkRateLimit('rateLimits.write', settings.rateLimits.write),
    ...(settings.listPageSize === null ||
    (Number.isInteger(settings.listPageSize) && settings.listPageSize > 0)
      ? []
      : [`listPageSize must be a positive integer, got ${settings.listPageSize}`]),
  ]);
  return settings;
}

/** @throws RangeError listing every problem */
export function assertValid(context: string, problems: string[]): void {
  if (problems.length > 0) throw new RangeError(`${context}: ${problems.join('; ')}`);
}

export function checkStatus(name: string, status: number, lowest = 400): string[] {
  return Number.isInteger(status) && status >= lowest && status <= 599
    ? []
    : [`${name} must be an HTTP status from ${lowest} to 599, got ${status}`];
}

export function checkAlreadyRevokedStatus(status: number): string[] {
  return (ALREADY_REVOKED_STATUSES as readonly number[]).includes(status)
    ? []
    : [`revokeAlreadyRevokedStatus must be one of ${ALREADY_REVOKED_STATUSES.join(', ')}, got ${status}`];
}

export function checkPropagation(delay: PropagationDelay | null): string[] {
  if (delay === null) return [];
  const [name, value] = 'requests' in delay ? ['requests', delay.requests] : ['ms', delay.ms];
  return Number.isInteger(value) && value >= 0
    ? []
    : [`propagationDelay.${name} must be a non-negative integer, got ${value}`];
}

function checkRateLimit(name: string, { limit, windowMs }: RateLimit): string[] {
  return [
    ...(Number.isInteger(limit) && limit > 0
      ? []
      : [`${name}.limit must be a positive integer, got ${limit}`]),
    ...(windowMs > 0 ? [] : [`${name}.windowMs must be positive, got ${windowMs}`]),
  ];
}
