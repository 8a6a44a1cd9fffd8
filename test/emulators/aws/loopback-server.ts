import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallInterceptor, InFlightCrash } from '../interception.js';
import { ServiceError } from './service-error.js';

/** Fails the next `times` (default 1) calls of an operation with an AWS error. */
export interface ErrorFault {
  /** The error type the SDK maps to an exception class, e.g. 'ThrottlingException'. */
  type: string;
  /** Defaults to the status the emulated service gives the type: see each emulator's failNext. */
  status?: number;
  message?: string;
  /** Further members of the error body, which the SDK copies onto the error as fields. */
  fields?: Record<string, unknown>;
  /** The error body also echoes the whole request (member `Request`), as a careless service might. */
  echoRequest?: boolean;
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
  /** Called as each call starts being held, e.g. to kill its caller while the call is in flight. */
  onHeld?: () => void;
}

export type Fault = ErrorFault | HangFault;

/** A routed request: its operation, the call to record, and `run`, called only if no fault stops it. */
export interface Route<Call> {
  operation: string;
  call: Call;
  run(): object;
}

/** What sets one AWS protocol apart: how a request finds its operation and how an answer is encoded. */
export interface Protocol<Call> {
  /** The service's name as interceptors see it, e.g. 'secretsmanager'. */
  readonly service: string;
  /** The operations it serves, so that failNext refuses a fault nothing would ever take. */
  readonly operations: { has(operation: string): boolean };
  /** The `content-type` of every response. */
  readonly contentType: string;
  /** The type a failure of the emulator itself is reported as, e.g. 'InternalServerException'. */
  readonly internalErrorType: string;
  /** The status of an injected error whose fault names none. */
  faultStatus(type: string): number;
  /** Authenticates and routes a request, throwing a ServiceError for one the service would refuse. */
  route(request: IncomingMessage, body: string): Route<Call>;
  /** The headers (besides content-type) and the body that carry an error. */
  encodeError(error: ServiceError): { headers?: OutgoingHttpHeaders; body: object };
}

/**
 * The HTTP plumbing of an emulator, whatever its protocol: a server on an ephemeral loopback port, the
 * calls it received, per-operation fault queues applied before an operation runs, and a close() that
 * leaves no handle behind.
 */
export class LoopbackServer<Call> {
  readonly calls: Call[] = [];
  readonly #server = createServer((request, response) => void this.#handle(request, response));
  readonly #faults = new Map<string, { fault: Fault; remaining: number }[]>();
  /** Resolvers of pending hangs, so close() can end them without processing their requests. */
  readonly #hangs = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  interceptor: CallInterceptor | undefined;

  constructor(private readonly protocol: Protocol<Call>) {}

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
    if (!this.protocol.operations.has(operation)) {
      throw new Error(`The emulator does not implement ${operation}.`);
    }
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
      const { operation, call, run } = this.protocol.route(request, body);
      const crash = this.interceptor?.({ service: this.protocol.service, operation });
      if (crash) return await this.#crashInFlight(crash, call, run, response);
      this.calls.push(call);
      const fault = this.#takeFault(operation);
      if (fault && 'type' in fault) {
        const status = fault.status ?? this.protocol.faultStatus(fault.type);
        const fields = { ...fault.fields, ...(fault.echoRequest ? { Request: echo(body) } : {}) };
        throw new ServiceError(fault.type, fault.message ?? `Injected ${fault.type}`, status, fields);
      }
      fault?.onHeld?.();
      if (fault && !(await this.#hang(fault.hangMs))) return;
      this.#send(response, 200, {}, run());
    } catch (error) {
      const failure =
        error instanceof ServiceError
          ? error
          : new ServiceError(this.protocol.internalErrorType, `Emulator failure: ${String(error)}`, 500);
      const { headers = {}, body } = this.protocol.encodeError(failure);
      this.#send(response, failure.status, headers, body);
    }
  }

  /** The caller dies with the request in flight: applied first or never, and answered never. */
  async #crashInFlight(
    crash: InFlightCrash,
    call: Call,
    run: Route<Call>['run'],
    response: ServerResponse,
  ): Promise<void> {
    if (crash.applied) {
      this.calls.push(call);
      try {
        run();
      } catch (error) {
        // A refused request changes nothing: its answer is lost like any other.
        if (!(error instanceof ServiceError)) throw error;
      }
    }
    await crash.crash();
    response.destroy();
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

  #send(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: object): void {
    // The client may have hung up while a hang fault held its request.
    if (response.destroyed) return;
    response
      .writeHead(status, {
        'content-type': this.protocol.contentType,
        'x-amzn-requestid': randomUUID(),
        ...headers,
      })
      .end(JSON.stringify(body));
  }
}

function echo(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
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
