// The in-memory store: expiry, least-recently-used eviction, exclusive locks, and namespaces.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemoryCache, NamespacedCache } from '../../src/core/cache.js';

describe('MemoryCache', () => {
  it('returns values until they expire', async () => {
    const cache = new MemoryCache();
    await cache.set('a', '1', 0.05);
    expect(await cache.get('a')).toBe('1');
    await sleep(80);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry when full', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.get('a'); // a is now more recent than b
    await cache.set('c', '3', 60);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
  });

  it('gives a lock to one caller at a time, even when asked at the same moment', async () => {
    const cache = new MemoryCache();
    const attempts = await Promise.all(Array.from({ length: 10 }, () => cache.lock('refresh', 1000)));
    expect(attempts.filter(Boolean)).toHaveLength(1);
    await attempts.find(Boolean)!();
    expect(await cache.lock('refresh', 1000)).toBeDefined();
  });

  it('lets a lock lapse after its time, and a stale release does not free a newer holder', async () => {
    const cache = new MemoryCache();
    const first = await cache.lock('job', 30);
    await sleep(50);
    const second = await cache.lock('job', 1000);
    expect(second).toBeDefined();
    await first!();
    expect(await cache.lock('job', 1000)).toBeUndefined();
  });

  it('keeps namespaces apart', async () => {
    const store = new MemoryCache();
    const a = new NamespacedCache(store, 'etim:aaaa');
    const b = new NamespacedCache(store, 'etim:bbbb');
    await a.set('oauth:token', 'token-a', 60);
    expect(await b.get('oauth:token')).toBeUndefined();
    expect(await store.get('etim:aaaa:oauth:token')).toBe('token-a');
  });
});
