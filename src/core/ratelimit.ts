// Token-bucket rate limits on the shared store: one bucket per caller, shared by every instance when the
// store is Redis (and per instance while Redis is unreachable, since the store then falls back to memory).
import type { CacheStore } from './cache.js';
import { ConfigError } from './errors.js';

export interface RateLimit {
  /** Largest burst: a caller starts with this many calls. */
  capacity: number;
  /** Calls given back per second. */
  refillPerSecond: number;
}

export interface RateLimiterOptions extends RateLimit {
  /** Key prefix in the store (default "ratelimit"), so separate limits never share buckets. */
  prefix?: string;
}

export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise whole seconds to wait (at least 1), ready for a Retry-After header. */
  retryAfterSeconds: number;
  /** Whole calls left in the bucket after this one. */
  remaining: number;
}

export class RateLimiter {
  private readonly prefix: string;
  private readonly capacity: number;
  private readonly refillPerSecond: number;

  constructor(
    private readonly store: CacheStore,
    options: RateLimiterOptions,
  ) {
    if (!Number.isFinite(options.capacity) || options.capacity < 1) throw new RangeError(`Rate limit capacity must be at least 1 (got ${options.capacity}).`);
    if (!Number.isFinite(options.refillPerSecond) || options.refillPerSecond <= 0) {
      throw new RangeError(`Rate limit refill rate must be a positive number (got ${options.refillPerSecond}).`);
    }
    this.capacity = options.capacity;
    this.refillPerSecond = options.refillPerSecond;
    this.prefix = options.prefix ?? 'ratelimit';
  }

  /** Spends one call of `caller`'s bucket, or says how long to wait. */
  async take(caller: string): Promise<RateDecision> {
    const result = await this.store.takeToken(`${this.prefix}:${caller}`, this.capacity, this.refillPerSecond);
    return {
      allowed: result.allowed,
      // Rounded up and never 0 when refused: a client told "retry after 0" would retry at once.
      retryAfterSeconds: result.allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
      remaining: result.remaining,
    };
  }
}

// Plurals are listed, not derived: stripping an "s" would turn "ms" into minutes.
// A Map, so that "constructor" or "__proto__" are not periods.
const PERIOD_SECONDS = new Map<string, number>([
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((name) => [name, 1] as const),
  ...['m', 'min', 'mins', 'minute', 'minutes'].map((name) => [name, 60] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((name) => [name, 3600] as const),
  ...['d', 'day', 'days'].map((name) => [name, 86_400] as const),
]);

/**
 * Reads a rate-limit setting such as "60/min", "10/s" or "1000/hour": the count is both the burst
 * capacity and what is given back over one period.
 */
export function parseRateLimit(text: string, setting = 'BASTION_RATE_LIMIT'): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*([a-z]+)\s*$/i.exec(text);
  const count = match ? Number(match[1]) : NaN;
  const seconds = match ? PERIOD_SECONDS.get(match[2]!.toLowerCase()) : undefined;
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  if (!match || seconds === undefined || !Number.isSafeInteger(count)) {
    throw new ConfigError(
      `${setting} "${shown}" is not a rate limit: expected <calls>/<period>, e.g. 60/min, 10/s or 1000/hour (periods: s, min, hour, day).`,
    );
  }
  if (count < 1) throw new ConfigError(`${setting} "${shown}" allows no calls at all: use at least 1 per period.`);
  return { capacity: count, refillPerSecond: count / seconds };
}
