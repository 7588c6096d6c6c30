// Token buckets in memory (capacity, refill, expiry, namespaces), the RateLimiter on top, and the setting's parser.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryCache, NamespacedCache } from '../../src/core/cache.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseRateLimit, RateLimiter } from '../../src/core/ratelimit.js';

// Only Date is faked: the buckets read Date.now(), and the clock moves only when a test says so.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

async function takeMany(take: () => Promise<{ allowed: boolean }>, count: number): Promise<boolean[]> {
  const results: boolean[] = [];
  for (let i = 0; i < count; i += 1) results.push((await take()).allowed);
  return results;
}

describe('MemoryCache token buckets', () => {
  it('allows a burst up to the capacity, then refuses with the time until the next token', async () => {
    const cache = new MemoryCache();
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await cache.takeToken('caller', 3, 0.5));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]!.retryAfterMs).toBe(2000);
    expect(results[0]!.retryAfterMs).toBe(0);
  });

  it('refills continuously with time, never beyond the capacity', async () => {
    const cache = new MemoryCache();
    expect(await takeMany(() => cache.takeToken('k', 2, 1), 3)).toEqual([true, true, false]);
    advance(500);
    const early = await cache.takeToken('k', 2, 1);
    expect(early).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    advance(500);
    expect(await cache.takeToken('k', 2, 1)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    advance(60_000);
    expect(await takeMany(() => cache.takeToken('k', 2, 1), 3)).toEqual([true, true, false]);
  });

  it('takes several tokens at once with a cost', async () => {
    const cache = new MemoryCache();
    expect(await cache.takeToken('k', 10, 1, 7)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
    expect(await cache.takeToken('k', 10, 1, 5)).toEqual({ allowed: false, remaining: 3, retryAfterMs: 2000 });
    expect(await cache.takeToken('k', 10, 1, 3)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('spends each token once even when asked at the same moment', async () => {
    const cache = new MemoryCache();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.takeToken('k', 5, 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('keeps buckets apart by key and by namespace', async () => {
    const store = new MemoryCache();
    const a = new NamespacedCache(store, 'a');
    const b = new NamespacedCache(store, 'b');
    expect(await takeMany(() => a.takeToken('caller', 1, 1), 2)).toEqual([true, false]);
    expect((await b.takeToken('caller', 1, 1)).allowed).toBe(true);
    expect((await store.takeToken('other', 1, 1)).allowed).toBe(true);
    // The namespace is a key prefix on the shared store.
    expect((await store.takeToken('a:caller', 1, 1)).allowed).toBe(false);
  });

  it('forgets buckets once they are full again, and a forgotten bucket starts full', async () => {
    const cache = new MemoryCache();
    const buckets = (cache as unknown as { buckets: Map<string, unknown> }).buckets;
    await cache.takeToken('old', 2, 1);
    expect(buckets.has('old')).toBe(true);
    advance(120_000);
    await cache.takeToken('new', 2, 1);
    expect(buckets.has('old')).toBe(false);
    expect(await cache.takeToken('old', 2, 1)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
  });

  it('does not keep a bucket that a zero-cost take leaves full', async () => {
    const cache = new MemoryCache();
    const buckets = (cache as unknown as { buckets: Map<string, unknown> }).buckets;
    expect(await cache.takeToken('peek', 3, 1, 0)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
    expect(buckets.size).toBe(0);
  });

  it('does not add tokens when the clock steps backwards', async () => {
    const cache = new MemoryCache();
    await cache.takeToken('k', 1, 1);
    advance(-10_000);
    expect((await cache.takeToken('k', 1, 1)).allowed).toBe(false);
  });

  it('refuses impossible arguments', async () => {
    const cache = new MemoryCache();
    await expect(cache.takeToken('k', 0, 1)).rejects.toThrow(RangeError);
    await expect(cache.takeToken('k', 5, 0)).rejects.toThrow(/refill rate/);
    await expect(cache.takeToken('k', 5, 1, 6)).rejects.toThrow(/cost/);
    await expect(cache.takeToken('k', 5, Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('refuses a caller over the limit with whole seconds to wait, and lets it through again later', async () => {
    const limiter = new RateLimiter(new MemoryCache(), { capacity: 2, refillPerSecond: 0.25 });
    expect(await limiter.take('alice')).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 1 });
    expect(await limiter.take('alice')).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 0 });
    expect(await limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 4, remaining: 0 });
    advance(3_000);
    expect(await limiter.take('alice')).toEqual({ allowed: false, retryAfterSeconds: 1, remaining: 0 });
    advance(1_000);
    expect(await limiter.take('alice')).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 0 });
  });

  it('rounds a sub-second wait up to 1 second', async () => {
    const limiter = new RateLimiter(new MemoryCache(), { capacity: 1, refillPerSecond: 100 });
    await limiter.take('bob');
    expect(await limiter.take('bob')).toEqual({ allowed: false, retryAfterSeconds: 1, remaining: 0 });
  });

  it('limits each caller separately', async () => {
    const limiter = new RateLimiter(new MemoryCache(), { capacity: 1, refillPerSecond: 1 });
    expect((await limiter.take('alice')).allowed).toBe(true);
    expect((await limiter.take('alice')).allowed).toBe(false);
    expect((await limiter.take('bob')).allowed).toBe(true);
  });

  it('keeps limiters with different prefixes apart on one store, and uses "ratelimit" by default', async () => {
    const store = new MemoryCache();
    const inbound = new RateLimiter(store, { capacity: 1, refillPerSecond: 1 });
    const outbound = new RateLimiter(store, { capacity: 1, refillPerSecond: 1, prefix: 'upstream' });
    expect((await inbound.take('x')).allowed).toBe(true);
    expect((await outbound.take('x')).allowed).toBe(true);
    expect((await store.takeToken('ratelimit:x', 1, 1)).allowed).toBe(false);
    expect((await store.takeToken('upstream:x', 1, 1)).allowed).toBe(false);
  });

  it('recovers on real time too', async () => {
    vi.useRealTimers();
    const limiter = new RateLimiter(new MemoryCache(), { capacity: 1, refillPerSecond: 50 });
    expect((await limiter.take('carol')).allowed).toBe(true);
    await expect.poll(async () => (await limiter.take('carol')).allowed, { interval: 10, timeout: 2_000 }).toBe(true);
  });

  it('refuses a limit that could never allow a call', () => {
    expect(() => new RateLimiter(new MemoryCache(), { capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter(new MemoryCache(), { capacity: 5, refillPerSecond: 0 })).toThrow(RangeError);
  });
});

describe('parseRateLimit', () => {
  it.each([
    ['60/min', 60, 1],
    ['10/s', 10, 10],
    ['1000/hour', 1000, 1000 / 3600],
    ['120/m', 120, 2],
    ['5/sec', 5, 5],
    ['30 / minute', 30, 0.5],
    ['2400/h', 2400, 2400 / 3600],
    ['86400/day', 86_400, 1],
    ['100/seconds', 100, 100],
    ['600/MINS', 600, 10],
    [' 7/hours ', 7, 7 / 3600],
  ])('reads %j', (text, capacity, refillPerSecond) => {
    const limit = parseRateLimit(text);
    expect(limit.capacity).toBe(capacity);
    expect(limit.refillPerSecond).toBeCloseTo(refillPerSecond, 12);
  });

  it.each(['', '60', '60/', '/min', '60/fortnight', '-5/s', '1.5/s', '60 per minute', 'ten/s', '60/min/s', '60/ss', '60/ms', '60/constructor', '60/__proto__', '99999999999999999999/s'])(
    'refuses %j naming the setting and the expected form',
    (text) => {
      expect(() => parseRateLimit(text)).toThrow(ConfigError);
      expect(() => parseRateLimit(text)).toThrow(/BASTION_RATE_LIMIT .*e\.g\. 60\/min, 10\/s or 1000\/hour/);
    },
  );

  it('refuses a limit of zero calls', () => {
    expect(() => parseRateLimit('0/min')).toThrow(/BASTION_RATE_LIMIT "0\/min" allows no calls/);
  });

  it('shortens a long bad value in the message', () => {
    const error = (() => {
      try {
        parseRateLimit('x'.repeat(500));
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message.length).toBeLessThan(250);
  });
});
