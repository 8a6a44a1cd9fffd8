import { InvalidEventError, printable } from '../telemetry/errors.js';

/**
 * `{"Action": "audit", "SecretIds": ["<arn>", ...]}`: the daily audit the stack schedules. It only reads, so
 * the list is checked whole before the first call: at most MAX_AUDITED_SECRETS ids, each a non-empty string.
 */
export interface AuditEvent {
  readonly kind: 'audit';
  readonly secretIds: readonly string[];
}

export const AUDIT_ACTION = 'audit';
const MAX_AUDITED_SECRETS = 100;
// Secrets Manager's limit on a SecretId (an ARN or a name).
export const MAX_SECRET_ID_LENGTH = 2_048;

export function parseAuditEvent(event: Readonly<Record<string, unknown>>): AuditEvent {
  const unknown = Object.keys(event).filter((key) => key !== 'Action' && key !== 'SecretIds');
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unexpected field(s) in an audit event: ${unknown.map((key) => `"${printable(key)}"`).join(', ')}`,
    );
  }
  const ids = event.SecretIds;
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new InvalidEventError('SecretIds must be a non-empty list of secret ARNs or names');
  }
  if (ids.length > MAX_AUDITED_SECRETS) {
    throw new InvalidEventError(
      `SecretIds lists ${ids.length} secrets; an audit takes at most ${MAX_AUDITED_SECRETS}: split the list`,
    );
  }
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || id.trim() === '' || id.length > MAX_SECRET_ID_LENGTH) {
      throw new InvalidEventError(
        `SecretIds[${index}] must be a secret ARN or name (a string of 1 to ${MAX_SECRET_ID_LENGTH} characters)`,
      );
    }
  });
  return { kind: 'audit', secretIds: [...new Set(ids as string[])] };
}
