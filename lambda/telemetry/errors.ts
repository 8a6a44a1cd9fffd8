import { redact } from './redaction.js';

/**
 * Every failure the rotation function reports. Each error has a stable `code` that operators and tests can
 * branch on, and a message that says what happened and what to do. No message ever contains a key or a
 * RotationToken: they are built only from ids, names and statuses.
 */
export class RotationError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The invocation event is not one of the accepted shapes. Thrown before any call is made. */
export class InvalidEventError extends RotationError {
  constructor(problem: string) {
    super(
      'INVALID_EVENT',
      `Invalid event: ${problem}. Accepted shapes: a Secrets Manager rotation event ` +
        '{"Step": "createSecret"|"setSecret"|"testSecret"|"finishSecret", "SecretId": "<arn>", ' +
        '"ClientRequestToken": "<version id>", "RotationToken"?: "<token>"}; {"SecretId": "<arn or name>"} ' +
        'to start a rotation by hand, with "RevokeImmediately": true to revoke the old key at once (leaked key); ' +
        'the scheduled revocation {"Action": "revokeReplacedKey", "SecretId": "<arn>", ' +
        '"VersionId": "<replaced version id>", "ApiKeyId": "key_..."}; ' +
        'or the daily audit {"Action": "audit"} of every secret this function rotates, or of the ones named with ' +
        '"SecretIds": ["<arn>", ...] (1 to 100).',
    );
  }
}

/** The function's environment is wrong. Thrown before any call is made. */
export class ConfigurationError extends RotationError {
  constructor(message: string) {
    super('INVALID_CONFIGURATION', message);
  }
}

/** The audit ran out of time before it could check the secret. */
export class AuditTimeError extends RotationError {
  constructor(message: string) {
    super('NOT_CHECKED_IN_TIME', message);
  }
}

/** The secret is not in a state in which this rotation step may run. */
export class RotationStateError extends RotationError {
  constructor(message: string) {
    super('INVALID_ROTATION_STATE', message);
  }
}

/** A secret value (the rotated secret, its pending version or the admin secret) is not what we expect. */
export class MalformedSecretValueError extends RotationError {
  constructor(message: string) {
    super('MALFORMED_SECRET_VALUE', message);
  }
}

/** The secret's current key cannot be matched to exactly one key at Factify. */
export class KeyResolutionError extends RotationError {
  constructor(message: string) {
    super('KEY_NOT_RESOLVED', message);
  }
}

/**
 * A RotationStateError of its own type (same code): a key was about to be revoked without evidence that this secret may revoke it (ownership.ts): it is, or
 * may be, a key something still uses. Nothing was revoked; the message names the key for a person to decide.
 */
export class RevocationRefusedError extends RotationStateError {}

/** The organization already has Factify's maximum of active keys, none of which this secret may revoke. */
export class KeyLimitError extends RotationError {
  constructor(
    readonly activeKeyIds: readonly string[],
    limit: number,
  ) {
    super(
      'KEY_LIMIT_REACHED',
      `The Factify organization already has ${activeKeyIds.length} active API keys (the limit is ${limit}): ` +
        `${activeKeyIds.join(', ')}. None of them was created by this secret's rotations, so none is revoked to ` +
        'make room. Revoke a key that is no longer used (Factify dashboard: Manage > API Keys), then retry the rotation.',
    );
  }
}

/**
 * A listing (Factify's keys, a secret's versions, the account's secrets) went past the documented bound on its
 * pages or items, so reading stopped there: a listing that never ends must not take all memory or time.
 */
export class ListingLimitError extends RotationError {
  constructor(listing: string, limit: string, advice: string) {
    super(
      'LISTING_LIMIT_REACHED',
      `Stopped reading ${listing} at ${limit}, the most this tool reads: the listing goes on further than any ` +
        `real one should, so its source is broken or hostile. Nothing was changed. ${advice}`,
    );
  }
}

/** The audit was asked to inspect the admin secret (FACTIFY_ADMIN_SECRET_ID), which it never does. */
export class AdminSecretRefusedError extends RotationError {
  constructor() {
    super(
      'ADMIN_SECRET_REFUSED',
      'The audit does not inspect the admin secret (FACTIFY_ADMIN_SECRET_ID): it holds the key that manages ' +
        "keys, not a rotated one. Remove it from the audit's SecretIds.",
    );
  }
}

/** Two keys that must belong to the same Factify organization do not. */
export class OrganizationMismatchError extends RotationError {
  constructor(message: string) {
    super('ORGANIZATION_MISMATCH', message);
  }
}

/** The pending key did not pass testSecret. */
export class KeyVerificationError extends RotationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEY_VERIFICATION_FAILED', message, options);
  }
}

/** Base class of every failure reported by, or on the way to, the Factify API. */
export class FactifyError extends RotationError {
  constructor(
    code: string,
    message: string,
    /** HTTP status, when Factify answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** 401: the key is unknown, revoked or expired (or not yet propagated). */
export class FactifyAuthenticationError extends FactifyError {
  constructor(message: string, status = 401) {
    super('FACTIFY_UNAUTHENTICATED', message, status);
  }
}

/** 403: the key is valid but may not do this; for key management that means it lacks the admin role. */
export class FactifyPermissionError extends FactifyError {
  constructor(message: string) {
    super('FACTIFY_FORBIDDEN', message, 403);
  }
}

/** 429 that could not be waited out within the invocation's remaining time. */
export class FactifyRateLimitError extends FactifyError {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super('FACTIFY_RATE_LIMITED', message, 429);
  }
}

/** Factify was unreachable, timed out, or answered 5xx on every attempt. */
export class FactifyUnavailableError extends FactifyError {
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('FACTIFY_UNAVAILABLE', message, status, options);
  }
}

/**
 * A request that changes state (creating a key) failed in a way that leaves its outcome unknown: Factify may
 * have applied it. It must not be retried blindly; the caller reconciles through the key's unique name.
 */
export class FactifyOutcomeUnknownError extends FactifyError {
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('FACTIFY_OUTCOME_UNKNOWN', message, status, options);
  }
}

/** Factify answered with a 4xx the request did not expect (validation, not found, conflict). */
export class FactifyRequestError extends FactifyError {
  constructor(
    message: string,
    status: number,
    /** Factify's machine-readable error code, when the body carried one. */
    readonly factifyCode?: string,
  ) {
    super('FACTIFY_REQUEST_REJECTED', message, status);
  }
}

/**
 * Factify's answer was larger than any documented answer can be. Reading stopped at the cap and the
 * connection was dropped, so a hostile or broken answer cannot exhaust the function's memory.
 */
export class FactifyResponseTooLargeError extends FactifyError {
  constructor(message: string, status: number) {
    super('FACTIFY_RESPONSE_TOO_LARGE', message, status);
  }
}

/** Factify answered, but not in the documented shape. */
export class FactifyUnexpectedResponseError extends FactifyError {
  constructor(message: string, status?: number) {
    super('FACTIFY_UNEXPECTED_RESPONSE', message, status);
  }
}

// A message longer than this is cut: an error must not copy a huge value (a 2 MB SecretId) into every log.
const MAX_REPORTED_MESSAGE = 2_000;
const READABLE_NAME = /^[A-Za-z_$][\w$.-]{0,99}$/;

/**
 * The error the handler throws in place of `error`. The Lambda runtime logs every own enumerable property of
 * a thrown error (and of errors nested in it), so a fresh error is built rather than the original scrubbed:
 * it has the original's class (for `instanceof`) and readable name, the stable `code` (`UNEXPECTED_ERROR` for
 * an error that is not a RotationError), the message redacted and clipped, and the original's stack frames.
 * Nothing else: no `cause`, no field an SDK or Factify error carried (request ids, echoed request bodies).
 */
export function reportedError(error: unknown): Error {
  const original = error instanceof Error ? error : undefined;
  const name =
    original && READABLE_NAME.test(original.name) && redact(original.name) === original.name
      ? original.name
      : 'Error';
  const code = original instanceof RotationError ? original.code : 'UNEXPECTED_ERROR';
  const redacted = redact(
    original ? (serviceErrorMessage(original, name) ?? original.message) : String(error),
  );
  const message =
    redacted.length > MAX_REPORTED_MESSAGE ? `${redacted.slice(0, MAX_REPORTED_MESSAGE)}...` : redacted;
  // Construct Error with the original's class as new.target: the class's prototype without running its
  // constructor, which would set the fields that must not travel.
  const target = original?.constructor;
  const fresh: Error = Reflect.construct(
    Error,
    [message],
    typeof target === 'function' && original instanceof target ? target : Error,
  );
  Object.defineProperties(fresh, {
    name: { value: name, enumerable: true, writable: true, configurable: true },
    code: { value: code, enumerable: true, writable: true, configurable: true },
  });
  const frames = (original?.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  Object.defineProperty(fresh, 'stack', {
    value: redact([`${name}: ${message}`, ...frames.slice(0, 50)].join('\n')),
    writable: true,
    configurable: true,
  });
  return fresh;
}

/**
 * An AWS service's error (the SDK marks it with $metadata) is reported by its name and HTTP status only. The
 * service's own text may echo the request (a key, the RotationToken) in any encoding, which no redaction can
 * all recognise, so it is never printed: the name is AWS's documented error code.
 */
function serviceErrorMessage(error: Error, name: string): string | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const status = typeof metadata.httpStatusCode === 'number' ? ` (HTTP ${metadata.httpStatusCode})` : '';
  return (
    `AWS answered ${name}${status}. Its own message is not shown, since it may repeat the request: ` +
    "look the code up in the service's API reference (Errors) for what it means."
  );
}

/** User input echoed into an error: one short line of printable ASCII. */
export function printable(value: string): string {
  const flat = value.replace(/[^\x20-\x7e]/g, '?');
  return flat.length > 40 ? `${flat.slice(0, 40)}...` : flat;
}
