// Fixed-window rate limiting with the documented X-RateLimit-* headers (rate-limiting guide).
import type { RateLimit, Settings } from './options.js';

export interface RateDecision {
  limited: boolean;
  headers: Record<string, string>;
  /** Whole seconds until the window resets, at least 1: the 429 body's `retry_after`. */
  retryAfter: number;
}

export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly settings: Settings) {}

  /**
   * Counts one request against its budget. `callerKeyId` is the authenticated key; requests that fail
   * authentication share one anonymous budget, since there is no key to charge them to.
   */
  take(method: string, callerKeyId: string | undefined): RateDecision {
    const budgetName = this.#budgetOf(method);
    const budget: RateLimit = this.settings.rateLimits[budgetName];
    const who = this.settings.rateLimitScope === 'global' ? 'global' : (callerKeyId ?? 'anonymous');
    const bucket = `${who}:${budgetName}`;
    const now = this.settings.clock();
    let window = this.#windows.get(bucket);
    if (window === undefined || now >= window.start + budget.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(bucket, window);
    }
    window.count += 1;
    const resetAt = window.start + budget.windowMs;
    return {
      limited: window.count > budget.limit,
      retryAfter: Math.max(1, Math.ceil((resetAt - now) / 1000)),
      headers: {
        'x-ratelimit-limit': String(budget.limit),
        'x-ratelimit-remaining': String(Math.max(0, budget.limit - window.count)),
        'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
      },
    };
  }

  #budgetOf(method: string): 'read' | 'write' {
    if (method === 'POST') return 'write';
    if (method === 'DELETE') return this.settings.deleteRateClass;
    return 'read';
  }
}
