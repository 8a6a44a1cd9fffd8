import { ServiceError } from '../aws/service-error.js';

/** The `httpError` of each error shape in the Scheduler model (2021-06-30), plus common ones. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/** The HTTP status the Scheduler model gives an error type, else 400. */
export function modeledStatus(type: string): number {
  return STATUS_BY_TYPE[type] ?? 400;
}

function modeledError(type: string, message: string): ServiceError {
  return new ServiceError(type, message, modeledStatus(type));
}

export function scheduleNotFound(name: string): ServiceError {
  return modeledError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
}

export function groupNotFound(groupName: string): ServiceError {
  return modeledError('ResourceNotFoundException', `Schedule group ${groupName} does not exist.`);
}

export function scheduleExists(name: string): ServiceError {
  return modeledError('ConflictException', `Schedule ${name} already exists.`);
}

/** A semantic check of the service itself, e.g. "Invalid Schedule Expression rate(0 days)." */
export function invalid(message: string): ServiceError {
  return new ServiceError('ValidationException', message);
}
