// Small statistics for the benchmarks: percentiles of samples, medians and ranges of runs.
import { readFileSync } from "node:fs";

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
}

export function ms(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `task` for each item with at most `concurrency` in flight; returns each one's latency in ms. */
export async function timedPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = ms();
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      const t0 = ms();
      await task(items[index] as T);
      latencies.push(ms() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { latencies, wallMs: ms() - started };
}

export function rssMb(pid: number = process.pid): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}
