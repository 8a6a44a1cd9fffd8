import { redact } from '../sensitive.js';

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

export function parseProblem(bodyText: string): Problem {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { detail: bodyText.trim() ? clip(bodyText) : 'no response body' };
  }
  if (typeof body !== 'object' || body === null) return { detail: clip(bodyText) };
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
  const detail = firstString(top.detail, nested?.message, top.message, top.title) ?? clip(bodyText);
  const param = firstString(nested?.param, details?.param);
  const retryAfter = [top.retry_after, nested?.retry_after].find((value) => typeof value === 'number');
  return {
    ...(code === undefined ? {} : { code }),
    detail: clip(param === undefined ? detail : `${detail} (field: ${param})`),
    ...(typeof retryAfter === 'number' && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.trim() !== '');
}

// The detail ends up in error messages: scrub any key Factify echoes back (e.g. "invalid API key ffy_...").
function clip(text: string): string {
  const flat = redact(text).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}...` : flat;
}
