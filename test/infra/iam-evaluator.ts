/**
 * A small evaluator of IAM identity-policy statements, faithful to IAM's documented evaluation for what the
 * stack emits: an explicit Deny wins, else any matching Allow allows, else the request is implicitly denied.
 * A statement matches when its Action (or NotAction) and Resource (or NotResource) match, with `*` and `?`
 * wildcards (actions case-insensitively), and every condition operator matches; within an operator every key must
 * match, and a key matches when any of its values does. A key missing from the request context fails a positive
 * operator, passes a negated one, and passes any `...IfExists` operator. ArnLike/ArnEquals compare each of the
 * six colon-delimited parts of the ARN separately.
 */

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'allowed' | 'implicitly denied' | 'explicitly denied';

export function evaluate(statements: readonly Statement[], request: Request): Decision {
  const matching = statements.filter((statement) => matches(statement, request));
  if (matching.some((statement) => statement.Effect === 'Deny')) return 'explicitly denied';
  return matching.some((statement) => statement.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function matches(statement: Statement, request: Request): boolean {
  const action = (patterns: readonly string[]) => patterns.some((p) => wildcard(p, request.action, true));
  if (statement.Action !== undefined && !action(list(statement.Action))) return false;
  if (statement.NotAction !== undefined && action(list(statement.NotAction))) return false;
  const resource = (patterns: readonly string[]) => patterns.some((p) => wildcard(p, request.resource));
  if (statement.Resource !== undefined && !resource(list(statement.Resource))) return false;
  if (statement.NotResource !== undefined && resource(list(statement.NotResource))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => condition(operator, request.context?.[key], list(values))),
  );
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function arnLike(pattern: string, value: string): boolean {
  const p = arnParts(pattern);
  const v = arnParts(value);
  if (!p || !v) return false;
  return p.every((part, index) => wildcard(part, v[index] as string));
}

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => wildcard(p, v),
  ArnEquals: arnLike,
  ArnLike: arnLike,
  Bool: (p, v) => p.toLowerCase() === v.toLowerCase(),
};

function condition(operator: string, value: string | undefined, patterns: readonly string[]): boolean {
  if (operator === 'Null') {
    // "true": the key must be absent; "false": present.
    return patterns.some((pattern) => (pattern === 'true') === (value === undefined));
  }
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const negated = /^(String|Arn)Not/.test(base);
  const positive = base.replace(/^(String|Arn)Not/, '$1');
  const test = OPERATORS[positive];
  if (!test) throw new Error(`the evaluator does not know the condition operator ${operator}`);
  if (value === undefined) return ifExists || negated;
  const any = patterns.some((pattern) => test(pattern, value));
  return negated ? !any : any;
}
