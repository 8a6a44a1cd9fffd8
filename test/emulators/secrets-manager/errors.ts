/**
 * An error as Secrets Manager puts it on the wire: the `__type` the SDK maps to an exception class
 * (e.g. `ResourceNotFoundException`), a message, and the HTTP status.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export function secretNotFound(): ServiceError {
  return new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
}

/** `what` is e.g. "VersionId: <id>" or "staging label: AWSPENDING", as in the messages AWS returns. */
export function secretValueNotFound(what: string): ServiceError {
  return new ServiceError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for ${what}`,
  );
}

export function invalidParameter(message: string): ServiceError {
  return new ServiceError('InvalidParameterException', message);
}

export function invalidRequest(message: string): ServiceError {
  return new ServiceError('InvalidRequestException', message);
}

export function resourceExists(message: string): ServiceError {
  return new ServiceError('ResourceExistsException', message);
}

export function accessDenied(message: string): ServiceError {
  return new ServiceError('AccessDeniedException', message);
}

/**
 * Model constraints (required members, lengths, ranges) are checked by AWS's request framework before
 * Secrets Manager sees the request, so they fail with `ValidationException` and this message shape
 * (observed e.g. as "Value null at 'secretId' failed to satisfy constraint: Member must not be null").
 */
export function validationError(detail: string): ServiceError {
  return new ServiceError('ValidationException', `1 validation error detected: ${detail}`);
}
