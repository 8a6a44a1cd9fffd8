import { type Input, memberName, missing, wrongType } from '../aws/input.js';
import { validationError } from '../aws/service-error.js';
import { invalidParameter, invalidRequest } from './errors.js';

export function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(key, 'a string');
  return value;
}

export function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) throw missing(key);
  if (value === '') {
    throw validationError(
      `Value at '${memberName(key)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
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

export function optionalStringList(input: Input, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw wrongType(key, 'a list of strings');
  }
  return value;
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
