import { type Interceptable, MockAgent, type MockCallHistoryLog } from 'undici';
import { vi } from 'vitest';
import { FactifyHttp, type Operation } from '../../../lambda/adapters/factify/http.js';
import type { Credential } from '../../../lambda/ports.js';
import { Logger } from '../../../lambda/telemetry/log.js';
import { Sensitive } from '../../../lambda/telemetry/redaction.js';

export const ORIGIN = 'https://api.factify.test';
export const BASE_URL = `${ORIGIN}/v1`;

// Realistic secrets: ffy_<env>_ + 26 chars of TypeID base32 (the UUIDv7) + 43 chars of base62 (the random part).
export const CURRENT_KEY = 'ffy_test_z1yabpctv4mx5v0a3nmer6n54fH4B6oV09wxJ3qHslCSf0Bdp5CTCiuiDMHdruZhZT4yK';
export const NEW_KEY = 'ffy_test_rzx237b68vhczbfwe91r5z6d6xCI5uVj02pQPPGXOek82EeP19Y8SXP1QphznQpGZ5jFL';

export const KEY_ID = 'key_01jd4h5x7k9m2n3p4q5r6s7t8v';
export const ORG_ID = 'org_01jd4h5x7k9m2n3p4q5r6s7t8w';

/** The operations the client sends, as FactifyHttp takes them. */
export const LIST: Operation = {
  method: 'GET',
  path: '/api-keys',
  description: 'list API keys (GET /v1/api-keys)',
  needsAdmin: true,
  idempotent: true,
};
export const ORGANIZATION: Operation = {
  method: 'GET',
  path: '/organization',
  description: 'read its organization (GET /v1/organization)',
  needsAdmin: false,
  idempotent: true,
};
export const CREATE: Operation = {
  method: 'POST',
  path: '/api-keys',
  description: 'create an API key (POST /v1/api-keys)',
  needsAdmin: true,
  idempotent: false,
};
export const REVOKE: Operation = {
  method: 'DELETE',
  path: `/api-keys/${KEY_ID}`,
  description: `revoke API key ${KEY_ID} (DELETE /v1/api-keys/${KEY_ID})`,
  needsAdmin: true,
  idempotent: true,
};

export const CREDENTIAL: Credential = {
  key: new Sensitive(CURRENT_KEY),
  label: `the current key (${KEY_ID}) of secret prod/factify`,
};

/** A network failure as Node and undici raise it: an Error with a `code`. */
export function networkError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

/** What AbortSignal.timeout raises when the request timeout fires. */
export function timeoutError(): Error {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

export interface Harness {
  readonly http: FactifyHttp;
  /** Script Factify's answers here, in order; unmatched requests fail (net connect is disabled). */
  readonly factify: Interceptable;
  /** Every wait the code asked for, in order, instead of sleeping. */
  readonly sleeps: number[];
  /** Milliseconds left in the simulated invocation; every sleep consumes its duration. */
  timeLeftMs: number;
  /** The value returned by the injected `random`. */
  random: number;
  /** Every request that reached the (mock) network, in order. */
  requests(): MockCallHistoryLog[];
  /** Every line the code under test wrote to stdout. */
  output(): string[];
  close(): Promise<void>;
}

/**
 * A FactifyHttp wired to an undici MockAgent, a recording sleep, a fixed random and a simulated clock for the
 * invocation's remaining time. Call `close()` (and vi.restoreAllMocks) after each test.
 */
export function createHarness(): Harness {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const harness: Harness = {
    http: new FactifyHttp({
      baseUrl: BASE_URL,
      remainingMs: () => harness.timeLeftMs,
      log: new Logger({ requestId: 'test' }, 'DEBUG'),
      dispatcher: agent,
      sleep: async (ms) => {
        harness.sleeps.push(ms);
        harness.timeLeftMs -= ms;
      },
      random: () => harness.random,
    }),
    factify: agent.get(ORIGIN),
    sleeps: [],
    timeLeftMs: 60_000,
    random: 0.5,
    requests: () => agent.getCallHistory()?.calls() ?? [],
    output: () =>
      stdout.mock.calls
        .map(([chunk]) => String(chunk))
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
    close: () => agent.close(),
  };
  return harness;
}

/** A key as Factify's list and create responses show it (snake_case, flat). */
export function keyJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: KEY_ID,
    org_id: ORG_ID,
    name: 'rotation-2026-11-26T10:00:00Z',
    prefix: 'ffy_test_z1yabpc...',
    created_at: '2026-11-26T10:00:00Z',
    updated_at: '2026-11-26T10:00:00Z',
    is_active: true,
    expires_at: null,
    revoked_at: null,
    revoked_by: null,
    revoked_comment: null,
    ...overrides,
  };
}

export const JSON_HEADERS = { 'content-type': 'application/json' };
export const PROBLEM_HEADERS = { 'content-type': 'application/problem+json' };

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to fail, but it succeeded');
}
