// Redis faults against a real redis-server: one paused with SIGSTOP (connected, silent) is noticed, served around
// and not charged twice when it wakes.
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/core/cache.js';
import { createLogger } from '../../src/core/logger.js';
import { RateLimiter } from '../../src/core/ratelimit.js';
import { Secret } from '../../src/core/secrets.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const REDIS_PASSWORD = 'canary-redis-password-fz3K';
const password = new Secret(REDIS_PASSWORD, 'env', 'REDIS_PASSWORD');
// Nothing refills while a test runs.
const HUNDRED_PER_HOUR = { capacity: 100, refillPerSecond: 100 / 3600 };

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis(REDIS_PASSWORD);
});
afterAll(async () => {
  await redis?.stop();
});

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

/** The whole tokens Redis holds in a bucket (the bucket is absent while full). */
async function tokensInRedis(key: string): Promise<number> {
  const client = createClient({ url: redis.url, password: REDIS_PASSWORD });
  await client.connect();
  try {
    const tokens = await client.hGet(`bucket:${key}`, 'tokens');
    return tokens === null ? HUNDRED_PER_HOUR.capacity : Math.floor(Number(tokens) + 1e-9);
  } finally {
    await client.close();
  }
}

describe('a frozen Redis (SIGSTOP)', () => {
  it('is marked unreachable after a few unanswered commands with one warning, calls go on from memory, and no bucket is charged twice when it wakes', async () => {
    const { logger, lines } = capturingLogger();
    const cache = await RedisCache.connect({ url: redis.url, password, logger, commandTimeoutMs: 200 });
    await cache.ready(5_000);
    const limiter = new RateLimiter(cache, { ...HUNDRED_PER_HOUR, prefix: 'freeze' });
    try {
      for (let i = 0; i < 5; i += 1) expect((await limiter.take('alice')).allowed).toBe(true);
      expect(await tokensInRedis('freeze:alice')).toBe(95);

      process.kill(redis.pid()!, 'SIGSTOP');
      try {
        const during: boolean[] = [];
        for (let i = 0; i < 20; i += 1) during.push((await limiter.take('alice')).allowed);
        expect(during.every(Boolean)).toBe(true);
        expect(cache.status()).toMatchObject({ kind: 'redis', healthy: false });
        expect(cache.status().detail).toContain('no answer within 200 ms');
      } finally {
        process.kill(redis.pid()!, 'SIGCONT');
      }
      await expect.poll(() => cache.status().healthy, { timeout: 10_000 }).toBe(true);
      expect(lines.filter((line) => line.includes('Redis is unreachable'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('Redis is reachable'))).not.toHaveLength(0);
      // The takes Redis received while paused did nothing when it woke: only the 5 before the pause count.
      expect(await tokensInRedis('freeze:alice')).toBe(95);
      expect((await limiter.take('alice')).remaining).toBe(94);
      expect(lines.join('\n')).not.toContain(REDIS_PASSWORD);
    } finally {
      await cache.close();
    }
  });
});

describe('rate limits while Redis is down', () => {
  it('gives each of N instances 1/N of the limit, so together they admit the configured limit, not N times it', async () => {
    const down = await startRedis('canary-redis-password-dn8W');
    await down.stop();
    const connectInstance = () => RedisCache.connect({ url: down.url, password: new Secret('canary-redis-password-dn8W', 'env', 'REDIS_PASSWORD'), instances: 2 });
    const instances = await Promise.all([connectInstance(), connectInstance()]);
    try {
      const admitted: number[] = [];
      for (const cache of instances) {
        const limiter = new RateLimiter(cache, { capacity: 10, refillPerSecond: 10 / 3600 });
        let allowed = 0;
        for (let i = 0; i < 15; i += 1) if ((await limiter.take('alice')).allowed) allowed += 1;
        admitted.push(allowed);
        expect(cache.status().healthy).toBe(false);
      }
      expect(admitted).toEqual([5, 5]);
    } finally {
      await Promise.all(instances.map((cache) => cache.close()));
    }
  });
});
