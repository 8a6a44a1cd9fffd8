import type { Input } from '../aws/input.js';
import type { JsonServiceSpec } from '../aws/json-protocol.js';

/** One request as the emulator received it. Only names are kept, never values or tokens. */
export interface CallRecord {
  readonly operation: string;
  /** The SecretId (or, for CreateSecret, the Name) exactly as the caller sent it. */
  readonly secretId?: string;
  /** BatchGetSecretValue's SecretIdList, as sent. */
  readonly secretIds?: readonly string[];
}

/** Secrets Manager over awsJson1_1: `X-Amz-Target: secretsmanager.<Operation>`. */
export const SECRETS_MANAGER_JSON: JsonServiceSpec<CallRecord> = {
  service: 'secretsmanager',
  targetPrefix: 'secretsmanager.',
  internalErrorType: 'InternalServiceError',
  serverErrorStatus: { InternalServiceError: 500, InternalFailure: 500, ServiceUnavailable: 503 },
  callRecord,
};

function callRecord(operation: string, input: Input): CallRecord {
  const secretId = operation === 'CreateSecret' ? input.Name : input.SecretId;
  const ids = input.SecretIdList;
  return {
    operation,
    ...(typeof secretId === 'string' ? { secretId } : {}),
    ...(Array.isArray(ids) ? { secretIds: ids.filter((id): id is string => typeof id === 'string') } : {}),
  };
}
