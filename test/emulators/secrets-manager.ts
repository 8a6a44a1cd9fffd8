/**
 * A loopback emulator of the AWS Secrets Manager operations a rotation uses, for tests that drive the
 * real AWS SDK v3 client. Its semantics follow the AWS API reference (and, where the reference is
 * silent, behaviour reported against real AWS, cited where it matters), never the code under test.
 *
 * Implemented: CreateSecret, DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
 * ListSecretVersionIds, RotateSecret (invoking a registered RotationInvoker per step), CancelRotateSecret,
 * ListSecrets (without filters).
 */
import { randomUUID } from 'node:crypto';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { LoopbackEmulator } from './aws/emulator.js';
import { AwsJsonProtocol } from './aws/json-protocol.js';
import { type Fault, LoopbackServer } from './aws/loopback-server.js';
import type { CallInterceptor } from './interception.js';
import { secretsManagerOperations } from './secrets-manager/operations.js';
import {
  RotationEngine,
  type RotationInvoker,
  type RotationOutcome,
  type ServiceEvent,
} from './secrets-manager/rotation.js';
import { parseRotationRules, type RotationRules } from './secrets-manager/schedule.js';
import { type CallRecord, SECRETS_MANAGER_JSON } from './secrets-manager/server.js';
import { SecretStore } from './secrets-manager/store.js';

export type { ErrorFault, Fault, HangFault } from './aws/loopback-server.js';
export type {
  RotationEvent,
  RotationInvoker,
  RotationOutcome,
  RotationStep,
  ServiceEvent,
  ServiceEventName,
} from './secrets-manager/rotation.js';
export type { RotationRules } from './secrets-manager/schedule.js';
export type { CallRecord } from './secrets-manager/server.js';

export interface SecretsManagerEmulatorOptions {
  /** @default 'us-east-1' */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
}

/** Options of {@link SecretsManagerEmulator.createSecretDirect}. */
export interface DirectSecretOptions {
  /** The first version's id. @default a random UUID */
  versionId?: string;
  description?: string;
  tags?: Readonly<Record<string, string>>;
  /** Turns rotation on, as a previous RotateSecret would have, without starting a rotation. */
  rotation?: { lambdaArn: string; rules?: RotationRules };
}

/** A version as stored, for assertions. */
export interface VersionSnapshot {
  versionId: string;
  /** Staging labels, sorted. Empty for a deprecated version. */
  stages: string[];
  /** Undefined for the AWSPENDING placeholder before createSecret fills it. */
  value: string | undefined;
  createdDate: Date;
}

export interface SecretsManagerEmulator {
  /** `http://127.0.0.1:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpoint: string;
  readonly region: string;
  /** Every request received, in order, faulted ones included. */
  readonly calls: ReadonlyArray<CallRecord>;
  resetCalls(): void;
  /**
   * A real SDK client for this emulator (dummy credentials). Pass e.g. `{ maxAttempts: 1 }` to see a
   * single failure instead of the SDK's retries. close() destroys it.
   */
  client(
    config?: Omit<SecretsManagerClientConfig, 'endpoint' | 'region' | 'credentials'>,
  ): SecretsManagerClient;
  /** RotateSecret for a secret whose rotation function is `lambdaArn` runs its steps through `invoker`. */
  setRotationInvoker(lambdaArn: string, invoker: RotationInvoker): void;
  /** Test setup that bypasses the API: no call is recorded. The first version is staged AWSCURRENT. */
  createSecretDirect(
    name: string,
    value: string,
    options?: DirectSecretOptions,
  ): { arn: string; versionId: string };
  /**
   * Test setup that bypasses the API: moves a version's CreatedDate into the past, e.g. to make a rotation
   * look as old as a stuck one. No call is recorded.
   */
  backdateVersion(secretId: string, versionId: string, createdDate: Date): void;
  /** All versions of a secret (by name or ARN) in creation order, deprecated ones included. */
  versions(secretId: string): VersionSnapshot[];
  /** The rotation service events emitted so far, for one secret (name or ARN) or all. */
  events(secretId?: string): ServiceEvent[];
  /** The RotationTokens that PutSecretValue calls on this secret carried, in order. */
  receivedRotationTokens(secretId: string): string[];
  /**
   * Fails or delays the next call(s) of `operation`. Faults queue per operation and apply before the
   * operation runs, so an injected error has no side effect. An error's status defaults to 500 for
   * InternalServiceError and InternalFailure, 503 for ServiceUnavailable, else 400.
   */
  failNext(operation: string, fault: Fault): void;
  /** Sees every request from now on, before any fault, and may crash its caller mid-call. */
  intercept(interceptor: CallInterceptor | undefined): void;
  /**
   * Resolves with the outcome of the rotation RotateSecret (or retryRotation) last started on the
   * secret, once it has finished; immediately if it already has. Rejects after `timeoutMs`.
   */
  waitForRotation(secretId: string, timeoutMs?: number): Promise<RotationOutcome>;
  /**
   * Re-runs a failed rotation from createSecret with the same ClientRequestToken and RotationToken, as
   * Secrets Manager's own retries do. Resolves with its outcome.
   */
  retryRotation(secretId: string): Promise<RotationOutcome>;
  /** Closes the server, its connections and the clients it made; pending waits reject. */
  close(): Promise<void>;
}

const DEFAULT_ROTATION_TIMEOUT_MS = 5_000;

export async function startSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): Promise<SecretsManagerEmulator> {
  const region = options.region ?? 'us-east-1';
  const store = new SecretStore(region, options.accountId ?? '123456789012');
  const rotation = new RotationEngine();
  const server = new LoopbackServer(
    new AwsJsonProtocol(SECRETS_MANAGER_JSON, secretsManagerOperations(store, rotation)),
  );
  const endpoint = await server.listen();
  return new LoopbackSecretsManager(endpoint, region, store, rotation, server);
}

class LoopbackSecretsManager extends LoopbackEmulator<CallRecord> implements SecretsManagerEmulator {
  constructor(
    endpoint: string,
    region: string,
    private readonly store: SecretStore,
    private readonly rotation: RotationEngine,
    server: LoopbackServer<CallRecord>,
  ) {
    super(endpoint, region, server);
  }

  client(
    config: Omit<SecretsManagerClientConfig, 'endpoint' | 'region' | 'credentials'> = {},
  ): SecretsManagerClient {
    return this.createClient((connection) => new SecretsManagerClient({ ...config, ...connection }));
  }

  setRotationInvoker(lambdaArn: string, invoker: RotationInvoker): void {
    this.rotation.setInvoker(lambdaArn, invoker);
  }

  createSecretDirect(
    name: string,
    value: string,
    { versionId = randomUUID(), description, tags = {}, rotation }: DirectSecretOptions = {},
  ): { arn: string; versionId: string } {
    const secret = this.store.create({
      name,
      description,
      tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      version: { id: versionId, value },
    });
    if (rotation) {
      secret.rotation = {
        enabled: true,
        lambdaArn: rotation.lambdaArn,
        ...(rotation.rules && { rules: parseRotationRules({ ...rotation.rules }) }),
      };
    }
    return { arn: secret.arn, versionId };
  }

  backdateVersion(secretId: string, versionId: string, createdDate: Date): void {
    const version = this.store.find(secretId).versions.get(versionId);
    if (!version) throw new Error(`Secret ${secretId} has no version ${versionId}.`);
    version.createdDate = createdDate;
  }

  versions(secretId: string): VersionSnapshot[] {
    return [...this.store.find(secretId).versions.values()].map((version) => ({
      versionId: version.id,
      stages: [...version.stages].sort(),
      value: version.value,
      createdDate: version.createdDate,
    }));
  }

  events(secretId?: string): ServiceEvent[] {
    return this.rotation.events(secretId === undefined ? undefined : this.store.find(secretId).arn);
  }

  receivedRotationTokens(secretId: string): string[] {
    return [...this.store.find(secretId).rotationTokensReceived];
  }

  async waitForRotation(secretId: string, timeoutMs = DEFAULT_ROTATION_TIMEOUT_MS): Promise<RotationOutcome> {
    return this.rotation.wait(this.store.find(secretId), timeoutMs);
  }

  async retryRotation(secretId: string): Promise<RotationOutcome> {
    return this.rotation.retry(this.store.find(secretId));
  }

  override async close(): Promise<void> {
    this.rotation.close();
    await super.close();
  }
}
