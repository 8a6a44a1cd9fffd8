import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceError } from './errors.js';
import type { Input } from './input.js';
import type { Operation } from './operations.js';

/** One request as the emulator received it. Only names are kept, never inputs or tokens. */
export interface CallRecord {
  readonly operation: string;
  /** The schedule name of the path, for the operations on one schedule. */
  readonly name?: string;
}

/** Fails the next `times` (default 1) calls of an operation with an AWS error. */
export interface ErrorFault {
  /** The error type, e.g. 'InternalServerException' or 'ThrottlingException'. */
  type: string;
  /** Defaults to the status the Scheduler model gives the type (500, 429, ...), else 400. */
  status?: number;
  message?: string;
  times?: number;
}

/**
 * Holds the next `times` (default 1) calls of an operation for `hangMs` before processing them. Like a
 * slow server, the emulator still applies the request when the client has given up meanwhile.
 */
export interface HangFault {
  hangMs: number;
  times?: number;
}

export type Fault = ErrorFault | HangFault;

const SCHEDULES = '/schedules';

/** Serves operations over restJson1: the method and path pick the operation, JSON in and out. */
export class RestJsonServer {
  readonly calls: CallRecord[] = [];
  readonly #server = createServer((request, response) => void this.#handle(request, response));
  readonly #faults = new Map<string, { fault: Fault; remaining: number }[]>();
  /** Resolvers of pending hangs, so close() can end them without processing their requests. */
  readonly #hangs = new Map<NodeJS.Timeout, (completed: boolean) => void>();

  constructor(
    private readonly operations: ReadonlyMap<string, Operation>,
    private readonly region: string,
  ) {}

  /** Listens on an ephemeral loopback port and returns the endpoint URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  failNext(operation: string, fault: Fault): void {
    if (!this.operations.has(operation)) throw new Error(`The emulator does not implement ${operation}.`);
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new Error(`Fault times must be a positive integer: ${times}`);
    }
    const queue = this.#faults.get(operation) ?? [];
    queue.push({ fault, remaining: times });
    this.#faults.set(operation, queue);
  }

  /** Stops listening and drops every open connection, including requests held by a hang. */
  async close(): Promise<void> {
    for (const [timer, resolve] of this.#hangs) {
      clearTimeout(timer);
      resolve(false);
    }
    this.#hangs.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    // libuv frees closed handles in the event loop's close phase; a timer runs after it, so callers that
    // check for open handles (process.getActiveResourcesInfo) see none once close() has resolved.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const raw = await readBody(request);
      this.#authenticate(request);
      const url = new URL(request.url ?? '/', 'http://emulator');
      const { operation, label, handler } = this.#route(request.method ?? 'GET', url.pathname);
      this.calls.push(label === undefined ? { operation } : { operation, name: label });
      const fault = this.#takeFault(operation);
      if (fault && 'type' in fault) {
        throw new ServiceError(fault.type, fault.message ?? `Injected ${fault.type}`, fault.status);
      }
      if (fault && !(await this.#hang(fault.hangMs))) return;
      const body = parseBody(raw);
      send(response, 200, handler({ ...(label !== undefined && { label }), query: url.searchParams, body }));
    } catch (error) {
      const failure =
        error instanceof ServiceError
          ? error
          : new ServiceError('InternalServerException', `Emulator failure: ${String(error)}`);
      send(response, failure.status, { Message: failure.message }, failure.type);
    }
  }

  /**
   * Accepts any SigV4 signature whose credential scope names this service and region, as AWS requires
   * ("Credential should be scoped to a valid region"); the signature itself is not checked.
   */
  #authenticate(request: IncomingMessage): void {
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    }
    const scope = /^AWS4-HMAC-SHA256 Credential=[^/,\s]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request,/.exec(
      authorization,
    );
    if (!scope) {
      throw new ServiceError(
        'IncompleteSignatureException',
        'The request signature does not conform to AWS standards.',
      );
    }
    const [, region, service] = scope;
    if (service !== 'scheduler' || region !== this.region) {
      throw new ServiceError(
        'InvalidSignatureException',
        `Credential should be scoped to a valid region and service: expected ${this.region}/scheduler, got ${region}/${service}.`,
        403,
      );
    }
  }

  #route(method: string, pathname: string) {
    const item = pathname.startsWith(`${SCHEDULES}/`) && !pathname.slice(SCHEDULES.length + 1).includes('/');
    const route = pathname === SCHEDULES ? 'collection' : item ? 'item' : undefined;
    for (const [operation, candidate] of this.operations) {
      if (candidate.method === method && candidate.route === route) {
        const label = route === 'item' ? decodeLabel(pathname.slice(SCHEDULES.length + 1)) : undefined;
        return { operation, label, handler: candidate.handler };
      }
    }
    throw new ServiceError(
      'UnknownOperationException',
      `The emulator does not implement ${method} ${pathname}.`,
      404,
    );
  }

  #takeFault(operation: string): Fault | undefined {
    const next = this.#faults.get(operation)?.[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.#faults.get(operation)?.shift();
    return next.fault;
  }

  /** Resolves true after `ms`, or false if the emulator closed first. */
  #hang(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#hangs.delete(timer);
        resolve(true);
      }, ms);
      this.#hangs.set(timer, resolve);
    });
  }
}

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    throw new ServiceError('ValidationException', `The path label ${label} is not valid percent-encoding.`);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(body: string): Input {
  let input: unknown;
  try {
    input = body === '' ? {} : JSON.parse(body);
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  }
  return input as Input;
}

/** restJson1 names the error type in `X-Amzn-ErrorType`; the body carries the modeled `Message`. */
function send(response: ServerResponse, status: number, body: object, errorType?: string): void {
  // The client may have hung up while a hang fault held its request.
  if (response.destroyed) return;
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      ...(errorType !== undefined && { 'x-amzn-errortype': errorType }),
    })
    .end(JSON.stringify(body));
}
