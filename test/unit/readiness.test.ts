// The /readyz answer: one check per connector in flight however many probes wait, reused for a few seconds, and a
// failing or hanging connector reported as unavailable without saying why.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readinessProbe } from '../../src/server/readiness.js';

/** A connector whose checks stay open until the test settles them. */
function connector(name: string) {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    name,
    pending,
    ready: vi.fn(() => new Promise<void>((resolve, reject) => pending.push({ resolve, reject }))),
  };
}

afterEach(() => vi.useRealTimers());

describe('readinessProbe', () => {
  it('shares one check per connector among concurrent probes', async () => {
    const redmine = connector('redmine');
    const mqtt = connector('coreflux');
    const probe = readinessProbe([redmine, mqtt]);
    const answers = Promise.all(Array.from({ length: 30 }, () => probe()));
    await vi.waitFor(() => expect(mqtt.pending).toHaveLength(1));
    expect(redmine.ready).toHaveBeenCalledTimes(1);
    expect(mqtt.ready).toHaveBeenCalledTimes(1);
    redmine.pending[0]!.resolve();
    mqtt.pending[0]!.reject(new Error('MQTT broker 127.0.0.1:1883: reconnecting'));
    for (const report of await answers) expect(report).toEqual({ ok: false, connectors: { redmine: 'ok', coreflux: 'unavailable' } });
  });

  it('reuses an answer for its lifetime, then checks again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redmine = connector('redmine');
    const probe = readinessProbe([redmine], { ttlMs: 5_000 });
    const first = probe();
    await vi.waitFor(() => expect(redmine.pending).toHaveLength(1));
    redmine.pending[0]!.resolve();
    expect(await first).toEqual({ ok: true, connectors: { redmine: 'ok' } });
    vi.setSystemTime(Date.now() + 4_000);
    expect(await probe()).toEqual({ ok: true, connectors: { redmine: 'ok' } });
    expect(redmine.ready).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 2_000);
    const again = probe();
    await vi.waitFor(() => expect(redmine.pending).toHaveLength(2));
    redmine.pending[1]!.resolve();
    await again;
    expect(redmine.ready).toHaveBeenCalledTimes(2);
  });

  it('gives up on a connector that does not answer in time', async () => {
    const hanging = { name: 'youtrack', ready: (signal: AbortSignal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
    const report = await readinessProbe([hanging], { timeoutMs: 50 })();
    expect(report).toEqual({ ok: false, connectors: { youtrack: 'unavailable' } });
  });
});
