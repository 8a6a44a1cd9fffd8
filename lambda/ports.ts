/**
 * The two narrow interfaces the rotation steps work over. Adapters: secrets-manager-store.ts (AWS SDK) and
 * factify/client.ts (undici); the unit tests use in-memory fakes.
 */
import type { Sensitive } from './telemetry/redaction.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** VersionIdsToStages: every version that has at least one staging label. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

export interface VersionSelector {
  readonly versionId?: string;
  readonly stage?: string;
}

export interface SecretStore {
  /**
   * BatchGetSecretValue, 20 secrets a call: the AWSCURRENT values of `secretArns`, by ARN. A secret that is gone,
   * or has no current value, is left out; one that cannot be read otherwise fails the call.
   */
  currentValues(secretArns: readonly string[]): Promise<ReadonlyMap<string, Sensitive>>;
  describe(secretId: string): Promise<SecretDescription>;
  /** The version's value, or undefined when it has none (the AWSPENDING placeholder before createSecret). */
  getValue(secretId: string, version: VersionSelector): Promise<Sensitive | undefined>;
  /**
   * PutSecretValue with ClientRequestToken = token and stage AWSPENDING; idempotent for the same value.
   * 'another-value' when the token's version already holds a different value (ResourceExistsException):
   * a concurrent attempt of the same rotation stored first.
   */
  putPendingValue(
    secretId: string,
    token: string,
    value: Sensitive,
    rotationToken?: Sensitive,
  ): Promise<'stored' | 'another-value'>;
  /** UpdateSecretVersionStage. */
  updateStage(
    secretId: string,
    stage: string,
    change: { readonly moveToVersionId?: string; readonly removeFromVersionId?: string },
  ): Promise<void>;
  /**
   * RotateSecret with the secret's configured function and schedule; returns the new version's id, which is
   * `clientRequestToken` when given.
   */
  startRotation(secretId: string, clientRequestToken?: string): Promise<string>;
}

/** A one-time EventBridge Scheduler schedule that invokes the function with `input`. */
export interface OneTimeSchedule {
  readonly name: string;
  readonly at: Date;
  readonly targetArn: string;
  readonly roleArn: string;
  readonly input: unknown;
}

/** Where finishSecret leaves the revocation of a replaced key when a grace period is set. */
export interface RevocationScheduler {
  /** Creates the schedule, deleted by the service once it has run; 'exists' when one of that name already does. */
  scheduleOnce(schedule: OneTimeSchedule): Promise<'created' | 'exists'>;
  /** Deletes the schedule; a schedule that is already gone is not an error. */
  deleteSchedule(name: string): Promise<void>;
  /**
   * The time of the one-time schedule `name`, or undefined when there is no such schedule. A scheduled
   * revocation sent before that time is refused.
   */
  scheduledAt(name: string): Promise<Date | undefined>;
}

/** What the operator CLI reads: the same as the function. */
export type InspectableRevocationScheduler = RevocationScheduler;

/** The rotation configuration of a secret, as DescribeSecret reports it. */
export interface RotationSettings {
  /** RotationLambdaARN: the function Secrets Manager invokes; absent when rotation was never configured. */
  readonly lambdaArn?: string;
  /** The ScheduleExpression, or `rate(N days)` for AutomaticallyAfterDays. */
  readonly schedule?: string;
  /** Duration: the window in which a scheduled rotation starts, e.g. "3h". */
  readonly window?: string;
  readonly lastRotatedDate?: Date;
  readonly nextRotationDate?: Date;
}

export interface SecretDetails extends SecretDescription {
  readonly rotation: RotationSettings;
}

/** A staged version as ListSecretVersionIds reports it. */
export interface SecretVersionInfo {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate?: Date;
}

/**
 * What the operator CLI reads on top of what the rotation steps use: the rotation configuration and when
 * each version was created. A separate interface, so the function keeps depending on the narrow one.
 */
export interface InspectableSecretStore extends SecretStore {
  /** DescribeSecret, with the rotation configuration. */
  describeDetails(secretId: string): Promise<SecretDetails>;
  /** ListSecretVersionIds: every version that has a staging label, all pages. */
  listVersions(secretId: string): Promise<SecretVersionInfo[]>;
  /**
   * ListSecrets: every secret whose rotation function is `functionArn`, all pages, with what DescribeSecret would
   * say of it (ListSecrets is eventually consistent: a change of the last minutes may not show yet).
   */
  listSecretsRotatedBy(functionArn: string): Promise<SecretDetails[]>;
}

/**
 * The KMS HMAC key (HMAC_SHA_256) that seals what this function writes (keys/seal.ts). Only the function's
 * role may GenerateMac with it; VerifyMac answers whether a MAC is the key's over a message.
 */
export interface SealKey {
  generateMac(message: Uint8Array): Promise<Uint8Array>;
  /** False for a MAC that does not verify (KMSInvalidMacException); other failures throw. */
  verifyMac(message: Uint8Array, mac: Uint8Array): Promise<boolean>;
}

/** A key used to call Factify, with a description that error messages may show instead of the key. */
export interface Credential {
  readonly key: Sensitive;
  /** E.g. "the current key (key_...) of secret arn:...". Never the key itself. */
  readonly label: string;
}

/** A key as Factify lists it: never its secret. */
export interface FactifyKey {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  /** The first characters of the secret followed by "...". */
  readonly prefix: string;
  readonly isActive: boolean;
  readonly revokedAt: string | null;
  /** The reason given when it was revoked ("rotated" for a key a rotation replaced). */
  readonly revokedComment?: string | null;
  readonly createdAt: string;
}

/** A key just created: the only moment Factify shows its secret. */
export interface CreatedKey extends FactifyKey {
  readonly secret: Sensitive;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
}

export interface ListKeysOptions {
  readonly includeRevoked?: boolean;
  readonly until?: (key: FactifyKey) => boolean;
}

export interface FactifyKeys {
  /** GET /organization: the organization the key belongs to; proves the key authenticates. */
  getOrganization(auth: Credential): Promise<Organization>;
  /**
   * GET /api-keys: the organization's keys (admin role required), every page, however many. With `until`,
   * no further page is read once a page holds a key it accepts: a search stops when it has found its key.
   */
  listKeys(auth: Credential, options?: ListKeysOptions): Promise<FactifyKey[]>;
  /** POST /api-keys. Not idempotent: a failure with unknown outcome throws FactifyOutcomeUnknownError. */
  createKey(auth: Credential, name: string): Promise<CreatedKey>;
  /** DELETE /api-keys/{id} with {"reason": reason}. */
  revokeKey(auth: Credential, keyId: string, reason: string): Promise<void>;
}
