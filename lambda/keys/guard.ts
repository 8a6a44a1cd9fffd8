import { AWSCURRENT, AWSPENDING, type SecretDescription, type SecretStore } from '../ports.js';
import { RotationStateError } from '../telemetry/errors.js';

export interface RotationState {
  readonly secret: SecretDescription;
  /** The token's version already holds AWSCURRENT: this rotation has been promoted. */
  readonly alreadyCurrent: boolean;
}

/**
 * The staging guard every step runs first, in the order of the AWS rotation template: rotation enabled,
 * token is a version of the secret, token already AWSCURRENT (a finished rotation), token staged AWSPENDING.
 */
export async function checkRotationState(
  store: SecretStore,
  secretId: string,
  token: string,
): Promise<RotationState> {
  return checkStagedRotation(await store.describe(secretId), token);
}

/** The staging guard over a secret already described. */
export function checkStagedRotation(secret: SecretDescription, token: string): RotationState {
  if (!secret.rotationEnabled) {
    throw new RotationStateError(
      `Rotation is not enabled for secret ${secret.arn}. Enable rotation on the secret (the stack does) before invoking a rotation step.`,
    );
  }
  const stages = stagesOf(secret, token);
  if (stages === undefined) {
    throw new RotationStateError(
      `Version ${token} is not a staged version of secret ${secret.arn}: the rotation it belongs to was abandoned ` +
        'or never started. Start a new rotation.',
    );
  }
  if (stages.includes(AWSCURRENT)) return { secret, alreadyCurrent: true };
  if (!stages.includes(AWSPENDING)) {
    throw new RotationStateError(
      `Version ${token} of secret ${secret.arn} is not staged AWSPENDING (it has ${stages.join(', ') || 'no labels'}), ` +
        'so it is not the rotation in progress. Start a new rotation.',
    );
  }
  return { secret, alreadyCurrent: false };
}

/**
 * The staging labels of a version, undefined for a version the secret does not have. An own-property
 * lookup: a version id of `__proto__` or `constructor` must not find Object.prototype's members.
 */
export function stagesOf(secret: SecretDescription, versionId: string): readonly string[] | undefined {
  return Object.hasOwn(secret.versions, versionId) ? secret.versions[versionId] : undefined;
}

/** The id of the version that holds `stage`, if any. */
export function versionWithStage(secret: SecretDescription, stage: string): string | undefined {
  return Object.entries(secret.versions).find(([, stages]) => stages.includes(stage))?.[0];
}
