// Small statistics helpers: every distribution is reported as min / median / max (plus p90 where asked).

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an already sorted array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    max: sorted.at(-1) ?? Number.NaN,
    mean,
  };
}

export function median(values: readonly number[]): number {
  return summarise(values).p50;
}

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `total` calls of `fn` on `concurrency` workers (`fn` gets the worker's index); returns calls per second. */
export async function pool(total: number, concurrency: number, fn: (worker: number) => Promise<unknown>): Promise<number> {
  let started = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (started < total) {
        started++;
        await fn(worker);
      }
    }),
  );
  return total / ((nowMs() - start) / 1000);
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** Bytes of a string as UTF-8, and the rough token count used throughout (bytes / 4). */
export function bytesOf(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function tokensOf(bytes: number): number {
  return bytes / 4;
}
