import type { FactifyKeys, RevocationScheduler, SealKey, SecretDescription, SecretStore } from './ports.js';
import type { Logger } from './telemetry/log.js';
import type { SecretMetrics } from './telemetry/metrics.js';
import type { Sensitive } from './telemetry/redaction.js';

/** What any work on a secret needs: the secret as described, the interfaces and the configuration. */
export interface SecretContext {
  readonly secret: SecretDescription;
  readonly store: SecretStore;
  readonly factify: FactifyKeys;
  /** The KMS HMAC key that seals the values this function writes (FACTIFY_SEAL_KEY_ID). */
  readonly sealKey: SealKey;
  /**
   * Every secret this function rotates, with its versions' labels (ListSecrets), for the check that a key
   * written by hand is not another secret's too; undefined when the function's ARN is unknown (then nothing
   * unsealed is revoked).
   */
  readonly rotatedSecrets?: () => Promise<readonly SecretDescription[]>;
  /** Loaded on first use: only a rotation with a grace period needs EventBridge Scheduler. */
  readonly scheduler: () => Promise<RevocationScheduler>;
  /** FACTIFY_ADMIN_SECRET_ID: when set, its key manages keys instead of the rotated key. */
  readonly adminSecretId?: string;
  /** REVOKE_GRACE_SECONDS: how long a replaced key stays valid after finishSecret. */
  readonly revokeGraceSeconds: number;
  readonly schedulerRoleArn?: string;
  /** This function's ARN, the target of revocation schedules. */
  readonly functionArn?: string;
  readonly log: Logger;
  /** The invocation's metrics for this secret (embedded in the log). */
  readonly metrics?: SecretMetrics;
  /** Milliseconds left before the Lambda times out. */
  readonly remainingMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

/** What a rotation step works with: the secret's context plus the rotation's ids. */
export interface StepContext extends SecretContext {
  /** ClientRequestToken: the id of the version this rotation creates. */
  readonly token: string;
  readonly rotationToken?: Sensitive;
  /** The token's version already holds AWSCURRENT (the rotation was promoted earlier). */
  readonly alreadyCurrent: boolean;
}
