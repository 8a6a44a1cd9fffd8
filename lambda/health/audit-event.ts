import { InvalidEventError, printable } from '../telemetry/errors.js';

/**
 * `{"Action": "audit"}`: the daily audit the stack schedules, of every secret whose rotation function is this
 * function. `{"Action": "audit", "SecretIds": ["<arn>", ...]}` audits only those (1 to MAX_AUDITED_SECRETS ids,
 * each a non-empty string), checked whole before the first call.
 */
export interface AuditEvent {
  readonly kind: 'audit';
  /** The secrets named; undefined to audit every secret this function rotates. */
  readonly secretIds?: readonly string[];
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
  if (ids === undefined) return { kind: 'audit' };
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_AUDITED_SECRETS) {
    throw new InvalidEventError(
      `SecretIds, when given, must list 1 to ${MAX_AUDITED_SECRETS} secret ARNs or names` +
        `${Array.isArray(ids) ? ` (got ${ids.length})` : ''}; leave it out to audit every secret this function rotates`,
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
