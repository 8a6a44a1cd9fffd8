import {
  type Input,
  memberName,
  missing,
  optionalInteger,
  optionalStructure,
  wrongType,
} from '../aws/input.js';
import { validationError } from '../aws/service-error.js';

/** The name patterns of the model: schedule, group and prefix names, and client tokens. */
export const NAME_PATTERN = '[0-9a-zA-Z-_.]+';
export const CLIENT_TOKEN_PATTERN = '[a-zA-Z0-9-_]+';

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
    throw validationError(`${at} have length greater than or equal to ${min}`);
  }
  if (max !== undefined && value.length > max) {
    throw validationError(`${at} have length less than or equal to ${max}`);
  }
  if (pattern !== undefined && !new RegExp(`^(?:${pattern})$`).test(value)) {
    throw validationError(`${at} satisfy regular expression pattern: ${pattern}`);
  }
  if (values !== undefined && !values.includes(value)) {
    throw validationError(`${at} satisfy enum value set: [${values.join(', ')}]`);
  }
}

/** restJson1 sends timestamps in a body as epoch seconds. */
export function optionalTimestamp(input: Input, key: string, path = key): Date | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(path, 'epoch seconds');
  return new Date(value * 1000);
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
  if (!/^-?\d+$/.test(raw)) throw wrongType(key, 'an integer');
  return optionalInteger({ [key]: value }, key, min, max);
}
