import type { IncomingMessage } from 'node:http';
import { parseInput } from '../aws/input.js';
import type { Protocol, Route } from '../aws/loopback-server.js';
import { ServiceError } from '../aws/service-error.js';
import { modeledStatus } from './errors.js';
import type { Operation } from './operations.js';

/** One request as the emulator received it. Only names are kept, never inputs or tokens. */
export interface CallRecord {
  readonly operation: string;
  /** The schedule name of the path, for the operations on one schedule. */
  readonly name?: string;
}

const SCHEDULES = '/schedules';

/**
 * restJson1: the method and path pick the operation, JSON in and out. An error names its type in
 * `X-Amzn-ErrorType` and carries the modeled `Message` in the body.
 */
export class RestJsonProtocol implements Protocol<CallRecord> {
  readonly service = 'scheduler';
  readonly contentType = 'application/json';
  readonly internalErrorType = 'InternalServerException';

  constructor(
    readonly operations: ReadonlyMap<string, Operation>,
    private readonly region: string,
  ) {}

  faultStatus(type: string): number {
    return modeledStatus(type);
  }

  route(request: IncomingMessage, raw: string): Route<CallRecord> {
    this.#authenticate(request);
    const url = new URL(request.url ?? '/', 'http://emulator');
    const { operation, label, handler } = this.#findOperation(request.method ?? 'GET', url.pathname);
    return {
      operation,
      call: label === undefined ? { operation } : { operation, name: label },
      run: () =>
        handler({ ...(label !== undefined && { label }), query: url.searchParams, body: parseInput(raw) }),
    };
  }

  encodeError(error: ServiceError) {
    return { headers: { 'x-amzn-errortype': error.type }, body: { Message: error.message } };
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

  #findOperation(method: string, pathname: string) {
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
}

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    throw new ServiceError('ValidationException', `The path label ${label} is not valid percent-encoding.`);
  }
}
