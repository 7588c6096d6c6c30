// Rate limits on a real Redis: two instances (two connections) share one bucket per caller, the bucket refills
// and expires on Redis's clock, Redis going away falls back to memory without an error, and Redis coming back is shared again.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/core/cache.js';
import { RateLimiter } from '../../src/core/ratelimit.js';
import { Secret } from '../../src/core/secrets.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const REDIS_PASSWORD = 'canary-redis-password-rl7Q';
// Slow enough that nothing refills while a test runs: 5 calls per hour.
const FIVE_PER_HOUR = { capacity: 5, refillPerSecond: 5 / 3600 };

let redis: TestRedis;
let a: RedisCache;
let b: RedisCache;

async function connect(): Promise<RedisCache> {
  const cache = await RedisCache.connect({ url: redis.url, password: new Secret(REDIS_PASSWORD, 'env', 'REDIS_PASSWORD') });
  await cache.ready(5_000);
  return cache;
}

function rawClient() {
  return createClient({ url: redis.url, password: REDIS_PASSWORD });
}

/** A plain connection, to look at what the store wrote. */
async function withRaw<T>(use: (client: ReturnType<typeof rawClient>) => Promise<T>): Promise<T> {
  const client = rawClient();
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

async function allowedOf(limiter: RateLimiter, caller: string, times: number): Promise<boolean[]> {
  const results: boolean[] = [];
  for (let i = 0; i < times; i += 1) results.push((await limiter.take(caller)).allowed);
  return results;
}

beforeAll(async () => {
  redis = await startRedis(REDIS_PASSWORD);
  [a, b] = await Promise.all([connect(), connect()]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.stop();
});

describe('rate limits shared through Redis', () => {
  it('uses Redis on both connections', () => {
    expect(a.status()).toMatchObject({ kind: 'redis', healthy: true });
    expect(b.status()).toMatchObject({ kind: 'redis', healthy: true });
  });

  it('gives two instances one bucket per caller: 3 + 3 takes from a capacity of 5 allow exactly 5', async () => {
    const first = new RateLimiter(a, FIVE_PER_HOUR);
    const second = new RateLimiter(b, FIVE_PER_HOUR);
    const fromFirst = await allowedOf(first, 'shared-caller', 3);
    const fromSecond = await allowedOf(second, 'shared-caller', 3);
    expect(fromFirst).toEqual([true, true, true]);
    expect(fromSecond).toEqual([true, true, false]);
    const refused = await first.take('shared-caller');
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    // One token per 720 s at this rate.
    expect(refused.retryAfterSeconds).toBeGreaterThan(700);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(720);
    // Another caller has its own bucket.
    expect((await second.take('other-caller')).allowed).toBe(true);
  });

  it('spends each token once when both instances take at the same moment', async () => {
    const first = new RateLimiter(a, FIVE_PER_HOUR);
    const second = new RateLimiter(b, FIVE_PER_HOUR);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? first : second).take('burst-caller')));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('keeps the bucket in a hash that expires once the bucket would be full again', async () => {
    await new RateLimiter(a, FIVE_PER_HOUR).take('stored-caller');
    const [fields, ttl] = await withRaw((client) => Promise.all([client.hGetAll('bucket:ratelimit:stored-caller'), client.pTTL('bucket:ratelimit:stored-caller')]));
    expect(Number(fields.tokens)).toBeCloseTo(4, 6);
    expect(Number(fields.ts)).toBeGreaterThan(0);
    // One token back takes 720 s.
    expect(ttl).toBeGreaterThan(700_000);
    expect(ttl).toBeLessThanOrEqual(720_000);
  });

  it('refills over time, and the key goes away once the bucket is full', async () => {
    // A token a second: slow enough that the second take comes before the refill even on a loaded machine.
    const fast = { capacity: 1, refillPerSecond: 1 };
    const first = new RateLimiter(a, fast);
    const second = new RateLimiter(b, fast);
    expect((await first.take('refill-caller')).allowed).toBe(true);
    expect(await second.take('refill-caller')).toEqual({ allowed: false, retryAfterSeconds: 1, remaining: 0 });
    await expect.poll(async () => (await second.take('refill-caller')).allowed, { interval: 10, timeout: 5_000 }).toBe(true);
    await expect.poll(() => withRaw((client) => client.exists('bucket:ratelimit:refill-caller')), { interval: 20, timeout: 5_000 }).toBe(0);
  });

  it('takes several tokens at once with a cost, as the memory store does', async () => {
    expect(await a.takeToken('cost-key', 10, 1 / 3600, 7)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
    const refused = await b.takeToken('cost-key', 10, 1 / 3600, 5);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(3);
    expect(refused.retryAfterMs).toBeGreaterThan(7_000_000);
    expect(await b.takeToken('cost-key', 10, 1 / 3600, 3)).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe('Redis going away and coming back', () => {
  it('falls back to memory without throwing while Redis is down, and shares buckets again when it is back', async () => {
    const first = new RateLimiter(a, FIVE_PER_HOUR);
    const second = new RateLimiter(b, FIVE_PER_HOUR);
    await redis.stop();
    try {
      // Straight after the stop, before the clients have noticed: still an answer, not an error.
      await expect(first.take('down-caller')).resolves.toMatchObject({ allowed: true });
      await expect.poll(() => a.status().healthy || b.status().healthy, { timeout: 10_000 }).toBe(false);
      expect(a.status().detail).toContain('serving from memory');
      expect(a.status().detail).not.toContain(REDIS_PASSWORD);
      // In memory each instance limits on its own.
      expect(await allowedOf(first, 'memory-caller', 6)).toEqual([true, true, true, true, true, false]);
      expect(await allowedOf(second, 'memory-caller', 6)).toEqual([true, true, true, true, true, false]);
    } finally {
      await redis.start();
    }
    await expect.poll(() => a.status().healthy && b.status().healthy, { timeout: 15_000 }).toBe(true);
    expect(await allowedOf(first, 'back-caller', 3)).toEqual([true, true, true]);
    expect(await allowedOf(second, 'back-caller', 3)).toEqual([true, true, false]);
    expect(await withRaw((client) => client.exists('bucket:ratelimit:back-caller'))).toBe(1);
  });
});
