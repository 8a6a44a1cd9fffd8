import { createHash } from 'node:crypto';
import { RotationStateError } from '../telemetry/errors.js';

/**
 * How a Factify key records which secret and which rotation created it. Factify shows a key's secret only
 * at creation and has no idempotency key, so the key's name is the only durable link between a key and the
 * rotation that made it: `fkr-<secret tag>-<ClientRequestToken>`. The tag is a hash of the secret's ARN
 * (which includes Secrets Manager's random suffix), so a recreated secret with the same name is another
 * owner, and other applications' keys can never match.
 */
const PREFIX = 'fkr';
const TAG_LENGTH = 10;
/** Factify's limit on key names. */
export const MAX_KEY_NAME_LENGTH = 63;

export function secretTag(secretArn: string): string {
  return createHash('sha256').update(secretArn).digest('hex').slice(0, TAG_LENGTH);
}

/** The name of the key that the rotation `token` of the secret creates. */
export function keyNameFor(secretArn: string, token: string): string {
  const name = `${ownerPrefix(secretArn)}${token}`;
  if (name.length > MAX_KEY_NAME_LENGTH) {
    const room = MAX_KEY_NAME_LENGTH - ownerPrefix(secretArn).length;
    throw new RotationStateError(
      `ClientRequestToken ${token} is ${token.length} characters, but a Factify key name (at most ` +
        `${MAX_KEY_NAME_LENGTH} characters) has room for ${room}. Start the rotation without a ClientRequestToken ` +
        '(Secrets Manager then uses a UUID) or with one of at most that length.',
    );
  }
  return name;
}

/** Whether a key was created by a rotation of this secret. */
export function isOwnedBy(keyName: string, secretArn: string): boolean {
  return keyName.startsWith(ownerPrefix(secretArn));
}

/**
 * The ClientRequestToken of the rotation of this secret that created the key named `keyName` (which is the
 * id of the version that stores it), or undefined for a key no rotation of this secret created.
 */
export function rotationTokenOf(keyName: string, secretArn: string): string | undefined {
  if (!isOwnedBy(keyName, secretArn)) return undefined;
  const token = keyName.slice(ownerPrefix(secretArn).length);
  return token === '' ? undefined : token;
}

function ownerPrefix(secretArn: string): string {
  return `${PREFIX}-${secretTag(secretArn)}-`;
}

const ROTATION_KEY_NAME = new RegExp(`^${PREFIX}-[0-9a-f]{${TAG_LENGTH}}-.`);

/**
 * Whether a key's name says another secret's rotation created it. Only the key manager sets names, so this
 * is never a reason to revoke; it is a reason not to.
 */
export function isRotationKeyOfAnotherSecret(keyName: string, secretArn: string): boolean {
  return ROTATION_KEY_NAME.test(keyName) && !isOwnedBy(keyName, secretArn);
}
