import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceError } from './errors.js';
import type { Input } from './input.js';
import type { OperationHandler } from './operations.js';

/** One request as the emulator received it. Only names are kept, never values or tokens. */
export interface CallRecord {
  readonly operation: string;
  /** The SecretId (or, for CreateSecret, the Name) exactly as the caller sent it. */
  readonly secretId?: string;
}

/** Fails the next `times` (default 1) calls of an operation with an AWS error. */
export interface ErrorFault {
  /** The AWS error `__type`, e.g. 'InternalServiceError' or 'ThrottlingException'. */
  type: string;
  /** Defaults to 500 for InternalServiceError and InternalFailure, 503 for ServiceUnavailable, else 400. */
  status?: number;
  message?: string;
  times?: number;
}

/**
 * Holds the next `times` (default 1) calls of an operation for `hangMs` before processing them. Like a
 * slow server, the emulator still applies the request when the client has given up meanwhile, so a
 * write can succeed although its caller saw a timeout.
 */
export interface HangFault {
  hangMs: number;
  times?: number;
}

export type Fault = ErrorFault | HangFault;

const TARGET_PREFIX = 'secretsmanager.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const SERVER_ERROR_STATUS: Readonly<Record<string, number>> = {
  InternalServiceError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};

/** Serves operations over the awsJson1_1 protocol: POST /, X-Amz-Target, JSON in and out. */
export class AwsJsonServer {
  readonly calls: CallRecord[] = [];
  readonly #server = createServer((request, response) => void this.#handle(request, response));
  readonly #faults = new Map<string, { fault: Fault; remaining: number }[]>();
  /** Resolvers of pending hangs, so close() can end them without processing their requests. */
  readonly #hangs = new Map<NodeJS.Timeout, (completed: boolean) => void>();

  constructor(private readonly operations: ReadonlyMap<string, OperationHandler>) {}

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
      const body = await readBody(request);
      const { operation, handler } = this.#route(request);
      const input = parseInput(body);
      this.calls.push(callRecord(operation, input));
      const fault = this.#takeFault(operation);
      if (fault && 'type' in fault) {
        const status = fault.status ?? SERVER_ERROR_STATUS[fault.type] ?? 400;
        throw new ServiceError(fault.type, fault.message ?? `Injected ${fault.type}`, status);
      }
      if (fault && !(await this.#hang(fault.hangMs))) return;
      send(response, 200, handler(input));
    } catch (error) {
      const failure =
        error instanceof ServiceError
          ? error
          : new ServiceError('InternalServiceError', `Emulator failure: ${String(error)}`, 500);
      send(response, failure.status, { __type: failure.type, message: failure.message });
    }
  }

  /** Authenticates the request (any SigV4 signature will do) and finds its operation. */
  #route(request: IncomingMessage): { operation: string; handler: OperationHandler } {
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      throw new ServiceError(
        'IncompleteSignatureException',
        'The request signature does not conform to AWS standards.',
      );
    }
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    const handler = this.operations.get(operation);
    if (request.method !== 'POST' || request.url !== '/' || !handler) {
      throw new ServiceError(
        'UnknownOperationException',
        `The emulator does not implement ${target ?? 'a request without X-Amz-Target'}.`,
      );
    }
    return { operation, handler };
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

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseInput(body: string): Input {
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

function callRecord(operation: string, input: Input): CallRecord {
  const secretId = operation === 'CreateSecret' ? input.Name : input.SecretId;
  return typeof secretId === 'string' ? { operation, secretId } : { operation };
}

function send(response: ServerResponse, status: number, body: object): void {
  // The client may have hung up while a hang fault held its request.
  if (response.destroyed) return;
  response
    .writeHead(status, { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() })
    .end(JSON.stringify(body));
}
