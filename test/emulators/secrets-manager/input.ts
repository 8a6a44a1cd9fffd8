import { invalidParameter, invalidRequest, ServiceError, validationError } from './errors.js';

/** A parsed JSON request body. Its members are untrusted until read through the helpers below. */
export type Input = Readonly<Record<string, unknown>>;

/** AWS's validation messages name members in camelCase ('secretId', 'clientRequestToken'). */
function member(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function wrongType(key: string, expected: string): ServiceError {
  return new ServiceError('SerializationException', `${key} must be ${expected}`);
}

export function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(key, 'a string');
  return value;
}

export function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) {
    throw validationError(
      `Value null at '${member(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value === '') {
    throw validationError(
      `Value at '${member(key)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return value;
}

export function optionalBoolean(input: Input, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(key, 'a boolean');
  return value;
}

/** Reads an integer member and enforces its documented range. */
export function optionalInteger(input: Input, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(key, 'an integer');
  if (value < min || value > max) {
    const bound = value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
    throw validationError(
      `Value '${value}' at '${member(key)}' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  return value;
}

export function optionalStringList(input: Input, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw wrongType(key, 'a list of strings');
  }
  return value;
}

export function optionalStructure(input: Input, key: string): Input | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(key, 'a structure');
  return value as Input;
}

/**
 * The version id of a write. The SDKs fill it in with a UUID; a raw request without it is refused, as
 * the API reference requires ("you must generate a ClientRequestToken and include it in the request").
 */
export function clientRequestToken(input: Input): string {
  const token = optionalString(input, 'ClientRequestToken');
  if (token === undefined) {
    throw invalidRequest('You must provide a ClientRequestToken value. We recommend a UUID-type value.');
  }
  if (token.length < 32 || token.length > 64) {
    const bound = token.length < 32 ? 'greater than or equal to 32' : 'less than or equal to 64';
    throw validationError(
      `Value at 'clientRequestToken' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  return token;
}

/**
 * The secret value of a write. Only `SecretString` is emulated: the rotation under test stores JSON text,
 * and refusing `SecretBinary` loudly beats storing it with semantics nobody checked.
 */
export function secretString(input: Input): string | undefined {
  if (input.SecretBinary !== undefined && input.SecretBinary !== null) {
    throw invalidParameter('This emulator does not support SecretBinary.');
  }
  return optionalString(input, 'SecretString');
}
