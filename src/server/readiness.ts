// /readyz: whether each connector's upstream answers. Anyone may ask, as often as they like, so the check is each
// connector's light `ready()` (never doctor, which probes privileges and publishes on MQTT), its answer is kept for
// a few seconds, and requests that arrive while a check runs wait for that check instead of starting their own.
import type { ConnectorRuntime } from '../core/connector.js';
import type { Logger } from '../core/logger.js';

export interface ReadinessReport {
  ok: boolean;
  connectors: Record<string, 'ok' | 'unavailable'>;
}

export interface ReadinessOptions {
  /** How long an answer is reused (default 5 s). */
  ttlMs?: number;
  /** How long one connector may take before it counts as unavailable (default 5 s). */
  timeoutMs?: number;
  logger?: Logger;
}

/** A function answering the current readiness: at most one check per connector in flight, reused for `ttlMs`. */
export function readinessProbe(connectors: ReadonlyArray<Pick<ConnectorRuntime, 'name' | 'ready'>>, options: ReadinessOptions = {}): () => Promise<ReadinessReport> {
  const ttlMs = options.ttlMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let last: { at: number; report: ReadinessReport } | undefined;
  let running: Promise<ReadinessReport> | undefined;

  const check = async (): Promise<ReadinessReport> => {
    const results = await Promise.all(
      connectors.map(async (connector) => {
        try {
          await connector.ready(AbortSignal.timeout(timeoutMs));
          return [connector.name, 'ok'] as const;
        } catch (error) {
          // The reason stays in the log: the anonymous answer says only which connector is unavailable.
          options.logger?.warn({ err: error, connector: connector.name }, 'readiness check failed');
          return [connector.name, 'unavailable'] as const;
        }
      }),
    );
    return { ok: results.every(([, state]) => state === 'ok'), connectors: Object.fromEntries(results) };
  };

  return () => {
    if (last && Date.now() - last.at < ttlMs) return Promise.resolve(last.report);
    running ??= check()
      .then((report) => {
        last = { at: Date.now(), report };
        return report;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}
