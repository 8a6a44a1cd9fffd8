import { randomInt } from 'node:crypto';
import { invalidParameter, resourceExists, secretNotFound } from './errors.js';
import type { RotationRules } from './schedule.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
const AWSPREVIOUS = 'AWSPREVIOUS';

export interface SecretVersion {
  readonly id: string;
  /** Undefined for the AWSPENDING placeholder that RotateSecret creates before createSecret fills it. */
  value: string | undefined;
  /** Staging labels. A version without any is deprecated. */
  readonly stages: Set<string>;
  /** Writable only for test setup that ages a version (SecretsManagerEmulator.backdateVersion). */
  createdDate: Date;
  lastAccessedDate?: Date;
}

export interface RotationConfig {
  /** Undefined until rotation is first configured: DescribeSecret then omits RotationEnabled. */
  enabled?: boolean;
  lambdaArn?: string;
  rules?: RotationRules;
  lastRotatedDate?: Date;
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface SecretRecord {
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly tags: readonly Tag[];
  readonly createdDate: Date;
  /** In creation order, deprecated versions included. */
  readonly versions: Map<string, SecretVersion>;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** A value written outside rotation "is considered a valid rotation" when scheduling the next one. */
  lastManualRotationDate: Date;
  rotation: RotationConfig;
  /** RotationTokens that PutSecretValue calls carried, valid or not, for pass-through assertions. */
  readonly rotationTokensReceived: string[];
}

export interface NewSecret {
  name: string;
  description?: string;
  tags?: readonly Tag[];
  /** The first version, staged AWSCURRENT. A secret may also start without a value. */
  version?: { id: string; value: string };
}

/** "The secret name can contain ASCII letters, numbers, and the following characters: /_+=.@-" */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A hyphen and six random characters. */
const ARN_SUFFIX_LENGTH = 7;

/** The secrets of one account in one region. */
export class SecretStore {
  readonly #secrets = new Map<string, SecretRecord>();
  /** By the ARN without its random suffix, so that finding a secret by ARN does not scan the account. */
  readonly #byPartialArn = new Map<string, SecretRecord>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  create({ name, description, tags = [], version }: NewSecret): SecretRecord {
    if (!SECRET_NAME.test(name)) {
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    if (this.#secrets.has(name)) {
      throw resourceExists(`The operation failed because the secret ${name} already exists.`);
    }
    const now = new Date();
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${arnSuffix()}`,
      name,
      ...(description !== undefined && { description }),
      tags,
      createdDate: now,
      versions: new Map(),
      lastChangedDate: now,
      lastManualRotationDate: now,
      rotation: {},
      rotationTokensReceived: [],
    };
    if (version) attachStage(secret, AWSCURRENT, addVersion(secret, version.id, version.value));
    this.#secrets.set(name, secret);
    this.#byPartialArn.set(secret.arn.slice(0, -ARN_SUFFIX_LENGTH), secret);
    return secret;
  }

  /** Every secret, in creation order. */
  all(): SecretRecord[] {
    return [...this.#secrets.values()];
  }

  findByName(name: string): SecretRecord | undefined {
    return this.#secrets.get(name);
  }

  /** Resolves a SecretId given as a name, a full ARN, or a partial ARN (without the random suffix). */
  find(secretId: string): SecretRecord {
    const secret = secretId.startsWith('arn:')
      ? [secretId, secretId.slice(0, -ARN_SUFFIX_LENGTH)]
          .map((partial) => this.#byPartialArn.get(partial))
          .find(
            (candidate) =>
              candidate?.arn === secretId || candidate?.arn.slice(0, -ARN_SUFFIX_LENGTH) === secretId,
          )
      : this.#secrets.get(secretId);
    if (!secret) throw secretNotFound();
    return secret;
  }
}

/** AWS appends a hyphen and six random characters so a re-created name never matches an old ARN. */
function arnSuffix(): string {
  const random = () => ARN_SUFFIX_ALPHABET[randomInt(ARN_SUFFIX_ALPHABET.length)];
  return Array.from({ length: ARN_SUFFIX_LENGTH - 1 }, random).join('');
}

export function addVersion(secret: SecretRecord, id: string, value: string | undefined): SecretVersion {
  const version: SecretVersion = { id, value, stages: new Set(), createdDate: new Date() };
  secret.versions.set(id, version);
  return version;
}

export function versionWithStage(secret: SecretRecord, stage: string): SecretVersion | undefined {
  for (const version of secret.versions.values()) if (version.stages.has(stage)) return version;
  return undefined;
}

/**
 * Puts a staging label on a version, taking it off whichever version held it (a label is on at most one
 * version). Moving AWSCURRENT moves AWSPREVIOUS to the version AWSCURRENT left, as every write operation
 * documents. AWSPENDING is deliberately left alone: real AWS has been seen keeping it on the new current
 * version (aws-samples/aws-secrets-manager-rotation-lambdas#168), so rotation code must remove it itself.
 */
export function attachStage(secret: SecretRecord, stage: string, version: SecretVersion): void {
  const holder = versionWithStage(secret, stage);
  if (holder === version) return;
  holder?.stages.delete(stage);
  version.stages.add(stage);
  if (stage === AWSCURRENT && holder) attachStage(secret, AWSPREVIOUS, holder);
}

/** The version a rotation is working on: AWSPENDING on a version other than AWSCURRENT. */
export function pendingRotationVersion(secret: SecretRecord): SecretVersion | undefined {
  const pending = versionWithStage(secret, AWSPENDING);
  return pending?.stages.has(AWSCURRENT) ? undefined : pending;
}
