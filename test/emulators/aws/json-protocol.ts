import type { IncomingMessage } from 'node:http';
import { type Input, parseInput } from './input.js';
import type { Protocol, Route } from './loopback-server.js';
import { ServiceError } from './service-error.js';

/** One operation: parsed JSON request in, JSON response out, or a thrown ServiceError. */
export type JsonOperationHandler = (input: Input) => object;

/** What tells one awsJson1_1 service from another. */
export interface JsonServiceSpec<Call> {
  /** The service's name as interceptors see it, e.g. 'secretsmanager'. */
  readonly service: string;
  /** Before the operation in `X-Amz-Target`, e.g. 'secretsmanager.' or 'TrentService.'. */
  readonly targetPrefix: string;
  /** The type a failure of the emulator itself is reported as. */
  readonly internalErrorType: string;
  /** The status of the service's server-side error types; any other is 400. */
  readonly serverErrorStatus: Readonly<Record<string, number>>;
  /** What the emulator records of a request: names and ids, never a value. */
  callRecord(operation: string, input: Input): Call;
}

/**
 * awsJson1_1, as Secrets Manager and KMS speak it: POST /, `X-Amz-Target: <prefix><Operation>`, JSON in and
 * out; an error carries its `__type` and `message` in the body. Any SigV4 signature authenticates.
 */
export class AwsJsonProtocol<Call> implements Protocol<Call> {
  readonly contentType = 'application/x-amz-json-1.1';
  readonly service: string;
  readonly internalErrorType: string;

  constructor(
    private readonly spec: JsonServiceSpec<Call>,
    readonly operations: ReadonlyMap<string, JsonOperationHandler>,
  ) {
    this.service = spec.service;
    this.internalErrorType = spec.internalErrorType;
  }

  faultStatus(type: string): number {
    return this.spec.serverErrorStatus[type] ?? 400;
  }

  route(request: IncomingMessage, body: string): Route<Call> {
    const { operation, handler } = this.#findOperation(request);
    const input = parseInput(body);
    return { operation, call: this.spec.callRecord(operation, input), run: () => handler(input) };
  }

  encodeError(error: ServiceError) {
    return { body: { ...error.fields, __type: error.type, message: error.message } };
  }

  /** Authenticates the request (any SigV4 signature will do) and finds its operation. */
  #findOperation(request: IncomingMessage): { operation: string; handler: JsonOperationHandler } {
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
    const prefix = this.spec.targetPrefix;
    const operation =
      typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : '';
    const handler = this.operations.get(operation);
    if (request.method !== 'POST' || request.url !== '/' || !handler) {
      throw new ServiceError(
        'UnknownOperationException',
        `The emulator does not implement ${target ?? 'a request without X-Amz-Target'}.`,
      );
    }
    return { operation, handler };
  }
}
