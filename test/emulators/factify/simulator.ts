// The test-facing simulator: a loopback HTTP server plus the state and controls tests assert on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallInterceptor } from '../interception.js';
import { FactifyApi } from './api.js';
import { type Fault, FaultQueue } from './faults.js';
import {
  type AlreadyRevokedStatus,
  assertValid,
  checkAlreadyRevokedStatus,
  checkPropagation,
  checkStatus,
  type FactifySimulatorOptions,
  type PropagationDelay,
  resolveSettings,
  type Settings,
} from './options.js';
import { type LoggedRequest, Pipeline, type Records, type Violation } from './pipeline.js';
import { RateLimiter } from './rate-limit.js';
import { ACTIVE_KEY_LIMIT, type ApiKeyJson, Store, type StoredKey } from './store.js';

export interface SeedKeyOptions {
  /** @default 'seeded' */
  name?: string;
  /** @default true */
  admin?: boolean;
  /** May lie in the past, to seed an expired key. @default never expires */
  expiresAt?: Date;
  /**
   * When the key was made: its id, secret and prefix are drawn for that moment, so keys seeded a minute
   * apart show different prefixes, as keys made by a person would. @default now
   */
  createdAt?: Date;
}

/** A seeded key with its secret, as `POST /v1/api-keys` would have returned it. */
export interface SeededKey {
  id: string;
  key: string;
  prefix: string;
}

/** A key as listed by the API, plus its role. Never the secret. */
export type SimulatedKey = ApiKeyJson & { admin: boolean };

export interface FactifySimulator {
  /** Base URL of the API, ending in `/v1`. */
  readonly url: string;
  /** Every request received, oldest first, until `resetRequests()`. */
  readonly requests: readonly LoggedRequest[];
  /** Client misbehaviour observed so far, e.g. the staff-only override header. */
  readonly violations: readonly Violation[];
  createOrganization(name?: string): { id: string; name: string };
  /** Adds a key directly, without propagation delay. @throws if the organization already has 5 active keys */
  seedKey(orgId: string, options?: SeedKeyOptions): SeededKey;
  /** The organization's keys as the API would list them, oldest first. */
  keys(orgId: string, options?: { includeRevoked?: boolean }): SimulatedKey[];
  /** How many DELETE calls revoked the key (0 or 1). @throws for an unknown key */
  revocations(keyId: string): number;
  /** How many `DELETE /v1/api-keys/{keyId}` requests arrived, whatever their outcome. */
  deleteCalls(keyId: string): number;
  /** Empties the request log; violations and DELETE counts are kept. */
  resetRequests(): void;
  /** Arms a fault for the next `fault.times` matching requests. @throws RangeError for a fault that cannot fire */
  inject(fault: Fault): void;
  /** Disarms every fault not yet used up. */
  clearFaults(): void;
  /**
   * Sees every request from now on, before anything else, and may crash its caller mid-call: a lost
   * request is neither applied nor logged; an applied one is logged without a status.
   */
  intercept(interceptor: CallInterceptor | undefined): void;
  /** Grants or withdraws the organization admin role. @throws for an unknown key */
  setKeyAdmin(keyId: string, admin: boolean): void;
  /** See `FactifySimulatorOptions.revokeAlreadyRevokedStatus`. */
  setRevokeAlreadyRevokedStatus(status: AlreadyRevokedStatus): void;
  /** See `FactifySimulatorOptions.createLimitStatus`. */
  setCreateLimitStatus(status: number): void;
  /** See `FactifySimulatorOptions.propagationDelay`; applies to keys created from now on. */
  setPropagationDelay(delay: PropagationDelay | null): void;
  /** Stops the server, dropping hung requests. @throws AggregateError if the simulator hit internal errors */
  close(): Promise<void>;
}

/** Starts a simulator on an ephemeral loopback port. @throws RangeError for invalid options */
export async function startFactifySimulator(options?: FactifySimulatorOptions): Promise<FactifySimulator> {
  const settings = resolveSettings(options);
  const store = new Store(settings);
  const faults = new FaultQueue();
  const records: Records = { requests: [], violations: [], deleteCalls: new Map(), internalErrors: [] };
  const pipeline = new Pipeline({
    settings,
    store,
    faults,
    records,
    api: new FactifyApi(store, settings),
    limiter: new RateLimiter(settings),
  });
  const server = createServer(pipeline.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return new Simulator(server, settings, store, faults, records, pipeline);
}

class Simulator implements FactifySimulator {
  readonly url: string;
  #closed: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    private readonly settings: Settings,
    private readonly store: Store,
    private readonly faults: FaultQueue,
    private readonly records: Records,
    private readonly pipeline: Pipeline,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  get requests(): readonly LoggedRequest[] {
    return this.records.requests;
  }

  get violations(): readonly Violation[] {
    return this.records.violations;
  }

  createOrganization(name = 'Simulated Organization'): { id: string; name: string } {
    const { id } = this.store.createOrganization(name);
    return { id, name };
  }

  seedKey(
    orgId: string,
    { name = 'seeded', admin = true, expiresAt, createdAt }: SeedKeyOptions = {},
  ): SeededKey {
    this.#organization(orgId);
    if (this.store.atKeyLimit(orgId)) {
      throw new Error(
        `Organization ${orgId} already has the maximum of ${ACTIVE_KEY_LIMIT} active keys: revoke one before seeding.`,
      );
    }
    const { key, secret } = this.store.issueKey(orgId, {
      name,
      admin,
      expiresAt: expiresAt?.getTime() ?? null,
      propagation: null,
      ...(createdAt === undefined ? {} : { createdAt: createdAt.getTime() }),
    });
    return { id: key.id, key: secret, prefix: key.prefix };
  }

  keys(orgId: string, { includeRevoked = false } = {}): SimulatedKey[] {
    this.#organization(orgId);
    return this.store
      .keysOf(orgId, includeRevoked)
      .map((key) => ({ ...this.store.toJson(key), admin: key.admin }));
  }

  revocations(keyId: string): number {
    return this.#key(keyId).revocations;
  }

  deleteCalls(keyId: string): number {
    return this.records.deleteCalls.get(keyId) ?? 0;
  }

  resetRequests(): void {
    this.records.requests.length = 0;
  }

  inject(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  intercept(interceptor: CallInterceptor | undefined): void {
    this.pipeline.interceptor = interceptor;
  }

  setKeyAdmin(keyId: string, admin: boolean): void {
    this.#key(keyId).admin = admin;
  }

  setRevokeAlreadyRevokedStatus(status: AlreadyRevokedStatus): void {
    assertValid('Invalid setting', checkAlreadyRevokedStatus(status));
    this.settings.revokeAlreadyRevokedStatus = status;
  }

  setCreateLimitStatus(status: number): void {
    assertValid('Invalid setting', checkStatus('createLimitStatus', status));
    this.settings.createLimitStatus = status;
  }

  setPropagationDelay(delay: PropagationDelay | null): void {
    assertValid('Invalid setting', checkPropagation(delay));
    this.settings.propagationDelay = delay;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Hung requests and idle keep-alive connections would otherwise hold the server open.
      this.server.closeAllConnections();
    }).then(() => {
      const errors = this.records.internalErrors;
      if (errors.length > 0) {
        throw new AggregateError(errors, `The Factify simulator hit ${errors.length} internal error(s)`);
      }
    });
    return this.#closed;
  }

  #organization(orgId: string): void {
    if (this.store.organization(orgId) === undefined) throw new Error(`Unknown organization ${orgId}`);
  }

  #key(keyId: string): StoredKey {
    const key = this.store.key(keyId);
    if (key === undefined) throw new Error(`Unknown API key ${keyId}`);
    return key;
  }
}
