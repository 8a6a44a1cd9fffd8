import type { IncomingMessage } from 'node:http';
import { parseInput } from '../aws/input.js';
import type { Protocol, Route } from '../aws/loopback-server.js';
import { ServiceError } from '../aws/service-error.js';
import type { OperationHandler } from './operations.js';

/** One request as the emulator received it: the operation and key id only, never a message or MAC. */
export interface CallRecord {
  readonly operation: string;
  readonly keyId?: string;
}

const TARGET_PREFIX = 'TrentService.';
const SERVER_ERROR_STATUS: Readonly<Record<string, number>> = {
  KMSInternalException: 500,
  DependencyTimeoutException: 503,
};

/** awsJson1_1 as KMS speaks it: POST /, `X-Amz-Target: TrentService.<Operation>`, `__type` and `message`. */
export class KmsJsonProtocol implements Protocol<CallRecord> {
  readonly service = 'kms';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly internalErrorType = 'KMSInternalException';

  constructor(readonly operations: ReadonlyMap<string, OperationHandler>) {}

  faultStatus(type: string): number {
    return SERVER_ERROR_STATUS[type] ?? 400;
  }

  route(request: IncomingMessage, body: string): Route<CallRecord> {
    if (!request.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) {
      throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
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
    const input = parseInput(body);
    const call = typeof input.KeyId === 'string' ? { operation, keyId: input.KeyId } : { operation };
    return { operation, call, run: () => handler(input) };
  }

  encodeError(error: ServiceError) {
    return { body: { ...error.fields, __type: error.type, message: error.message } };
  }
}
