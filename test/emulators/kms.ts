/**
 * A loopback emulator of the AWS KMS operations the seal uses, for tests that drive the real AWS SDK v3
 * client (`@aws-sdk/client-kms`, awsJson1_1 `TrentService.<Operation>`). Its semantics follow the AWS KMS
 * API reference, never the code under test.
 *
 * Implemented: CreateKey, DescribeKey, GenerateMac, VerifyMac. HMAC keys compute real HMACs with key
 * material that never leaves the emulator; VerifyMac answers a wrong MAC with KMSInvalidMacException.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { LoopbackEmulator } from './aws/emulator.js';
import { AwsJsonProtocol } from './aws/json-protocol.js';
import { type Fault, LoopbackServer } from './aws/loopback-server.js';
import type { CallInterceptor } from './interception.js';
import { type KeyState, KeyStore } from './kms/keys.js';
import { kmsOperations } from './kms/operations.js';
import { type CallRecord, KMS_JSON } from './kms/server.js';

export type { CallRecord } from './kms/server.js';

export interface KmsEmulator {
  /** `http://127.0.0.1:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_KMS`. */
  readonly endpoint: string;
  readonly region: string;
  /** Every request received, in order, faulted ones included. */
  readonly calls: ReadonlyArray<CallRecord>;
  resetCalls(): void;
  /** A real SDK client for this emulator (dummy credentials). close() destroys it. */
  client(config?: Omit<KMSClientConfig, 'endpoint' | 'region' | 'credentials'>): KMSClient;
  /** Test setup that bypasses the API (no call recorded): a key, by default an HMAC_256 MAC key. */
  createKeyDirect(options?: { keySpec?: string; keyUsage?: string }): { keyId: string; arn: string };
  /** Test setup: disables a key or schedules its deletion, as the console would. */
  setKeyState(keyId: string, state: KeyState): void;
  /** Fails or delays the next call(s) of `operation` (see the Secrets Manager emulator's failNext). */
  failNext(operation: string, fault: Fault): void;
  intercept(interceptor: CallInterceptor | undefined): void;
  close(): Promise<void>;
}

export async function startKmsEmulator(
  options: { region?: string; accountId?: string } = {},
): Promise<KmsEmulator> {
  const region = options.region ?? 'us-east-1';
  const store = new KeyStore(region, options.accountId ?? '123456789012');
  const server = new LoopbackServer(new AwsJsonProtocol(KMS_JSON, kmsOperations(store)));
  const endpoint = await server.listen();
  return new LoopbackKms(endpoint, region, store, server);
}

class LoopbackKms extends LoopbackEmulator<CallRecord> implements KmsEmulator {
  constructor(
    endpoint: string,
    region: string,
    private readonly store: KeyStore,
    server: LoopbackServer<CallRecord>,
  ) {
    super(endpoint, region, server);
  }

  client(config: Omit<KMSClientConfig, 'endpoint' | 'region' | 'credentials'> = {}): KMSClient {
    return this.createClient((connection) => new KMSClient({ ...config, ...connection }));
  }

  createKeyDirect({ keySpec = 'HMAC_256', keyUsage = 'GENERATE_VERIFY_MAC' } = {}) {
    const key = this.store.create({ keySpec, keyUsage });
    return { keyId: key.keyId, arn: key.arn };
  }

  setKeyState(keyId: string, state: KeyState): void {
    const key = this.store.find(keyId);
    if (key === undefined) throw new Error(`No key ${keyId}.`);
    key.state = state;
  }
}
