/**
 * Factify documents three error body shapes: RFC 9457 problem details on the /v1 reference pages, the
 * guides' {"error": {...}}, and the older ConnectRPC {code, message, details}. Callers branch on the HTTP
 * status; this only extracts what an operator should read.
 */
export interface Problem {
  /** Factify's documented machine-readable code (e.g. insufficient_permissions), when the body has one. */
  readonly code?: string;
  /** Composed here from the code and the field, never from Factify's own text: `invalid_field_value, field "name"`. */
  readonly detail: string;
  /** `retry_after` in seconds, from a 429 body. */
  readonly retryAfterSeconds?: number;
}

// The codes, types and reasons Factify documents (shared/reference/factify-api.md §4). Anything else in a
// body is free text: it may echo the request, the bearer key included, in an encoding no redaction list can
// all recognise (base64, URL or HTML escapes, zero-width splits, full-width letters), so it is never kept.
const DOCUMENTED_CODES = new Set([
  // The guides' error types and codes.
  'invalid_request_error',
  'authentication_error',
  'authorization_error',
  'not_found_error',
  'rate_limit_error',
  'api_error',
  'missing_required_field',
  'invalid_field_value',
  'invalid_enum_value',
  'invalid_page_token',
  // ConnectRPC codes and reasons (v1beta), and the authentication guide's codes.
  'invalid_argument',
  'failed_precondition',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'resource_exhausted',
  'internal',
  'unavailable',
  'missing_api_key',
  'invalid_api_key',
  'expired_api_key',
  'insufficient_permissions',
  'resource_not_found',
  'resource_already_exists',
  'rate_limit_exceeded',
  'quota_exceeded',
  'precondition_failed',
]);
// A problem type is a URL on Factify's documentation site naming the error with a short slug.
const PROBLEM_TYPE = /^https:\/\/developers\.factify\.com\/errors\/[a-z]+(?:-[a-z]+){0,5}$/;
// The fields the function's own requests send: the only ones an error may name.
const REQUEST_FIELDS = new Set(['name', 'reason', 'page_token', 'page_size', 'include_revoked']);

/** Only documented values are read from a body: a code, a field the request sent, and retry_after. */
export function parseProblem(bodyText: string): Problem {
  if (bodyText.trim() === '') return { detail: 'no response body' };
  const undocumented = {
    detail: `a response body in no documented error format (${Buffer.byteLength(bodyText)} bytes)`,
  };
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undocumented;
  }
  if (!isRecord(body)) return undocumented;
  const top = body;
  const nested = isRecord(top.error) ? top.error : undefined;
  const details = Array.isArray(top.details) && isRecord(top.details[0]) ? top.details[0] : undefined;

  // The most specific first: a ConnectRPC reason over its coarse code, the guides' code over their type.
  const code = [nested?.code, nested?.type, details?.reason, top.code, top.type].find(
    (value): value is string =>
      typeof value === 'string' && (DOCUMENTED_CODES.has(value) || PROBLEM_TYPE.test(value)),
  );
  const param = [nested?.param, details?.param].find(
    (value): value is string => typeof value === 'string' && REQUEST_FIELDS.has(value),
  );
  const retryAfter = [top.retry_after, nested?.retry_after].find((value) => typeof value === 'number');
  return {
    ...(code === undefined ? {} : { code }),
    detail: [code ?? 'no documented error code', ...(param === undefined ? [] : [`field "${param}"`])].join(
      ', ',
    ),
    ...(typeof retryAfter === 'number' && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
