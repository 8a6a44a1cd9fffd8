/**
 * The two narrow interfaces the rotation steps work over. Adapters: secrets-manager-store.ts (AWS SDK) and
 * factify/client.ts (Node's HTTP client); the unit tests use in-memory fakes.
 */
import type { Sensitive } from './sensitive.js';

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
  describe(secretId: string): Promise<SecretDescription>;
  /** The version's value, or undefined when it has none (the AWSPENDING placeholder before createSecret). */
  getValue(secretId: string, version: VersionSelector): Promise<Sensitive | undefined>;
  /** PutSecretValue with ClientRequestToken = token and stage AWSPENDING; idempotent for the same value. */
  putPendingValue(
    secretId: string,
    token: string,
    value: Sensitive,
    rotationToken?: Sensitive,
  ): Promise<void>;
  /** UpdateSecretVersionStage. */
  updateStage(
    secretId: string,
    stage: string,
    change: { readonly moveToVersionId?: string; readonly removeFromVersionId?: string },
  ): Promise<void>;
  /** RotateSecret with the secret's configured function and schedule; returns the new version's id. */
  startRotation(secretId: string): Promise<string>;
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

export interface FactifyKeys {
  /** GET /organization: the organization the key belongs to; proves the key authenticates. */
  getOrganization(auth: Credential): Promise<Organization>;
  /** GET /api-keys: the organization's keys (admin role required). */
  listKeys(auth: Credential, options?: { readonly includeRevoked?: boolean }): Promise<FactifyKey[]>;
  /** POST /api-keys. Not idempotent: a failure with unknown outcome throws FactifyOutcomeUnknownError. */
  createKey(auth: Credential, name: string): Promise<CreatedKey>;
  /** DELETE /api-keys/{id} with {"reason": reason}. */
  revokeKey(auth: Credential, keyId: string, reason: string): Promise<void>;
}
