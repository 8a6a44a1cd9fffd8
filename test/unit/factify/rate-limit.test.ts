import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../lambda/adapters/factify/http.js';
import { rateLimitDelayMs, rateLimitSpreadMs } from '../../../lambda/adapters/factify/rate-limit.js';

/** A 429 as Factify documents it: `retry_after` in the body, X-RateLimit-* headers. */
function limited(headers: Record<string, string>): HttpResponse {
  return { status: 429, headers, body: '' };
}

/** A small deterministic generator, so that a failing scenario can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

interface Scenario {
  /** Rotations that each need one request through the budget, all sent at `startMs` 0. */
  readonly requests: number;
  readonly limit: number;
  readonly windowMs: number;
  readonly seed: number;
}

interface Outcome {
  /** When the last request got through. */
  readonly lastMs: number;
  /** How many requests each window let through, in order. */
  readonly perWindow: number[];
  readonly rejected: number;
}

/**
 * Concurrent requests against one fixed-window budget, as the Factify simulator (and the bench) models it: a
 * window opens with the first request after the last one closed and lets `limit` requests through; a 429
 * carries retry_after and X-RateLimit-Reset rounded up to whole seconds. Each request paces itself alone
 * with the production functions, as separate Lambda invocations do. Virtual time; 1 ms per request.
 */
function simulate({ requests, limit, windowMs, seed }: Scenario): Outcome {
  const random = seeded(seed);
  const epochMs = 1_790_000_000_000 + Math.floor(random() * 1000);
  const queue = Array.from({ length: requests }, () => 0);
  const perWindow: number[] = [];
  let window: { start: number; count: number } | undefined;
  let lastMs = 0;
  let rejected = 0;
  for (let step = 0; step < 100_000 && queue.length > 0; step++) {
    queue.sort((a, b) => a - b);
    const now = (queue.shift() as number) + 1;
    if (window === undefined || now >= window.start + windowMs) {
      window = { start: now, count: 0 };
      perWindow.push(0);
    }
    window.count += 1;
    if (window.count <= limit) {
      perWindow[perWindow.length - 1] = (perWindow.at(-1) ?? 0) + 1;
      lastMs = now;
      continue;
    }
    rejected += 1;
    const resetAt = window.start + windowMs;
    const response = limited({ 'x-ratelimit-reset': String(Math.ceil((epochMs + resetAt) / 1000)) });
    const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
    const waitMs = rateLimitDelayMs(retryAfter, response, epochMs + now) ?? 0;
    queue.push(now + waitMs + random() * rateLimitSpreadMs(waitMs));
  }
  return { lastMs, perWindow, rejected };
}

describe('rateLimitDelayMs', () => {
  const now = Date.parse('2026-11-26T10:00:00.250Z');
  const resetIn = (seconds: number) => String(Math.ceil(now / 1000) + seconds);

  it('is retry_after from the body, before any header', () => {
    expect(rateLimitDelayMs(7, limited({ 'retry-after': '20' }), now)).toBe(7_000);
  });

  it('is a Retry-After in seconds or as an HTTP date', () => {
    expect(rateLimitDelayMs(undefined, limited({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(
      rateLimitDelayMs(undefined, limited({ 'retry-after': 'Thu, 26 Nov 2026 10:00:09 GMT' }), now),
    ).toBe(8_750);
  });

  it('is the time until X-RateLimit-Reset without retry_after or Retry-After', () => {
    expect(rateLimitDelayMs(undefined, limited({ 'x-ratelimit-reset': resetIn(11) }), now)).toBe(11_750);
  });

  it('is the earlier X-RateLimit-Reset when it falls within the second before retry_after', () => {
    // retry_after 1 s at .250 says "by 01.250"; the reset header says "by 01.000".
    expect(rateLimitDelayMs(1, limited({ 'x-ratelimit-reset': resetIn(0) }), now)).toBe(750);
  });

  it('ignores an X-RateLimit-Reset that disagrees with retry_after', () => {
    expect(rateLimitDelayMs(2, limited({ 'x-ratelimit-reset': resetIn(-10) }), now)).toBe(2_000);
    expect(rateLimitDelayMs(2, limited({ 'x-ratelimit-reset': resetIn(30) }), now)).toBe(2_000);
  });

  it('is undefined without any hint, and ignores hints that are not numbers or dates', () => {
    expect(rateLimitDelayMs(undefined, limited({}), now)).toBeUndefined();
    expect(
      rateLimitDelayMs(undefined, limited({ 'retry-after': 'soon', 'x-ratelimit-reset': 'later' }), now),
    ).toBeUndefined();
  });
});

describe('rateLimitSpreadMs', () => {
  it.each([
    [0, 100],
    [500, 100],
    [4_000, 400],
    [10_000, 1_000],
    [60_000, 1_000],
  ])('spreads a wait of %i ms over %i ms', (waitMs, spreadMs) => {
    expect(rateLimitSpreadMs(waitMs)).toBe(spreadMs);
  });
});

describe('concurrent requests pacing themselves against one budget', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'fill every window: 200 requests at 20 per 1 s window take 10 windows (seed %i)',
    (seed) => {
      // Act
      const outcome = simulate({ requests: 200, limit: 20, windowMs: 1_000, seed });

      // Assess: no window opens half used, and the 10th opens within 10 s (9 s plus what the hints'
      // whole-second rounding costs), where the earlier fixed 1 s spread needed ~11 s and 11-12 windows.
      expect(outcome.perWindow).toEqual(Array.from({ length: 10 }, () => 20));
      expect(outcome.lastMs).toBeLessThan(10_000);
    },
  );

  it('fill every window at the documented scale: 250 requests at 100 per minute take 3 windows', () => {
    // Act
    const outcome = simulate({ requests: 250, limit: 100, windowMs: 60_000, seed: 1 });

    // Assess
    expect(outcome.perWindow).toEqual([100, 100, 50]);
    expect(outcome.lastMs).toBeLessThan(2 * 60_000 + 2_000);
  });

  it('let a request that finds the window spent through at the next reset', () => {
    // Act
    const outcome = simulate({ requests: 25, limit: 20, windowMs: 1_000, seed: 1 });

    // Assess
    expect(outcome.perWindow).toEqual([20, 5]);
    expect(outcome.rejected).toBe(5);
    expect(outcome.lastMs).toBeLessThan(2_100);
  });
});
