import { redact } from '../../telemetry/redaction.js';

/**
 * Factify documents three error body shapes: RFC 9457 problem details on the /v1 reference pages, the
 * guides' {"error": {...}}, and the older ConnectRPC {code, message, details}. Callers branch on the HTTP
 * status; this only extracts what an operator should read.
 */
export interface Problem {
  /** Factify's machine-readable code (e.g. insufficient_permissions), when the body has one. */
  readonly code?: string;
  /** A short, single-line description. */
  readonly detail: string;
  /** `retry_after` in seconds, from a 429 body. */
  readonly retryAfterSeconds?: number;
}

const MAX_DETAIL = 300;
const MAX_CODE = 100;

/**
 * Only the documented fields are read, each clipped and redacted: a raw body is never printed, since it
 * may echo the request (the bearer key) in any form.
 */
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
  const top = body as Record<string, unknown>;
  const nested = isRecord(top.error) ? top.error : undefined;
  const details = Array.isArray(top.details) && isRecord(top.details[0]) ? top.details[0] : undefined;

  const code = firstString(
    nested?.code,
    nested?.type,
    details?.reason,
    top.code,
    top.type !== 'about:blank' ? top.type : undefined,
  );
  const detail = firstString(top.detail, nested?.message, top.message, top.title);
  const param = firstString(nested?.param, details?.param);
  const retryAfter = [top.retry_after, nested?.retry_after].find((value) => typeof value === 'number');
  return {
    ...(code === undefined ? {} : { code: clip(code, MAX_CODE) }),
    detail:
      detail === undefined
        ? undocumented.detail
        : clip(`${detail}${param === undefined ? '' : ` (field: ${clip(param, MAX_CODE)})`}`, MAX_DETAIL),
    ...(typeof retryAfter === 'number' && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.trim() !== '');
}

// Fields end up in error messages and logs: scrub any key Factify echoes back (e.g. "invalid API key ffy_..."),
// keep one line of printable text, and bound it. Redacted before clipping, so no cut can split a key.
function clip(text: string, max: number): string {
  const flat = redact(text)
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
