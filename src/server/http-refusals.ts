// Refused HTTP requests: limited per client address, counted in /metrics by reason, and logged in aggregate (one line
// per interval with counts), so a flood of bad tokens costs neither verification work nor a log line each.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { RateLimit } from '../core/ratelimit.js';

export type RefusalReason =
  | 'bad_host'
  | 'bad_origin'
  | 'no_token'
  | 'bad_token'
  | 'insufficient_scope'
  | 'too_large'
  | 'not_found'
  | 'rate_limited'
  | 'too_many_refusals'
  | 'too_many_connections'
  | 'shutting_down';

// Refusals that say nothing about the client's honesty do not use up its address's allowance.
const NOT_CHARGED = new Set<RefusalReason>(['rate_limited', 'too_many_refusals', 'too_many_connections', 'shutting_down']);

export interface RefusalOptions {
  /** Refusals one address may collect: a burst, refilled over time. */
  limit: RateLimit;
  logger: Logger;
  metrics: Metrics;
  /** Addresses of proxies whose X-Forwarded-For names the client. */
  trustedProxies?: string[];
  intervalMs?: number;
  /** Most addresses tracked at once; the least recently seen is forgotten first. */
  maxAddresses?: number;
}

export class Refusals {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly counts = new Map<RefusalReason, number>();
  private readonly addresses = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly trusted: Set<string>;

  constructor(private readonly options: RefusalOptions) {
    this.trusted = new Set((options.trustedProxies ?? []).map(plainAddress));
  }

  /** The client's address: the socket's peer, or the entry a trusted proxy added to X-Forwarded-For. */
  clientAddress(req: IncomingMessage): string {
    const peer = plainAddress(req.socket.remoteAddress ?? 'unknown');
    if (!this.trusted.has(peer)) return peer;
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((item) => item.trim()).filter(Boolean);
    return forwarded.length ? plainAddress(forwarded[forwarded.length - 1]!) : peer;
  }

  /** Seconds until the address may be refused again, when it has used up its refusals; undefined otherwise. */
  exhausted(address: string): number | undefined {
    const tokens = this.tokens(address, Date.now());
    if (tokens >= 1) return undefined;
    return Math.max(1, Math.ceil((1 - tokens) / this.options.limit.refillPerSecond));
  }

  record(address: string, reason: RefusalReason): void {
    this.options.metrics.refused(reason);
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    if (this.addresses.size < 1000) this.addresses.add(address);
    this.timer ??= setTimeout(() => this.flush(), this.options.intervalMs ?? 10_000).unref();
    if (NOT_CHARGED.has(reason)) return;
    const now = Date.now();
    const tokens = this.tokens(address, now);
    this.buckets.delete(address);
    this.buckets.set(address, { tokens: Math.max(0, tokens - 1), updatedAt: now });
    const max = this.options.maxAddresses ?? 10_000;
    while (this.buckets.size > max) this.buckets.delete(this.buckets.keys().next().value as string);
  }

  /** One log line with what was refused since the last one. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.counts.size) return;
    this.options.logger.info({ refused: Object.fromEntries(this.counts), addresses: this.addresses.size }, 'HTTP requests refused');
    this.counts.clear();
    this.addresses.clear();
  }

  private tokens(address: string, now: number): number {
    const { capacity, refillPerSecond } = this.options.limit;
    const bucket = this.buckets.get(address);
    return bucket ? Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) * refillPerSecond) / 1000) : capacity;
  }
}

/** IPv4 peers of a dual-stack socket appear as ::ffff:a.b.c.d. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
