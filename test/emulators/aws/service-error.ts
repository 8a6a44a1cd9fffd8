/**
 * An AWS error before a protocol server puts it on the wire: the type the SDK maps to an exception
 * class (e.g. `ResourceNotFoundException`), a message, and the HTTP status.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Further members of the error body, e.g. a service echoing part of the request. */
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * Model constraints (required members, lengths, patterns, enums, ranges) are checked by AWS's request
 * framework before the service sees the request, so they fail with `ValidationException` and this
 * message shape, e.g. "1 validation error detected: Value null at 'secretId' failed to satisfy
 * constraint: Member must not be null".
 */
export function validationError(detail: string): ServiceError {
  return new ServiceError('ValidationException', `1 validation error detected: ${detail}`);
}
