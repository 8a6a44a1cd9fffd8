// One HTTP request through the simulator: faults, authentication, rate limiting, the operation, the answer.
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { CallInterceptor, InFlightCrash } from '../interception.js';
import type { FactifyApi, Reply, RequestBody } from './api.js';
import { type Authentication, authenticate, bearerSecret } from './auth.js';
import { ApiError, renderError } from './errors.js';
import type {
  AfterApplyFault,
  EndlessPagesFault,
  FaultKind,
  FaultQueue,
  FaultResponse,
  ImmediateFault,
} from './faults.js';
import { newApiKeyId, newOrganizationId, newRequestId, operationName } from './ids.js';
import type { Settings } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import type { Store } from './store.js';

/** One request as the simulator saw it. The credential itself is never recorded. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The query string, without its `?`. */
  query: string;
  /** `null` when no answer was sent: the request hung, was reset, or its client went away. */
  status: number | null;
  /** Organization and id of the presented key, whenever it names a stored key (usable or not). */
  orgId?: string;
  callerKeyId?: string;
  /** The injected fault that shaped the answer. */
  fault?: FaultKind;
}

/** Something a well-behaved client must never do. */
export interface Violation {
  /** The staff-only `X-Factify-Organization-Id` override header was sent (R1: 403 for non-staff). */
  kind: 'organization-override-header';
  method: string;
  path: string;
  callerKeyId?: string;
}

/** What the simulator has observed; the facade exposes it read-only. */
export interface Records {
  requests: LoggedRequest[];
  violations: Violation[];
  /** `DELETE /v1/api-keys/{id}` calls by raw id, whatever their outcome. */
  deleteCalls: Map<string, number>;
  /** Bugs in the simulator or in a test's fault callbacks; `close()` reports them. */
  internalErrors: unknown[];
}

export interface PipelineParts {
  settings: Settings;
  store: Store;
  api: FactifyApi;
  limiter: RateLimiter;
  faults: FaultQueue;
  records: Records;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  payload?: string;
}

/** Codes of generated bodies for injected statuses. */
const INJECTED_CODES: Record<number, string> = {
  429: 'rate_limit_exceeded',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

export class Pipeline {
  /** See FactifySimulator.intercept. */
  interceptor: CallInterceptor | undefined;
  /** Requests to be applied and then answered by their caller's death instead of a response. */
  readonly #crashes = new WeakMap<ServerResponse, InFlightCrash>();

  constructor(private readonly parts: PipelineParts) {}

  /** The `node:http` request listener. */
  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const entry: LoggedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      status: null,
    };
    const crash = this.interceptor?.({
      service: 'factify',
      operation: operationName(entry.method, url.pathname),
    });
    if (crash !== undefined && !crash.applied) {
      // Lost on the way: the simulator never sees it, so it is neither logged nor counted.
      this.#crash(crash, response);
      return;
    }
    if (crash !== undefined) this.#crashes.set(response, crash);
    this.#handle(request, response, url, entry).catch((error: unknown) => {
      this.parts.records.internalErrors.push(error);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const payload = JSON.stringify({
        title: 'Internal simulator error',
        status: 500,
        detail: String(error),
      });
      this.#send(response, entry, { status: 500, headers: { 'content-type': 'application/json' }, payload });
    });
  };

  async #handle(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    entry: LoggedRequest,
  ): Promise<void> {
    const { settings, store, records, faults } = this.parts;
    const { method, path } = entry;
    const secret = bearerSecret(request.headers.authorization);
    const presented = secret === undefined ? undefined : store.keyBySecret(secret);
    if (presented !== undefined) Object.assign(entry, { orgId: presented.orgId, callerKeyId: presented.id });

    const body = await readBody(request);
    if (body === undefined) {
      records.requests.push(entry); // the client went away mid-request: there is no one to answer
      return;
    }
    const deleted = method === 'DELETE' ? /^\/v1\/api-keys\/([^/]+)$/.exec(path)?.[1] : undefined;
    if (deleted !== undefined) records.deleteCalls.set(deleted, (records.deleteCalls.get(deleted) ?? 0) + 1);
    const override = request.headers['x-factify-organization-id'] !== undefined;
    if (override) {
      records.violations.push({
        kind: 'organization-override-header',
        method,
        path,
        callerKeyId: presented?.id,
      });
    }

    const parsed = body.kind === 'json' ? body.value : undefined;
    const immediate = faults.takeImmediate(method, path, parsed);
    if (immediate !== undefined) return this.#misbehave(immediate, request, response, entry);

    const auth = authenticate(store, secret, settings.clock());
    const rate = this.parts.limiter.take(method, auth.ok ? auth.key.id : undefined);
    let reply: Reply;
    try {
      if (rate.limited) throw rateLimited(rate.retryAfter);
      reply = this.#operate(method, path, { auth, override, query: url.searchParams, body });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const answer = this.#errorAnswer(error, settings.errorFormat);
      return this.#send(response, entry, { ...answer, headers: { ...answer.headers, ...rate.headers } });
    }

    const afterApply = reply.status < 300 ? faults.takeAfterApply(method, path, parsed) : undefined;
    if (afterApply !== undefined) {
      await afterApply.onApplied?.({ method, path, status: reply.status, keyId: reply.keyId });
      return this.#misbehave(afterApply, request, response, entry);
    }
    const payload = reply.json === undefined ? undefined : JSON.stringify(reply.json);
    const type: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
    this.#send(response, entry, { status: reply.status, headers: { ...type, ...rate.headers }, payload });
  }

  /** Runs the operation for an authorised caller; every refusal is thrown as an `ApiError`. */
  #operate(
    method: string,
    path: string,
    request: { auth: Authentication; override: boolean; query: URLSearchParams; body: RequestBody },
  ): Reply {
    const operation = this.parts.api.match(method, path);
    if (operation === undefined) {
      throw new ApiError(404, 'resource_not_found', `There is no ${method} ${path}.`);
    }
    const { auth } = request;
    if (!auth.ok) throw auth.error;
    // Checked once the caller is known: the header is refused for non-staff callers, and API keys never are staff.
    if (request.override) {
      throw new ApiError(
        403,
        'insufficient_permissions',
        'X-Factify-Organization-Id is honoured for Factify staff only.',
      );
    }
    if (operation.adminOnly && !auth.key.admin) {
      throw new ApiError(
        403,
        'insufficient_permissions',
        'This operation requires the organization admin role.',
      );
    }
    return operation.run({ caller: auth.key, query: request.query, body: request.body });
  }

  #misbehave(
    fault: ImmediateFault | AfterApplyFault | EndlessPagesFault,
    request: IncomingMessage,
    response: ServerResponse,
    entry: LoggedRequest,
  ): void {
    entry.fault = fault.kind;
    switch (fault.kind) {
      case 'status':
      case 'apply-then-status':
        this.#send(response, entry, this.#faultAnswer(fault));
        return;
      case 'hang':
      case 'apply-then-hang':
        // Never answered: close() drops the connection.
        this.parts.records.requests.push(entry);
        return;
      case 'reset':
      case 'apply-then-reset':
        this.parts.records.requests.push(entry);
        request.socket.resetAndDestroy();
        return;
      case 'endless-pages':
        this.#send(response, entry, this.#endlessPage(fault, entry.orgId));
        return;
    }
  }

  // A page of made-up revoked keys of the caller's organization, with a cursor never returned before.
  #endlessPage(fault: EndlessPagesFault, orgId: string | undefined): Answer {
    const now = this.parts.settings.clock();
    const org = orgId ?? newOrganizationId(now);
    const createdAt = new Date(now).toISOString();
    const keys = Array.from({ length: fault.keysPerPage ?? 1_000 }, (_, index) => ({
      id: newApiKeyId(now),
      org_id: org,
      name: `endless-${index}`,
      prefix: 'ffy_test_0000000...',
      created_at: createdAt,
      updated_at: createdAt,
      is_active: false,
      expires_at: null,
      revoked_at: createdAt,
      revoked_by: null,
      revoked_comment: 'rotated',
    }));
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        api_keys: keys,
        pagination: { has_more: true, next_page_token: randomBytes(12).toString('base64url') },
      }),
    };
  }

  #faultAnswer(fault: Partial<FaultResponse>): Answer {
    const status = fault.status ?? 500;
    let answer: Answer;
    if (typeof fault.body === 'string') {
      answer = { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, payload: fault.body };
    } else if (fault.body !== undefined) {
      answer = {
        status,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(fault.body),
      };
    } else {
      const error =
        status === 429
          ? rateLimited(fault.retryAfter ?? 1)
          : new ApiError(
              status,
              INJECTED_CODES[status] ?? 'injected_fault',
              `Injected fault: ${STATUS_CODES[status]}.`,
            );
      answer = this.#errorAnswer(error, fault.format ?? this.parts.settings.errorFormat);
    }
    return { ...answer, headers: { ...answer.headers, ...fault.headers } };
  }

  #errorAnswer(error: ApiError, format: Settings['errorFormat']): Answer {
    const rendered = renderError(error, format, newRequestId(this.parts.settings.clock()));
    const { retryAfter } = error.extras;
    const retryHeader: Record<string, string> =
      retryAfter !== undefined && this.parts.settings.retryAfterHeader
        ? { 'retry-after': String(retryAfter) }
        : {};
    return {
      status: error.status,
      headers: { 'content-type': rendered.contentType, ...retryHeader },
      payload: JSON.stringify(rendered.body),
    };
  }

  #crash(crash: InFlightCrash, response: ServerResponse): void {
    crash.crash().then(
      () => response.destroy(),
      (error: unknown) => this.parts.records.internalErrors.push(error),
    );
  }

  #send(response: ServerResponse, entry: LoggedRequest, answer: Answer): void {
    const crash = this.#crashes.get(response);
    if (crash !== undefined) {
      // Applied, and its answer dies with the caller.
      this.parts.records.requests.push(entry);
      this.#crash(crash, response);
      return;
    }
    entry.status = answer.status;
    this.parts.records.requests.push(entry);
    const length =
      answer.payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(answer.payload)) };
    response.writeHead(answer.status, { ...answer.headers, ...length });
    response.end(answer.payload);
  }
}

/** The guide's 429: its message and `retry_after` (seconds). */
const rateLimited = (retryAfter: number): ApiError =>
  new ApiError(429, 'rate_limit_exceeded', `Rate limit exceeded. Please retry after ${retryAfter} seconds.`, {
    retryAfter,
  });

/** The body, or `undefined` when the client went away before sending all of it. */
async function readBody(request: IncomingMessage): Promise<RequestBody | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of request) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { kind: 'none' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'malformed' };
  }
}
