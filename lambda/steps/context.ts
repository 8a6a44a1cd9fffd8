import type { Logger } from '../log.js';
import type { FactifyKeys, SecretDescription, SecretStore } from '../ports.js';
import type { Sensitive } from '../sensitive.js';

/** What every rotation step works with: the guarded secret, the rotation's ids and the two interfaces. */
export interface StepContext {
  readonly secret: SecretDescription;
  /** ClientRequestToken: the id of the version this rotation creates. */
  readonly token: string;
  readonly rotationToken?: Sensitive;
  /** The token's version already holds AWSCURRENT (the rotation was promoted earlier). */
  readonly alreadyCurrent: boolean;
  readonly store: SecretStore;
  readonly factify: FactifyKeys;
  /** FACTIFY_ADMIN_SECRET_ID: when set, its key manages keys instead of the rotated key. */
  readonly adminSecretId?: string;
  readonly log: Logger;
  /** Milliseconds left before the Lambda times out. */
  readonly remainingMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}
