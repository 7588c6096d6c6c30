// Shared state behind one interface: OAuth tokens, short locks, rate-limit buckets and cached upstream answers.
// Memory (an LRU with TTLs) by default; Redis when several Bastion instances must share it.
// Redis trouble never stops serving: Bastion falls back to memory, says so, and returns to Redis when it is back.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { assertEgressUrl, guardedLookup, type Resolver } from './egress.js';
import { ConfigError } from './errors.js';
import type { Secret } from './secrets.js';

export interface CacheStore {
  get(key: string): Promise<string | undefined>;
  /** Stores a value for ttlSeconds. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Takes a short lock (across processes when shared). Returns a release function,
   * or undefined when someone else holds it.
   */
  lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  /**
   * Takes `cost` tokens (default 1) from the token bucket at `key` (across processes when shared).
   * A bucket starts full at `capacity` and refills continuously at `refillPerSecond`.
   * `remaining` is the whole tokens left; `retryAfterMs` is 0 when allowed, else the wait until `cost` tokens are back.
   */
  takeToken(key: string, capacity: number, refillPerSecond: number, cost?: number): Promise<TokenTake>;
  /** For doctor and logs: which store answers and whether it is healthy. */
  status(): { kind: 'memory' | 'redis'; healthy: boolean; detail: string };
  /** Waits (at most timeoutMs) until the store is connected; memory always is. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface TokenTake {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
}

// Absorbs floating-point drift from refill arithmetic, so 0.9999999999 tokens counts as 1.
const TOKEN_EPSILON = 1e-9;
const BUCKET_SWEEP_MS = 60_000;

/** Bad bucket arguments are programming errors: refuse them rather than guess. */
function checkBucket(capacity: number, refillPerSecond: number, cost: number): void {
  if (!Number.isFinite(capacity) || capacity <= 0) throw new RangeError(`Token bucket capacity must be a positive number (got ${capacity}).`);
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) throw new RangeError(`Token bucket refill rate must be a positive number (got ${refillPerSecond}).`);
  if (!Number.isFinite(cost) || cost < 0 || cost > capacity) throw new RangeError(`Token bucket cost must be between 0 and the capacity ${capacity} (got ${cost}).`);
}

/** An LRU map with per-entry expiry; the default store. */
export class MemoryCache implements CacheStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  // Kept apart from `entries`: LRU eviction of a bucket would hand its caller a full one.
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number; fullAt: number }>();
  private nextBucketSweep = 0;

  constructor(private readonly maxEntries = 2000) {}

  // Synchronous inside, so that check-and-set (the lock) cannot interleave with another caller.
  private read(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert: Map order is the LRU order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  private write(key: string, value: string, ttlSeconds: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  async get(key: string): Promise<string | undefined> {
    return this.read(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.write(key, value, ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = `lock:${key}`;
    if (this.read(lockKey)) return undefined;
    const token = randomUUID();
    this.write(lockKey, token, ttlMs / 1000);
    return async () => {
      if (this.read(lockKey) === token) this.entries.delete(lockKey);
    };
  }

  // Synchronous, like the lock, so concurrent takes cannot spend the same token twice.
  async takeToken(key: string, capacity: number, refillPerSecond: number, cost = 1): Promise<TokenTake> {
    checkBucket(capacity, refillPerSecond, cost);
    const now = Date.now();
    this.sweepBuckets(now);
    const bucket = this.buckets.get(key);
    // Lazy refill: a bucket is only brought up to date when someone takes from it.
    let tokens = bucket ? Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.updatedAt) * refillPerSecond) / 1000) : capacity;
    const allowed = tokens + TOKEN_EPSILON >= cost;
    if (allowed) tokens = Math.max(0, tokens - cost);
    const retryAfterMs = allowed ? 0 : Math.ceil(((cost - tokens) * 1000) / refillPerSecond);
    const untilFullMs = Math.ceil(((capacity - tokens) * 1000) / refillPerSecond);
    // A full bucket is the same as no bucket, so it need not be kept.
    if (untilFullMs <= 0) this.buckets.delete(key);
    else this.buckets.set(key, { tokens, updatedAt: now, fullAt: now + untilFullMs });
    return { allowed, remaining: Math.floor(tokens + TOKEN_EPSILON), retryAfterMs };
  }

  /** Drops buckets that have refilled completely; at most once a minute, so takes stay cheap. */
  private sweepBuckets(now: number): void {
    if (now < this.nextBucketSweep) return;
    this.nextBucketSweep = now + BUCKET_SWEEP_MS;
    for (const [key, bucket] of this.buckets) if (bucket.fullAt <= now) this.buckets.delete(key);
  }

  status() {
    return { kind: 'memory' as const, healthy: true, detail: `in memory (${this.entries.size} entries; not shared between instances)` };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
    this.buckets.clear();
  }
}

/** Prefixes every key, so connectors and credentials never read each other's entries. */
export class NamespacedCache implements CacheStore {
  constructor(
    private readonly store: CacheStore,
    private readonly prefix: string,
  ) {}

  get(key: string) {
    return this.store.get(`${this.prefix}:${key}`);
  }
  set(key: string, value: string, ttlSeconds: number) {
    return this.store.set(`${this.prefix}:${key}`, value, ttlSeconds);
  }
  delete(key: string) {
    return this.store.delete(`${this.prefix}:${key}`);
  }
  lock(key: string, ttlMs: number) {
    return this.store.lock(`${this.prefix}:${key}`, ttlMs);
  }
  takeToken(key: string, capacity: number, refillPerSecond: number, cost?: number) {
    return this.store.takeToken(`${this.prefix}:${key}`, capacity, refillPerSecond, cost);
  }
  status() {
    return this.store.status();
  }
  ready(timeoutMs: number) {
    return this.store.ready(timeoutMs);
  }
  async close(): Promise<void> {
    // The underlying store is shared; its owner closes it.
  }
}

export interface RedisSettings {
  url: string;
  password?: Secret;
  caFile?: string;
  logger?: Logger;
  /** Longest wait for one Redis command before falling back to memory. */
  commandTimeoutMs?: number;
  /**
   * How many instances share this Redis. While it is unreachable each instance runs every token bucket in memory at
   * 1/instances of its burst and rate, so together they admit no more than the shared bucket would (default 1).
   */
  instances?: number;
  /** The resolver behind the egress check (tests give a stand-in; the system resolver otherwise). */
  resolve?: Resolver;
}

/** The few Redis commands Bastion uses (node-redis's own types are too generic to pass around). */
interface RedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { condition?: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  ping(): Promise<string>;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
}

/**
 * A node-redis client for REDIS_URL (checked here), not yet connected. Shared by the cache and the relay, so both
 * refuse the same bad URLs and use the same TLS and reconnect settings.
 */
export async function createRedisClient(settings: RedisSettings): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new ConfigError('REDIS_URL is not a valid URL (expected redis://host:6379 or rediss://host:6380).');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL must start with redis:// or rediss://.');
  if (url.password) throw new ConfigError('REDIS_URL must not contain a password; use REDIS_PASSWORD or REDIS_PASSWORD_FILE.');
  // The link-local and cloud-metadata rule of every other upstream: literal addresses now, names after each lookup.
  assertEgressUrl('REDIS_URL', url);
  const { createClient } = await import('./redis-client.js');
  const tls = url.protocol === 'rediss:';
  return createClient({
    url: settings.url,
    password: settings.password?.reveal(),
    // Fail fast while disconnected instead of queueing: the memory fallback answers meanwhile.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      lookup: guardedLookup(settings.resolve),
      reconnectStrategy: (retries: number) => Math.min(200 * 2 ** Math.min(retries, 6), 5_000),
      ...(tls ? { tls: true as const, ca: settings.caFile ? readFileSync(settings.caFile) : undefined, minVersion: 'TLSv1.2' as const } : {}),
    },
  });
}

/** Commands in a row without an answer in time after which Redis counts as unreachable (frozen, overloaded). */
const TIMEOUTS_BEFORE_UNHEALTHY = 3;

/** Redis, with memory as the fallback while Redis is unreachable. */
export class RedisCache implements CacheStore {
  private readonly fallback = new MemoryCache();
  private healthy = false;
  private timeoutsInARow = 0;
  /** Redis's clock minus ours, from the last bucket answer: lets a take carry a deadline in Redis's own time. */
  private clockOffsetMs: number | undefined;
  private lastError = 'not connected yet';
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly instances: number;
  private readonly safeUrl: string;

  private constructor(
    private readonly client: RedisClient,
    settings: RedisSettings,
  ) {
    this.logger = settings.logger ?? silentLogger;
    this.timeoutMs = settings.commandTimeoutMs ?? 500;
    this.instances = settings.instances ?? 1;
    const url = new URL(settings.url);
    this.safeUrl = `${url.protocol}//${url.host}`;
    client.on('ready', () => {
      if (!this.healthy) this.logger.info({ redis: this.safeUrl }, 'Redis is reachable: shared cache in use');
      this.healthy = true;
    });
    client.on('error', (error: Error) => this.unhealthy(error.message));
  }

  private unhealthy(reason: string): void {
    if (this.healthy) this.logger.warn({ redis: this.safeUrl, reason }, 'Redis is unreachable: serving from memory until it is back');
    this.healthy = false;
    this.lastError = reason;
  }

  /**
   * A connected Redis that stops answering (paused, swapping, a stalled link) raises no error: after a few commands
   * in a row without an answer in time it counts as unreachable, and one PING waits in the background for it to
   * answer again. Meanwhile nothing more is sent to it, so little is queued for when it wakes.
   */
  private timedOut(): void {
    this.timeoutsInARow += 1;
    if (this.timeoutsInARow < TIMEOUTS_BEFORE_UNHEALTHY || !this.healthy) return;
    this.unhealthy(`no answer within ${this.timeoutMs} ms, ${this.timeoutsInARow} times in a row`);
    this.client.ping().then(
      () => {
        this.timeoutsInARow = 0;
        if (this.healthy) return;
        this.healthy = true;
        this.logger.info({ redis: this.safeUrl }, 'Redis is reachable: shared cache in use');
      },
      // A lost connection: the client reconnects on its own and 'ready' marks Redis healthy again.
      () => undefined,
    );
  }

  static async connect(settings: RedisSettings): Promise<RedisCache> {
    const client = await createRedisClient(settings);
    const cache = new RedisCache(client as unknown as RedisClient, settings);
    // Start-up does not wait for Redis: an unreachable Redis is a fallback, not a failure.
    cache.client.connect().catch((error: Error) => {
      cache.lastError = error.message;
    });
    return cache;
  }

  private async attempt<T>(operation: () => Promise<T>): Promise<T | typeof FAILED> {
    if (!this.healthy) return FAILED;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        operation(),
        new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
        }),
      ]);
      if (result === TIMED_OUT) {
        this.timedOut();
        return FAILED;
      }
      this.timeoutsInARow = 0;
      return result;
    } catch (error) {
      this.lastError = (error as Error).message;
      return FAILED;
    } finally {
      clearTimeout(timer);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.attempt(() => this.client.get(key));
    if (value === FAILED) return this.fallback.get(key);
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const ms = Math.max(1, Math.round(ttlSeconds * 1000));
    const done = await this.attempt(() => this.client.set(key, value, { expiration: { type: 'PX', value: ms } }));
    if (done === FAILED) await this.fallback.set(key, value, ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    await this.fallback.delete(key);
    await this.attempt(() => this.client.del(key));
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = `lock:${key}`;
    const token = randomUUID();
    const taken = await this.attempt(() => this.client.set(lockKey, token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }));
    if (taken === FAILED) return this.fallback.lock(key, ttlMs);
    if (taken !== 'OK') return undefined;
    return async () => {
      // Only the holder releases; an expired lock taken over by another process is left alone.
      if ((await this.attempt(() => this.client.get(lockKey))) === token) await this.attempt(() => this.client.del(lockKey));
    };
  }

  async takeToken(key: string, capacity: number, refillPerSecond: number, cost = 1): Promise<TokenTake> {
    checkBucket(capacity, refillPerSecond, cost);
    // A take that Redis runs after we stopped waiting (it was paused) would charge the bucket a second time, on top
    // of the fallback: it carries a deadline in Redis's clock, past which the script does nothing.
    const deadline = this.clockOffsetMs === undefined ? '' : String(Date.now() + this.clockOffsetMs + this.timeoutMs);
    // Own key space: a hash at a key that get/set also use would fail with WRONGTYPE.
    const reply = await this.attempt(() =>
      this.client.eval(TAKE_TOKEN_SCRIPT, { keys: [`bucket:${key}`], arguments: [String(capacity), String(refillPerSecond), String(cost), deadline] }),
    );
    const taken = reply === FAILED ? undefined : parseTokenReply(reply);
    if (taken) this.clockOffsetMs = taken.redisNow - Date.now();
    // This instance's share of the bucket (at least one call's worth), not a fresh full bucket per instance.
    if (!taken) return this.fallback.takeToken(key, Math.max(cost, capacity / this.instances), refillPerSecond / this.instances, cost);
    return { allowed: taken.allowed, remaining: taken.remaining, retryAfterMs: taken.retryAfterMs };
  }

  async ready(timeoutMs: number): Promise<void> {
    for (let waited = 0; !this.healthy && waited < timeoutMs; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  status() {
    return this.healthy
      ? { kind: 'redis' as const, healthy: true, detail: `Redis at ${this.safeUrl}` }
      : { kind: 'redis' as const, healthy: false, detail: `Redis at ${this.safeUrl} unreachable (${this.lastError}); serving from memory` };
  }

  async close(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}

const FAILED = Symbol('redis-failed');
const TIMED_OUT = Symbol('redis-timed-out');

// One script, so that read, refill, take and write are atomic across all instances.
// The clock is Redis's own (TIME): instances' clocks may disagree, the bucket must not.
// Lua numbers become integer replies (truncated), hence the explicit floor/ceil.
const TAKE_TOKEN_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local deadline = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if deadline ~= nil and now > deadline then
  return { -1, 0, 0, now }
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
end
local allowed = 0
local retry = 0
if tokens + ${TOKEN_EPSILON} >= cost then
  allowed = 1
  tokens = math.max(0, tokens - cost)
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
local untilFull = math.ceil((capacity - tokens) * 1000 / rate)
if untilFull <= 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], untilFull)
end
return { allowed, math.floor(tokens + ${TOKEN_EPSILON}), retry, now }
`;

/** A bucket answer, with Redis's clock when it ran; undefined for anything else (a take past its deadline included). */
function parseTokenReply(reply: unknown): (TokenTake & { redisNow: number }) | undefined {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((item) => typeof item === 'number')) return undefined;
  const [allowed, remaining, retryAfterMs, redisNow] = reply as [number, number, number, number];
  if (allowed !== 0 && allowed !== 1) return undefined;
  return { allowed: allowed === 1, remaining, retryAfterMs, redisNow };
}
