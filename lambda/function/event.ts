import {
  AUDIT_ACTION,
  type AuditEvent,
  MAX_SECRET_ID_LENGTH,
  parseAuditEvent,
} from '../health/audit-event.js';
import { REVOKE_ACTION, type RevokeReplacedKeyEvent } from '../keys/revocation.js';
import { KEY_ID_PATTERN } from '../keys/secret-value.js';
import { InvalidEventError, printable } from '../telemetry/errors.js';
import { Sensitive } from '../telemetry/redaction.js';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

/** One step of a rotation, as Secrets Manager invokes it. */
export interface RotationStepEvent {
  readonly kind: 'rotation-step';
  readonly step: Step;
  readonly secretId: string;
  /** The id of the version being created; the idempotency key of the whole rotation. */
  readonly token: string;
  /** Present when Secrets Manager sends one; must go back on PutSecretValue and never be printed. */
  readonly rotationToken?: Sensitive;
}

/**
 * `{"SecretId": "..."}`, typed into the Lambda console: start a proper rotation. With
 * `"RevokeImmediately": true` (a leaked key), the replaced key is revoked in finishSecret whatever the grace.
 */
export interface StartRotationEvent {
  readonly kind: 'start-rotation';
  readonly secretId: string;
  readonly revokeImmediately: boolean;
}

export type InvocationEvent = RotationStepEvent | StartRotationEvent | RevokeReplacedKeyEvent | AuditEvent;

// Secrets Manager's documented bounds for ClientRequestToken and VersionId, and for SecretId (a name or ARN).
const TOKEN_MIN = 32;
const TOKEN_MAX = 64;
// Secrets Manager issues the RotationToken; this bound, far above any token it sends, only keeps a hostile
// event from carrying megabytes into memory and onto the wire.
const ROTATION_TOKEN_MAX = 4_096;

/**
 * Turns the raw invocation payload into one of the accepted shapes, or throws InvalidEventError naming the
 * problem and the accepted shapes. Error messages never quote the RotationToken.
 */
export function parseEvent(raw: unknown): InvocationEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidEventError(
      `expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const event = raw as Record<string, unknown>;
  if (event.Action === AUDIT_ACTION) return parseAuditEvent(event);
  const secretId = requireString(event, 'SecretId');
  if (secretId.length > MAX_SECRET_ID_LENGTH) {
    throw new InvalidEventError(
      `SecretId must be at most ${MAX_SECRET_ID_LENGTH} characters, got ${secretId.length}`,
    );
  }
  if ('Action' in event) return parseRevokeEvent(event, secretId);
  if (!('Step' in event) && !('ClientRequestToken' in event)) {
    rejectUnknownFields(event, ['SecretId', 'RevokeImmediately']);
    const revokeImmediately = event.RevokeImmediately ?? false;
    if (typeof revokeImmediately !== 'boolean')
      throw new InvalidEventError('RevokeImmediately must be true or false');
    return { kind: 'start-rotation', secretId, revokeImmediately };
  }

  const step = requireString(event, 'Step');
  if (!(STEPS as readonly string[]).includes(step)) {
    throw new InvalidEventError(`unknown Step "${printable(step)}"`);
  }
  const token = requireVersionId(event, 'ClientRequestToken');
  rejectUnknownFields(event, ['Step', 'SecretId', 'ClientRequestToken', 'RotationToken']);
  const rotationToken = event.RotationToken;
  if (
    rotationToken !== undefined &&
    (typeof rotationToken !== 'string' ||
      rotationToken.length === 0 ||
      rotationToken.length > ROTATION_TOKEN_MAX)
  ) {
    throw new InvalidEventError(
      `RotationToken, when present, must be a non-empty string of at most ${ROTATION_TOKEN_MAX} characters`,
    );
  }
  return {
    kind: 'rotation-step',
    step: step as Step,
    secretId,
    token,
    ...(rotationToken === undefined ? {} : { rotationToken: new Sensitive(rotationToken) }),
  };
}

function parseRevokeEvent(event: Record<string, unknown>, secretId: string): RevokeReplacedKeyEvent {
  if (event.Action !== REVOKE_ACTION) {
    throw new InvalidEventError(`unknown Action "${printable(String(event.Action))}"`);
  }
  rejectUnknownFields(event, ['Action', 'SecretId', 'VersionId', 'ApiKeyId']);
  const apiKeyId = requireString(event, 'ApiKeyId');
  if (!KEY_ID_PATTERN.test(apiKeyId))
    throw new InvalidEventError('ApiKeyId is not a Factify key id (key_...)');
  return { kind: 'revoke-replaced-key', secretId, versionId: requireVersionId(event, 'VersionId'), apiKeyId };
}

// A version id is a ClientRequestToken: 32 to 64 characters, so never `__proto__` or `constructor`.
function requireVersionId(event: Record<string, unknown>, field: string): string {
  const value = requireString(event, field);
  if (value.length < TOKEN_MIN || value.length > TOKEN_MAX) {
    throw new InvalidEventError(
      `${field} must be ${TOKEN_MIN} to ${TOKEN_MAX} characters, got ${value.length}`,
    );
  }
  return value;
}

function rejectUnknownFields(event: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(event).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unexpected field(s) ${unknown.map((key) => `"${printable(key)}"`).join(', ')}`,
    );
  }
}

function requireString(event: Record<string, unknown>, field: string): string {
  const value = event[field];
  if (value === undefined) throw new InvalidEventError(`missing ${field}`);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidEventError(`${field} must be a non-empty string`);
  }
  return value;
}
