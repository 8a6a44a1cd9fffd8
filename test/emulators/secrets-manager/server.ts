import type { IncomingMessage } from 'node:http';
import { type Input, parseInput } from '../aws/input.js';
import type { Protocol, Route } from '../aws/loopback-server.js';
import { ServiceError } from '../aws/service-error.js';
import type { OperationHandler } from './operations.js';

/** One request as the emulator received it. Only names are kept, never values or tokens. */
export interface CallRecord {
  readonly operation: string;
  /** The SecretId (or, for CreateSecret, the Name) exactly as the caller sent it. */
  readonly secretId?: string;
  /** BatchGetSecretValue's SecretIdList, as sent. */
  readonly secretIds?: readonly string[];
}

const TARGET_PREFIX = 'secretsmanager.';
const SERVER_ERROR_STATUS: Readonly<Record<string, number>> = {
  InternalServiceError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};

/**
 * awsJson1_1: POST /, X-Amz-Target names the operation, JSON in and out. An error carries its `__type`
 * and `message` in the body.
 */
export class AwsJsonProtocol implements Protocol<CallRecord> {
  readonly service = 'secretsmanager';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly internalErrorType = 'InternalServiceError';

  constructor(readonly operations: ReadonlyMap<string, OperationHandler>) {}

  faultStatus(type: string): number {
    return SERVER_ERROR_STATUS[type] ?? 400;
  }

  route(request: IncomingMessage, body: string): Route<CallRecord> {
    const { operation, handler } = this.#findOperation(request);
    const input = parseInput(body);
    return { operation, call: callRecord(operation, input), run: () => handler(input) };
  }

  encodeError(error: ServiceError) {
    return { body: { ...error.fields, __type: error.type, message: error.message } };
  }

  /** Authenticates the request (any SigV4 signature will do) and finds its operation. */
  #findOperation(request: IncomingMessage): { operation: string; handler: OperationHandler } {
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
}

function callRecord(operation: string, input: Input): CallRecord {
  const secretId = operation === 'CreateSecret' ? input.Name : input.SecretId;
  const ids = input.SecretIdList;
  return {
    operation,
    ...(typeof secretId === 'string' ? { secretId } : {}),
    ...(Array.isArray(ids) ? { secretIds: ids.filter((id): id is string => typeof id === 'string') } : {}),
  };
}
