import { ServiceError } from '../aws/service-error.js';

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
