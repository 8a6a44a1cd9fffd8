import type { Input } from '../aws/input.js';
import type { JsonServiceSpec } from '../aws/json-protocol.js';

/** One request as the emulator received it: the operation and key id only, never a message or MAC. */
export interface CallRecord {
  readonly operation: string;
  readonly keyId?: string;
}

/** KMS over awsJson1_1: `X-Amz-Target: TrentService.<Operation>`. */
export const KMS_JSON: JsonServiceSpec<CallRecord> = {
  service: 'kms',
  targetPrefix: 'TrentService.',
  internalErrorType: 'KMSInternalException',
  serverErrorStatus: { KMSInternalException: 500, DependencyTimeoutException: 503 },
  callRecord: (operation: string, input: Input) =>
    typeof input.KeyId === 'string' ? { operation, keyId: input.KeyId } : { operation },
};
