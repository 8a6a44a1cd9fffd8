/**
 * Pacing after Factify answers 429. Factify's limits are budgets per window (GET 1,000/min, POST 100/min)
 * that every rotation using the same key or organization draws on, and a rotation keeps no state across
 * invocations, so each request paces itself from what the 429 says.
 *
 * A request waits until the window resets, then comes back at a random moment in the first tenth of the
 * wait (at least 100 ms, at most 1 s). The new window's budget is taken by the first requests to arrive:
 * when many rotations wait, they fill it within that first tenth, and those that lose wait for the next
 * reset. Every window is used to the full and the last rotation finishes as early as the limit allows.
 * Spreading the returns over a whole window instead lets no more requests through a window, but leaves
 * late windows half used (the last few rotations straggle over two windows); a fixed spread of one second,
 * the earlier rule, did exactly that whenever the window is short.
 */
import type { HttpResponse } from './http.js';

const SPREAD_FRACTION = 0.1;
const MIN_SPREAD_MS = 100;
const MAX_SPREAD_MS = 1_000;
/** Factify's hints are whole seconds, rounded up: one is at most this much later than the reset. */
const HINT_RESOLUTION_MS = 1_000;

/**
 * How long Factify asks us to wait, in milliseconds: `retry_after` from the body, else the Retry-After header
 * (seconds or an HTTP date), refined by X-RateLimit-Reset (Unix seconds) when that falls within the second
 * before: both are rounded up to whole seconds, but from different origins, so the earlier of two that agree
 * is closer to the actual reset. An X-RateLimit-Reset that does not agree (a skewed clock) is ignored; alone,
 * it is the wait. Undefined without any hint.
 */
export function rateLimitDelayMs(
  retryAfterSeconds: number | undefined,
  response: HttpResponse,
  now: number = Date.now(),
): number | undefined {
  const asked =
    retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : retryAfterHeaderMs(response, now);
  const untilReset = resetHeaderMs(response, now);
  if (asked === undefined) return untilReset;
  if (untilReset !== undefined && untilReset <= asked && untilReset > asked - HINT_RESOLUTION_MS) {
    return untilReset;
  }
  return asked;
}

/** The width of the random spread added to a wait of `waitMs`: a tenth of it, from 100 ms to 1 s. */
export function rateLimitSpreadMs(waitMs: number): number {
  return Math.min(MAX_SPREAD_MS, Math.max(MIN_SPREAD_MS, waitMs * SPREAD_FRACTION));
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim();
}

function retryAfterHeaderMs(response: HttpResponse, now: number): number | undefined {
  const retryAfter = header(response, 'retry-after');
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function resetHeaderMs(response: HttpResponse, now: number): number | undefined {
  const reset = Number(header(response, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}
