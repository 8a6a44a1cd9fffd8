/**
 * An error as EventBridge Scheduler puts it on the wire (restJson1): the HTTP status its model gives
 * the error shape, the type in the `X-Amzn-ErrorType` header (which the SDK maps to an exception
 * class), and `{"Message": ...}` as the body.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = STATUS_BY_TYPE[type] ?? 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** The `httpError` of each error shape in the Scheduler model (2021-06-30), plus common ones. */
export const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

export function scheduleNotFound(name: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
}

export function groupNotFound(groupName: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', `Schedule group ${groupName} does not exist.`);
}

export function scheduleExists(name: string): ServiceError {
  return new ServiceError('ConflictException', `Schedule ${name} already exists.`);
}

/**
 * Model constraints (required members, lengths, patterns, enums, ranges) fail in AWS's request
 * framework with this message shape, e.g. "1 validation error detected: Value null at 'target' failed
 * to satisfy constraint: Member must not be null".
 */
export function constraintViolation(detail: string): ServiceError {
  return new ServiceError('ValidationException', `1 validation error detected: ${detail}`);
}

/** A semantic check of the service itself, e.g. "Invalid Schedule Expression rate(0 days)." */
export function invalid(message: string): ServiceError {
  return new ServiceError('ValidationException', message);
}
