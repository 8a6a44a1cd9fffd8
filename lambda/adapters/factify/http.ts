// undici's root module loads all of undici (fetch, WebSocket, caches, mocks, proxies: ~540 KB, ~35 ms at every
// cold start). The client needs only the connection pool and `request`: it imports those two modules alone
// (typed in ./undici-modules.d.ts).
import type { Dispatcher } from 'undici';
import request from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import type { Credential } from '../../ports.js';
import {
  FactifyAuthenticationError,
  FactifyOutcomeUnknownError,
  FactifyPermissionError,
  FactifyRateLimitError,
  FactifyRequestError,
  FactifyResponseTooLargeError,
  FactifyUnavailableError,
} from '../../telemetry/errors.js';
import type { Logger } from '../../telemetry/log.js';
import { parseProblem } from './problem.js';
import { rateLimitDelayMs, rateLimitSpreadMs } from './rate-limit.js';

/** What a request does, in words an operator reads in an error. */
export interface Operation {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly description: string;
  /** Whether Factify requires the organization admin role for it. */
  readonly needsAdmin: boolean;
  /** Whether sending it twice is harmless. A POST is not: its failures after sending are "outcome unknown". */
  readonly idempotent: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface FactifyHttpOptions {
  /** Base URL ending in /v1, without a trailing slash (validated by loadConfig). */
  readonly baseUrl: string;
  /** Milliseconds left in the invocation: no request or wait may outlive it. */
  readonly remainingMs: () => number;
  readonly log: Logger;
  readonly dispatcher?: Dispatcher;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** For the metrics: told of every 429 answer, and of every retry (after a 429, a 5xx or a network error). */
  readonly onRateLimited?: () => void;
  readonly onRetry?: () => void;
}

// Timeouts sized to fit several attempts inside a rotation step, and always cut to the time left.
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Time kept back for the step to report a failure cleanly before Lambda kills it. */
const SAFETY_MARGIN_MS = 1_500;
const MAX_TRANSIENT_ATTEMPTS = 4;
const MAX_RATE_LIMITED_ATTEMPTS = 30;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/**
 * The largest answer read. A listing of a few thousand keys is well under it; the function has 256 MB, and
 * an 80 MB answer read whole took the process to 600 MB.
 */
const MAX_RESPONSE_BYTES = 1024 * 1024;

let sharedAgent: Agent | undefined;

/** One keep-alive connection pool per Lambda container, reused across invocations. */
function defaultAgent(): Agent {
  sharedAgent ??= new Agent({
    keepAliveTimeout: 30_000,
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return sharedAgent;
}

// Errors raised before the request reached Factify: retrying them cannot duplicate anything.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
]);

/**
 * Sends Factify requests with the retry policy: transient failures (network, 5xx) are retried with
 * jittered exponential backoff, 429s wait for the time Factify asks (retry_after, Retry-After,
 * X-RateLimit-Reset) and come back spread over the start of the next window, and nothing is retried once
 * the outcome of a non-idempotent request is unknown.
 */
export class FactifyHttp {
  readonly #options: FactifyHttpOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: FactifyHttpOptions) {
    this.#options = options;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  async send(op: Operation, auth: Credential, body?: unknown, query = ''): Promise<HttpResponse> {
    let transientFailures = 0;
    let rateLimited = 0;
    for (;;) {
      const budget = this.#options.remainingMs() - SAFETY_MARGIN_MS;
      if (budget <= 0) {
        throw new FactifyUnavailableError(
          `No time left in this invocation to ${op.description}; the step will be retried.`,
        );
      }
      let response: HttpResponse;
      try {
        response = await this.#once(op, auth, body, query, Math.min(REQUEST_TIMEOUT_MS, budget));
      } catch (error) {
        // A too-large answer is not transient: the same request gets the same answer.
        if (error instanceof FactifyResponseTooLargeError) throw error;
        const sent = !NOT_SENT_CODES.has(errorCode(error));
        const reason = `${errorCode(error) || 'network error'}`;
        if (sent && !op.idempotent) {
          throw new FactifyOutcomeUnknownError(
            `Factify did not answer the request to ${op.description} (${reason}); it may have been applied.`,
            undefined,
            { cause: error },
          );
        }
        if (++transientFailures >= MAX_TRANSIENT_ATTEMPTS) {
          throw new FactifyUnavailableError(
            `Could not reach Factify to ${op.description} after ${transientFailures} attempts (${reason}). ` +
              "Check FACTIFY_API_URL and the function's outbound network access; Secrets Manager retries the rotation.",
            undefined,
            { cause: error },
          );
        }
        await this.#backoff(op, transientFailures, reason);
        continue;
      }

      const { status } = response;
      if (status >= 200 && status < 300) return response;
      const problem = parseProblem(response.body);
      if (status === 429) {
        rateLimited++;
        this.#options.onRateLimited?.();
        // Wait for the window to reset, then spread over the start of the next one (see ./rate-limit.ts).
        const waitMs =
          rateLimitDelayMs(problem.retryAfterSeconds, response) ?? this.#exponential(rateLimited);
        const jittered = waitMs + this.#random() * rateLimitSpreadMs(waitMs);
        if (
          rateLimited > MAX_RATE_LIMITED_ATTEMPTS ||
          jittered > this.#options.remainingMs() - SAFETY_MARGIN_MS * 2
        ) {
          const why =
            rateLimited > MAX_RATE_LIMITED_ATTEMPTS
              ? `${MAX_RATE_LIMITED_ATTEMPTS} times in a row`
              : `and asks to wait ${Math.ceil(waitMs / 1000)} s, more than this invocation has left`;
          throw new FactifyRateLimitError(
            `Factify rate-limited the request to ${op.description} ${why}. Secrets Manager retries the rotation; ` +
              'if many secrets rotate at once, spread their schedules.',
            waitMs,
          );
        }
        this.#options.onRetry?.();
        this.#options.log.info('Factify rate limit reached; waiting', {
          operation: op.path,
          waitMs: Math.round(jittered),
        });
        await this.#sleep(jittered);
        continue;
      }
      if (status >= 500) {
        if (!op.idempotent) {
          throw new FactifyOutcomeUnknownError(
            `Factify answered HTTP ${status} to the request to ${op.description} (${problem.detail}); it may have been applied.`,
            status,
          );
        }
        if (++transientFailures >= MAX_TRANSIENT_ATTEMPTS) {
          throw new FactifyUnavailableError(
            `Factify answered HTTP ${status} to ${transientFailures} attempts to ${op.description} (${problem.detail}). ` +
              "Secrets Manager retries the rotation; check Factify's status if this persists.",
            status,
          );
        }
        await this.#backoff(op, transientFailures, `HTTP ${status}`);
        continue;
      }
      throw clientError(op, auth, status, problem);
    }
  }

  async #once(
    op: Operation,
    auth: Credential,
    body: unknown,
    query: string,
    timeoutMs: number,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${auth.key.reveal()}`,
      accept: 'application/json, application/problem+json',
      'user-agent': 'factify-key-rotation',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = new URL(`${this.#options.baseUrl}${op.path}${query}`);
    const response = await request.call(this.#options.dispatcher ?? defaultAgent(), {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: op.method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: await readCapped(op, response.statusCode, response.headers, response.body),
    };
  }

  #exponential(attempt: number): number {
    return this.#random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  }

  async #backoff(op: Operation, attempt: number, reason: string): Promise<void> {
    const delay = Math.min(
      this.#exponential(attempt),
      Math.max(0, this.#options.remainingMs() - SAFETY_MARGIN_MS * 2),
    );
    this.#options.onRetry?.();
    this.#options.log.warn('Transient Factify failure; retrying', {
      operation: `${op.method} ${op.path}`,
      reason,
      delayMs: Math.round(delay),
    });
    await this.#sleep(delay);
  }
}

/** The body as text, read as it streams in; past MAX_RESPONSE_BYTES reading stops and the connection drops. */
async function readCapped(
  op: Operation,
  status: number,
  headers: HttpResponse['headers'],
  body: Dispatcher.ResponseData['body'],
): Promise<string> {
  const tooLarge = () => {
    body.destroy();
    return new FactifyResponseTooLargeError(
      `Factify answered the request to ${op.description} (HTTP ${status}) with more than 1 MB, far more than ` +
        'any documented answer; reading stopped. Check FACTIFY_API_URL points at the Factify /v1 API.',
      status,
    );
  };
  if (Number(headers['content-length']) > MAX_RESPONSE_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_RESPONSE_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : '';
}

function clientError(
  op: Operation,
  auth: Credential,
  status: number,
  problem: { code?: string; detail: string },
) {
  const answer = `HTTP ${status}: ${problem.detail}`;
  if (status === 401) {
    return new FactifyAuthenticationError(
      `Factify rejected ${auth.label} when trying to ${op.description} (${answer}): the key is unknown, revoked or ` +
        'expired, or is for another Factify environment than FACTIFY_API_URL.',
    );
  }
  if (status === 403) {
    return new FactifyPermissionError(
      op.needsAdmin
        ? `${capitalise(auth.label)} lacks the organization admin role needed to ${op.description} (${answer}). ` +
            'Use a key with the admin role, or set FACTIFY_ADMIN_SECRET_ID to a secret holding an admin key.'
        : `Factify refused ${auth.label} permission to ${op.description} (${answer}).`,
    );
  }
  return new FactifyRequestError(
    `Factify rejected the request to ${op.description} (${answer}).`,
    status,
    problem.code,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
