import { constraintViolation, ServiceError } from './errors.js';

/** A parsed JSON body, or query parameters. Members are untrusted until read through the helpers below. */
export type Input = Readonly<Record<string, unknown>>;

/** The name patterns of the model: schedule, group and prefix names, and client tokens. */
export const NAME_PATTERN = '[0-9a-zA-Z-_.]+';
export const CLIENT_TOKEN_PATTERN = '[a-zA-Z0-9-_]+';

/** A member as AWS's validation messages name it: camelCase path segments, e.g. 'target.roleArn'. */
export function memberName(path: string): string {
  return path
    .split('.')
    .map((segment) => segment.charAt(0).toLowerCase() + segment.slice(1))
    .join('.');
}

function wrongType(path: string, expected: string): ServiceError {
  return new ServiceError('SerializationException', `${path} must be ${expected}`);
}

export interface StringRules {
  min?: number;
  max?: number;
  /** A documented pattern, matched against the whole value. */
  pattern?: string;
  /** The documented valid values. */
  values?: readonly string[];
}

/** Reads a string member at `path` (e.g. 'Target.RoleArn') and enforces its model constraints. */
export function optionalString(input: Input, key: string, path = key, rules: StringRules = {}) {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(path, 'a string');
  checkString(value, path, rules);
  return value;
}

export function requiredString(input: Input, key: string, path = key, rules: StringRules = {}): string {
  const value = optionalString(input, key, path, rules);
  if (value === undefined) throw missing(path);
  return value;
}

export function checkString(value: string, path: string, { min = 0, max, pattern, values }: StringRules) {
  const at = `Value '${value}' at '${memberName(path)}' failed to satisfy constraint: Member must`;
  if (value.length < min) {
    throw constraintViolation(`${at} have length greater than or equal to ${min}`);
  }
  if (max !== undefined && value.length > max) {
    throw constraintViolation(`${at} have length less than or equal to ${max}`);
  }
  if (pattern !== undefined && !new RegExp(`^(?:${pattern})$`).test(value)) {
    throw constraintViolation(`${at} satisfy regular expression pattern: ${pattern}`);
  }
  if (values !== undefined && !values.includes(value)) {
    throw constraintViolation(`${at} satisfy enum value set: [${values.join(', ')}]`);
  }
}

export function missing(path: string): ServiceError {
  return constraintViolation(
    `Value null at '${memberName(path)}' failed to satisfy constraint: Member must not be null`,
  );
}

/** Reads an integer member and enforces its documented range. */
export function optionalInteger(input: Input, key: string, path: string, min: number, max: number) {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
  if (value < min || value > max) {
    const bound = value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
    throw constraintViolation(
      `Value '${value}' at '${memberName(path)}' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  return value;
}

/** restJson1 sends timestamps in a body as epoch seconds. */
export function optionalTimestamp(input: Input, key: string, path = key): Date | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(path, 'epoch seconds');
  return new Date(value * 1000);
}

export function optionalStructure(input: Input, key: string, path = key): Input | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(path, 'a structure');
  return value as Input;
}

export function requiredStructure(input: Input, key: string, path = key): Input {
  const value = optionalStructure(input, key, path);
  if (value === undefined) throw missing(path);
  return value;
}

/** Reads an integer query parameter, e.g. MaxResults, and enforces its range. */
export function queryInteger(query: URLSearchParams, key: string, min: number, max: number) {
  const raw = query.get(key);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw)) throw new ServiceError('SerializationException', `${key} must be an integer`);
  return optionalInteger({ [key]: value }, key, key, min, max);
}
