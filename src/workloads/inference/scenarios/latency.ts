// Percentiles and per-window figures of query latencies.

/** Nearest-rank percentile (MLPerf reports latency percentiles this way): the smallest value with at least q of the data at or below it. */
export function percentile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Splits values into consecutive windows of equal size (the last absorbs the remainder); at least 10 per window. */
export function windows<T>(values: readonly T[], target = 10): T[][] {
  const size = Math.max(10, Math.floor(values.length / target));
  const out: T[][] = [];
  for (let i = 0; i + size <= values.length; i += size) out.push(values.slice(i, i + size));
  const rest = values.length % size;
  if (rest && out.length) out[out.length - 1]!.push(...values.slice(values.length - rest));
  else if (rest) out.push([...values]);
  return out;
}

export function latencySummary(ms: readonly number[]) {
  return {
    p50Ms: percentile(ms, 0.5),
    p90Ms: percentile(ms, 0.9),
    p99Ms: percentile(ms, 0.99),
    maxMs: Math.max(...ms),
    queries: ms.length,
  };
}
