import { ServiceError, validationError } from './service-error.js';

/** A parsed JSON request body. Its members are untrusted until read through the helpers below. */
export type Input = Readonly<Record<string, unknown>>;

/** Parses a JSON request body, which both JSON protocols require to be an object (empty means `{}`). */
export function parseInput(body: string): Input {
  let input: unknown;
  try {
    input = body === '' ? {} : JSON.parse(body);
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  }
  return input as Input;
}

/** A member as AWS's validation messages name it: camelCase path segments, e.g. 'target.roleArn'. */
export function memberName(path: string): string {
  return path
    .split('.')
    .map((segment) => segment.charAt(0).toLowerCase() + segment.slice(1))
    .join('.');
}

/** A member of the wrong JSON type fails deserialization, before any model constraint is checked. */
export function wrongType(path: string, expected: string): ServiceError {
  return new ServiceError('SerializationException', `${path} must be ${expected}`);
}

export function missing(path: string): ServiceError {
  return validationError(
    `Value null at '${memberName(path)}' failed to satisfy constraint: Member must not be null`,
  );
}

/** Reads an integer member at `path` (e.g. 'Target.RetryPolicy.MaximumRetryAttempts') within its range. */
export function optionalInteger(input: Input, key: string, min: number, max: number, path = key) {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
  if (value < min || value > max) {
    const bound = value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
    throw validationError(
      `Value '${value}' at '${memberName(path)}' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  return value;
}

export function optionalStructure(input: Input, key: string, path = key): Input | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'a structure');
  return value as Input;
}
