import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Operation } from '../../../lambda/adapters/factify/http.js';
import {
  FactifyAuthenticationError,
  FactifyOutcomeUnknownError,
  FactifyPermissionError,
  FactifyRateLimitError,
  FactifyRequestError,
  FactifyUnavailableError,
} from '../../../lambda/telemetry/errors.js';
import { expectNoSecrets } from '../../support/no-secrets.js';
import {
  CREATE,
  CREDENTIAL,
  CURRENT_KEY,
  createHarness,
  type Harness,
  JSON_HEADERS,
  keyJson,
  LIST,
  NEW_KEY,
  networkError,
  ORGANIZATION,
  PROBLEM_HEADERS,
  REVOKE,
  rejection,
  timeoutError,
} from './harness.js';

const LIST_BODY = JSON.stringify({ api_keys: [] });
const CREATED_BODY = JSON.stringify(keyJson({ key: NEW_KEY }));
// The backoff after the n-th transient failure is random() * min(5 s, 200 ms * 2^n); the harness's random() is 0.5.
const BACKOFF_AFTER = { first: 200, second: 400, third: 800 };
// After a 429, the wait is the requested time plus random() times a tenth of it, at least 100 ms and at most
// 1 s (lambda/adapters/factify/rate-limit.ts). With random() = 0.5, that adds half of the spread:
const HALF_SPREAD = { upTo1s: 50, of2s: 100, of3s: 150, of7s: 350, of9s: 450, from10s: 500 };

/** Sends `op` the way FactifyClient does: POST with {"name"}, DELETE with {"reason"}, GET without a body. */
function send(h: Harness, op: Operation) {
  const body =
    op.method === 'POST'
      ? { name: 'rotation-1' }
      : op.method === 'DELETE'
        ? { reason: 'rotated' }
        : undefined;
  return h.http.send(op, CREDENTIAL, body);
}

function path(op: Operation): string {
  return `/v1${op.path}`;
}

describe('FactifyHttp', () => {
  let h: Harness;

  beforeEach(() => {
    h = createHarness();
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await h.close();
  });

  describe('requests', () => {
    it('sends the method, URL, query, bearer key and JSON body, and returns the answer', async () => {
      // Prepare
      h.factify
        .intercept({ path: '/v1/api-keys?include_revoked=true', method: 'POST' })
        .reply(201, CREATED_BODY, { headers: { ...JSON_HEADERS, 'x-ratelimit-remaining': '99' } });

      // Act
      const response = await h.http.send(CREATE, CREDENTIAL, { name: 'rotation-1' }, '?include_revoked=true');

      // Assess
      expect(response.status).toBe(201);
      expect(response.body).toBe(CREATED_BODY);
      expect(response.headers['x-ratelimit-remaining']).toBe('99');
      const [request] = h.requests();
      expect(h.requests()).toHaveLength(1);
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe('/v1/api-keys');
      expect(request?.searchParams).toEqual({ include_revoked: 'true' });
      expect(request?.headers).toMatchObject({
        authorization: `Bearer ${CURRENT_KEY}`,
        'content-type': 'application/json',
      });
      expect(JSON.parse(String(request?.body))).toEqual({ name: 'rotation-1' });
    });

    it('sends a GET without a body or content type', async () => {
      // Prepare
      h.factify.intercept({ path: '/v1/organization', method: 'GET' }).reply(200, '{}');

      // Act
      await h.http.send(ORGANIZATION, CREDENTIAL);

      // Assess
      const [request] = h.requests();
      expect(request?.body ?? undefined).toBeUndefined();
      expect(Object.keys(request?.headers ?? {}).map((name) => name.toLowerCase())).not.toContain(
        'content-type',
      );
    });

    it.each([LIST, ORGANIZATION, CREATE, REVOKE])(
      'never sends X-Factify-Organization-Id ($method $path)',
      async (op) => {
        // Prepare
        h.factify.intercept({ path: path(op), method: op.method }).reply(200, '{}');

        // Act
        await send(h, op);

        // Assess
        const names = Object.keys(h.requests()[0]?.headers ?? {}).map((name) => name.toLowerCase());
        expect(names).toContain('authorization');
        expect(names).not.toContain('x-factify-organization-id');
      },
    );

    it.each([200, 201, 204])('accepts HTTP %i as success', async (status) => {
      // Prepare
      h.factify.intercept({ path: path(REVOKE), method: 'DELETE' }).reply(status, '');

      // Act
      const response = await send(h, REVOKE);

      // Assess
      expect(response.status).toBe(status);
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    });
  });

  describe('server errors (5xx)', () => {
    it('retries a GET after a 503 and returns the next answer', async () => {
      // Prepare
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(503, 'Service Unavailable');
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      const response = await send(h, LIST);

      // Assess
      expect(response.body).toBe(LIST_BODY);
      expect(h.requests()).toHaveLength(2);
      expect(h.sleeps).toEqual([BACKOFF_AFTER.first]);
    });

    it.each([LIST, REVOKE])(
      'gives up on $method after 4 attempts with FactifyUnavailableError',
      async (op) => {
        // Prepare
        h.factify
          .intercept({ path: path(op), method: op.method })
          .reply(500, JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }), {
            headers: PROBLEM_HEADERS,
          })
          .times(5);

        // Act
        const error = await rejection(send(h, op));

        // Assess
        expect(error).toBeInstanceOf(FactifyUnavailableError);
        expect(error).toMatchObject({ code: 'FACTIFY_UNAVAILABLE', status: 500 });
        expect((error as Error).message).toContain('HTTP 500 to 4 attempts');
        expect((error as Error).message).toContain('(no documented error code)');
        expect(h.requests()).toHaveLength(4);
        expect(h.sleeps).toEqual([BACKOFF_AFTER.first, BACKOFF_AFTER.second, BACKOFF_AFTER.third]);
      },
    );

    it('does not resend a POST after a 5xx: the key may have been created', async () => {
      // Prepare
      h.factify
        .intercept({ path: path(CREATE), method: 'POST' })
        .reply(502, 'Bad Gateway')
        .times(2);

      // Act
      const error = await rejection(send(h, CREATE));

      // Assess
      expect(error).toBeInstanceOf(FactifyOutcomeUnknownError);
      expect(error).toMatchObject({ code: 'FACTIFY_OUTCOME_UNKNOWN', status: 502 });
      expect((error as Error).message).toContain('may have been applied');
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    });

    it('never backs off for longer than the invocation has left', async () => {
      // Prepare
      h.timeLeftMs = 3_100;
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(503, '');
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess: 3.1 s left minus 3 s kept back for reporting leaves 100 ms, less than the 200 ms backoff.
      expect(h.sleeps).toEqual([100]);
    });

    it('logs each retry with the operation and reason', async () => {
      // Prepare
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(504, '');
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      const lines = h.output().map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'WARN',
          message: 'Transient Factify failure; retrying',
          operation: 'GET /api-keys',
          reason: 'HTTP 504',
          delayMs: BACKOFF_AFTER.first,
        }),
      ]);
    });
  });

  describe('network errors', () => {
    it('retries a GET after a connection reset', async () => {
      // Prepare
      h.factify.intercept({ path: path(LIST), method: 'GET' }).replyWithError(networkError('ECONNRESET'));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      const response = await send(h, LIST);

      // Assess
      expect(response.status).toBe(200);
      expect(h.requests()).toHaveLength(2);
      expect(h.sleeps).toEqual([BACKOFF_AFTER.first]);
    });

    it('gives up after 4 failed attempts, pointing at the URL and network access', async () => {
      // Prepare
      const refused = networkError('ECONNREFUSED');
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .replyWithError(refused)
        .times(5);

      // Act
      const error = await rejection(send(h, LIST));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnavailableError);
      expect((error as Error).message).toContain('after 4 attempts (ECONNREFUSED)');
      expect((error as Error).message).toContain('FACTIFY_API_URL');
      expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      expect(h.requests()).toHaveLength(4);
      expect(h.sleeps).toHaveLength(3);
    });

    it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH'])(
      'resends a POST that never left (%s)',
      async (code) => {
        // Prepare
        h.factify.intercept({ path: path(CREATE), method: 'POST' }).replyWithError(networkError(code));
        h.factify.intercept({ path: path(CREATE), method: 'POST' }).reply(201, CREATED_BODY);

        // Act
        const response = await send(h, CREATE);

        // Assess
        expect(response.status).toBe(201);
        expect(h.requests().map((request) => request.method)).toEqual(['POST', 'POST']);
        expect(h.sleeps).toEqual([BACKOFF_AFTER.first]);
      },
    );

    it('reports a POST that never left as unavailable, not as outcome unknown', async () => {
      // Prepare
      h.factify
        .intercept({ path: path(CREATE), method: 'POST' })
        .replyWithError(networkError('ECONNREFUSED'))
        .times(4);

      // Act
      const error = await rejection(send(h, CREATE));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnavailableError);
      expect(h.requests()).toHaveLength(4);
    });

    it.each([
      ['ECONNRESET', networkError('ECONNRESET')],
      ['UND_ERR_SOCKET', networkError('UND_ERR_SOCKET')],
      ['UND_ERR_HEADERS_TIMEOUT', networkError('UND_ERR_HEADERS_TIMEOUT')],
      ['UND_ERR_BODY_TIMEOUT', networkError('UND_ERR_BODY_TIMEOUT')],
      ['TimeoutError', timeoutError()],
    ])('does not resend a POST that failed after sending (%s)', async (reason, failure) => {
      // Prepare
      h.factify.intercept({ path: path(CREATE), method: 'POST' }).replyWithError(failure);
      h.factify.intercept({ path: path(CREATE), method: 'POST' }).reply(201, CREATED_BODY);

      // Act
      const error = await rejection(send(h, CREATE));

      // Assess
      expect(error).toBeInstanceOf(FactifyOutcomeUnknownError);
      expect(error).toMatchObject({ code: 'FACTIFY_OUTCOME_UNKNOWN' });
      expect((error as Error).message).toContain(`(${reason})`);
      expect((error as Error).cause).toBe(failure);
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    });

    it("cuts the request timeout to the invocation's remaining time", async () => {
      // Prepare: 1.6 s left minus the 1.5 s safety margin leaves 100 ms for a reply that takes 5 s.
      h.timeLeftMs = 1_600;
      h.factify
        .intercept({ path: path(CREATE), method: 'POST' })
        .reply(201, CREATED_BODY)
        .delay(5_000);

      // Act
      const error = await rejection(send(h, CREATE));

      // Assess
      expect(error).toBeInstanceOf(FactifyOutcomeUnknownError);
      expect((error as Error).message).toContain('(TimeoutError)');
      expect(h.requests()).toHaveLength(1);
    });
  });

  describe('rate limiting (429)', () => {
    it("waits for the body's retry_after plus jitter, then resends", async () => {
      // Prepare
      const limited = { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', retry_after: 7 } };
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(429, JSON.stringify(limited));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      const response = await send(h, LIST);

      // Assess
      expect(response.status).toBe(200);
      expect(h.requests()).toHaveLength(2);
      expect(h.sleeps).toEqual([7_000 + HALF_SPREAD.of7s]);
    });

    it('waits for a Retry-After in seconds', async () => {
      // Prepare
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '', { headers: { 'Retry-After': '3' } });
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([3_000 + HALF_SPREAD.of3s]);
    });

    it('waits until a Retry-After HTTP date', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-26T10:00:00Z') });
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '', { headers: { 'Retry-After': 'Thu, 26 Nov 2026 10:00:09 GMT' } });
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([9_000 + HALF_SPREAD.of9s]);
    });

    it('waits until X-RateLimit-Reset (Unix seconds)', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-26T10:00:00Z') });
      const now = Date.parse('2026-11-26T10:00:00Z') / 1000;
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '', { headers: { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Reset': String(now + 12) } });
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([12_000 + HALF_SPREAD.from10s]);
    });

    // Spread after a 429: a tenth of the wait, from 100 ms to 1 s. A fixed 1 s spread (the earlier rule) let
    // rotations waiting on a short window straggle over the whole next one; see lambda/adapters/factify/rate-limit.ts.
    it.each([
      { retryAfter: 4, random: 0, from: 4_000, below: 4_000 + 1 },
      { retryAfter: 4, random: 0.999, from: 4_399, below: 4_400 },
      { retryAfter: 0.5, random: 0.999, from: 599, below: 600 },
      { retryAfter: 30, random: 0.999, from: 30_999, below: 31_000 },
    ])(
      'spreads the return over a tenth of the wait, from 100 ms to 1 s (retry_after $retryAfter s, random() = $random)',
      async ({ retryAfter, random, from, below }) => {
        // Prepare
        h.random = random;
        h.factify
          .intercept({ path: path(LIST), method: 'GET' })
          .reply(429, JSON.stringify({ retry_after: retryAfter }));
        h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

        // Act
        await send(h, LIST);

        // Assess
        expect(h.sleeps).toHaveLength(1);
        expect(h.sleeps[0]).toBeGreaterThanOrEqual(from);
        expect(h.sleeps[0]).toBeLessThan(below);
      },
    );

    it('waits only until X-RateLimit-Reset when it falls within the second before retry_after', async () => {
      // Prepare: both hints are whole seconds rounded up. At 10:00:00.600, retry_after 1 says "by 10:00:01.600"
      // and X-RateLimit-Reset says "by 10:00:01": the window resets within 400 ms.
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-26T10:00:00.600Z') });
      const reset = String(Date.parse('2026-11-26T10:00:01Z') / 1000);
      h.factify
        .intercept({ path: path(CREATE), method: 'POST' })
        .reply(429, JSON.stringify({ retry_after: 1 }), { headers: { 'X-RateLimit-Reset': reset } });
      h.factify.intercept({ path: path(CREATE), method: 'POST' }).reply(201, CREATED_BODY);

      // Act
      await send(h, CREATE);

      // Assess
      expect(h.sleeps).toEqual([400 + HALF_SPREAD.upTo1s]);
    });

    it.each([
      { case: 'in the past (a clock behind Factify)', offsetSeconds: -5 },
      { case: 'more than a second before it', offsetSeconds: 1 },
      { case: 'after it', offsetSeconds: 3 },
    ])('keeps to retry_after when X-RateLimit-Reset is $case', async ({ offsetSeconds }) => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-26T10:00:00Z') });
      const reset = String(Date.parse('2026-11-26T10:00:00Z') / 1000 + offsetSeconds);
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, JSON.stringify({ retry_after: 2 }), { headers: { 'X-RateLimit-Reset': reset } });
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([2_000 + HALF_SPREAD.of2s]);
    });

    it('prefers retry_after in the body, then Retry-After, then X-RateLimit-Reset', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-26T10:00:00Z') });
      const reset = String(Date.parse('2026-11-26T10:00:00Z') / 1000 + 30);
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, JSON.stringify({ retry_after: 2 }), {
          headers: { 'Retry-After': '20', 'X-RateLimit-Reset': reset },
        });
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '', { headers: { 'Retry-After': '20', 'X-RateLimit-Reset': reset } });
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([2_000 + HALF_SPREAD.of2s, 20_000 + HALF_SPREAD.from10s]);
    });

    it('backs off exponentially when Factify gives no hint', async () => {
      // Prepare
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '')
        .times(2);
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.sleeps).toEqual([
        BACKOFF_AFTER.first + HALF_SPREAD.upTo1s,
        BACKOFF_AFTER.second + HALF_SPREAD.upTo1s,
      ]);
    });

    it('resends a POST after a 429: Factify did not apply it', async () => {
      // Prepare
      h.factify
        .intercept({ path: path(CREATE), method: 'POST' })
        .reply(429, JSON.stringify({ retry_after: 1 }));
      h.factify.intercept({ path: path(CREATE), method: 'POST' }).reply(201, CREATED_BODY);

      // Act
      const response = await send(h, CREATE);

      // Assess
      expect(response.status).toBe(201);
      expect(h.requests().map((request) => request.method)).toEqual(['POST', 'POST']);
      expect(h.sleeps).toEqual([1_000 + HALF_SPREAD.upTo1s]);
    });

    it('gives up with FactifyRateLimitError when the wait exceeds the time left', async () => {
      // Prepare
      h.timeLeftMs = 20_000;
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, JSON.stringify({ error: { code: 'rate_limit_exceeded', retry_after: 60 } }));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      const error = await rejection(send(h, LIST));

      // Assess
      expect(error).toBeInstanceOf(FactifyRateLimitError);
      expect(error).toMatchObject({ code: 'FACTIFY_RATE_LIMITED', status: 429, retryAfterMs: 60_000 });
      expect((error as Error).message).toContain('wait 60 s');
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    });

    it('keeps time back to report the failure: a wait that only just fits is not taken', async () => {
      // Prepare: 10.5 s of wait with jitter, 12 s left, of which 3 s is kept back.
      h.timeLeftMs = 12_000;
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, '', { headers: { 'Retry-After': '10' } });

      // Act
      const error = await rejection(send(h, LIST));

      // Assess
      expect(error).toBeInstanceOf(FactifyRateLimitError);
      expect(h.sleeps).toEqual([]);
    });

    it('gives up after 30 waits even when each one fits', async () => {
      // Prepare
      h.timeLeftMs = 900_000;
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(429, JSON.stringify({ retry_after: 0 }))
        .persist();

      // Act
      const error = await rejection(send(h, LIST));

      // Assess
      expect(error).toBeInstanceOf(FactifyRateLimitError);
      expect(h.requests()).toHaveLength(31);
      expect(h.sleeps).toHaveLength(30);
    });

    it('logs the wait', async () => {
      // Prepare
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(429, JSON.stringify({ retry_after: 2 }));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      const lines = h.output().map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'INFO',
          message: 'Factify rate limit reached; waiting',
          operation: '/api-keys',
          waitMs: 2_000 + HALF_SPREAD.of2s,
        }),
      ]);
    });
  });

  describe('client errors (4xx)', () => {
    it.each([LIST, ORGANIZATION, CREATE, REVOKE])(
      '401 on $method $path is FactifyAuthenticationError naming the credential, not retried',
      async (op) => {
        // Prepare
        const body = {
          error: { type: 'authentication_error', code: 'expired_api_key', message: 'API key expired' },
        };
        h.factify
          .intercept({ path: path(op), method: op.method })
          .reply(401, JSON.stringify(body))
          .times(2);

        // Act
        const error = await rejection(send(h, op));

        // Assess
        expect(error).toBeInstanceOf(FactifyAuthenticationError);
        expect(error).toMatchObject({ code: 'FACTIFY_UNAUTHENTICATED', status: 401 });
        expect((error as Error).message).toContain(CREDENTIAL.label);
        expect((error as Error).message).toContain('(HTTP 401: expired_api_key)');
        expect(h.requests()).toHaveLength(1);
      },
    );

    it.each([LIST, CREATE, REVOKE])(
      '403 on admin endpoint $method $path says the key lacks the organization admin role',
      async (op) => {
        // Prepare
        const body = {
          code: 'permission_denied',
          message: 'Forbidden',
          details: [{ reason: 'insufficient_permissions' }],
        };
        h.factify
          .intercept({ path: path(op), method: op.method })
          .reply(403, JSON.stringify(body))
          .times(2);

        // Act
        const error = await rejection(send(h, op));

        // Assess
        expect(error).toBeInstanceOf(FactifyPermissionError);
        expect(error).toMatchObject({ code: 'FACTIFY_FORBIDDEN', status: 403 });
        const { message } = error as Error;
        expect(message).toMatch(/^The current key \(key_\w+\) of secret prod\/factify lacks/);
        expect(message).toContain('lacks the organization admin role');
        expect(message).toContain('FACTIFY_ADMIN_SECRET_ID');
        expect(message).toContain('insufficient_permissions');
        expect(h.requests()).toHaveLength(1);
      },
    );

    it('403 on a non-admin endpoint does not blame the admin role', async () => {
      // Prepare
      h.factify.intercept({ path: path(ORGANIZATION), method: 'GET' }).reply(403, '');

      // Act
      const error = await rejection(send(h, ORGANIZATION));

      // Assess
      expect(error).toBeInstanceOf(FactifyPermissionError);
      expect((error as Error).message).toContain('refused');
      expect((error as Error).message).not.toContain('FACTIFY_ADMIN_SECRET_ID');
    });

    it.each([
      {
        format: 'RFC 9457 problem details',
        status: 400,
        body: {
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: 'Request body is malformed.',
        },
        factifyCode: undefined,
        shown: '(HTTP 400: no documented error code)',
      },
      {
        format: 'the guides\' {"error"}',
        status: 422,
        body: {
          error: {
            type: 'invalid_request_error',
            code: 'invalid_field_value',
            message: 'too long',
            param: 'name',
          },
        },
        factifyCode: 'invalid_field_value',
        shown: '(HTTP 422: invalid_field_value, field "name")',
      },
      {
        format: 'ConnectRPC',
        status: 404,
        body: {
          code: 'not_found',
          message: 'API key not found',
          details: [{ reason: 'resource_not_found' }],
        },
        factifyCode: 'resource_not_found',
        shown: '(HTTP 404: resource_not_found)',
      },
      {
        format: 'plain text',
        status: 409,
        body: 'conflict',
        factifyCode: undefined,
        // A body in no documented format is never printed: it could echo the request's bearer key.
        shown: 'HTTP 409: a response body in no documented error format (8 bytes)',
      },
    ])('$status in $format is FactifyRequestError with its code, not retried', async (example) => {
      // Prepare
      const text = typeof example.body === 'string' ? example.body : JSON.stringify(example.body);
      h.factify
        .intercept({ path: path(REVOKE), method: 'DELETE' })
        .reply(example.status, text)
        .times(2);

      // Act
      const error = await rejection(send(h, REVOKE));

      // Assess
      expect(error).toBeInstanceOf(FactifyRequestError);
      expect(error).toMatchObject({
        code: 'FACTIFY_REQUEST_REJECTED',
        status: example.status,
        factifyCode: example.factifyCode,
      });
      expect((error as Error).message).toContain(example.shown);
      expect((error as Error).message).toContain(REVOKE.description);
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    });
  });

  describe('time budget', () => {
    it.each([0, 1_000, 1_500])('fails before sending when %i ms are left', async (timeLeft) => {
      // Prepare
      h.timeLeftMs = timeLeft;
      h.factify.intercept({ path: path(CREATE), method: 'POST' }).reply(201, CREATED_BODY);

      // Act
      const error = await rejection(send(h, CREATE));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnavailableError);
      expect((error as Error).message).toContain(`No time left in this invocation to ${CREATE.description}`);
      expect(h.requests()).toEqual([]);
    });

    it('stops retrying once the time is used up', async () => {
      // Prepare: the failed attempt takes 2 s of the 3 s left, leaving less than the 1.5 s safety margin.
      h.timeLeftMs = 3_000;
      h.factify
        .intercept({ path: path(LIST), method: 'GET' })
        .reply(() => {
          h.timeLeftMs -= 2_000;
          return { statusCode: 503, data: '' };
        })
        .persist();

      // Act
      const error = await rejection(send(h, LIST));

      // Assess
      expect(error).toBeInstanceOf(FactifyUnavailableError);
      expect((error as Error).message).toContain('No time left');
      expect(h.requests()).toHaveLength(1);
      expect(h.sleeps).toEqual([0]);
    });
  });

  describe('secrets', () => {
    const echo = JSON.stringify({
      error: { code: 'invalid_api_key', message: `Invalid API key ${CURRENT_KEY}` },
    });

    it.each([
      { case: '401 echoing the key', op: LIST, reply: { status: 401, body: echo } },
      {
        case: '400 echoing the key',
        op: REVOKE,
        reply: { status: 400, body: `bad header: Bearer ${CURRENT_KEY}` },
      },
      { case: '403 echoing the key', op: CREATE, reply: { status: 403, body: echo } },
      { case: '500s echoing the key', op: LIST, reply: { status: 500, body: echo } },
      { case: 'POST 500 echoing the key', op: CREATE, reply: { status: 500, body: echo } },
      {
        case: '429 that cannot be waited out',
        op: LIST,
        reply: { status: 429, body: JSON.stringify({ retry_after: 999 }) },
      },
      { case: 'network failures', op: LIST, reply: networkError('ECONNRESET') },
      { case: 'POST timeout', op: CREATE, reply: timeoutError() },
    ])('no error message or log line contains the key: $case', async ({ op, reply }) => {
      // Prepare
      const scope = h.factify.intercept({ path: path(op), method: op.method });
      if (reply instanceof Error) scope.replyWithError(reply).persist();
      else scope.reply(reply.status, reply.body).persist();

      // Act
      const error = await rejection(send(h, op));

      // Assess
      const printed = [
        (error as Error).message,
        String((error as Error).stack),
        String(((error as Error).cause as Error | undefined)?.message),
        JSON.stringify(error),
        ...h.output(),
      ];
      for (const text of printed) {
        expectNoSecrets(text, [CURRENT_KEY]);
        expect(text).not.toContain(CURRENT_KEY.slice(-43));
      }
    });

    it('log lines never carry the Authorization header', async () => {
      // Prepare
      h.factify.intercept({ path: path(LIST), method: 'GET' }).replyWithError(networkError('ECONNRESET'));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(429, JSON.stringify({ retry_after: 1 }));
      h.factify.intercept({ path: path(LIST), method: 'GET' }).reply(200, LIST_BODY);

      // Act
      await send(h, LIST);

      // Assess
      expect(h.output()).toHaveLength(2);
      for (const line of h.output()) {
        expectNoSecrets(line, [CURRENT_KEY]);
        expect(line.toLowerCase()).not.toContain('bearer');
      }
    });
  });
});
