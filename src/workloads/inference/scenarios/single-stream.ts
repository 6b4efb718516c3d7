// MLPerf SingleStream: one query of one sample at a time, the next issued when the previous completes; the
// figure is the 90th-percentile latency. Samples are the p90 of consecutive windows of queries (so the record
// gets a confidence interval); p50/p99 over all queries are secondary figures.
import { summarize, type StoppingRules } from '../../../measure/index.js';
import type { MeasureHooks } from '../../types.js';
import { callOnce, now } from './clock.js';
import { latencySummary, percentile, windows } from './latency.js';
import type { QueryFn, ScenarioResult } from './result.js';

export const SINGLE_STREAM_METRIC = { name: 'p90 latency', unit: 'ms', direction: 'lower' } as const;

export interface StreamLimits {
  queries: number;
  seconds: number;
}

/** Warm-up as the suite's rules say (iterations and seconds), untimed. */
export async function warmUp(query: QueryFn, rules: StoppingRules): Promise<number[]> {
  const times: number[] = [];
  const t0 = now();
  while (
    times.length < Math.max(1, rules.warmup.minIterations) ||
    (now() - t0 < rules.warmup.minSeconds && now() - t0 < rules.warmup.maxSeconds)
  ) {
    const s = now();
    await callOnce(query);
    times.push(now() - s);
  }
  return times;
}

export async function runSingleStream(
  query: QueryFn,
  limits: StreamLimits,
  rules: StoppingRules,
  hooks: MeasureHooks,
): Promise<ScenarioResult> {
  const warm = await warmUp(query, rules);
  const warnings: string[] = [];
  // The run lasts at least `seconds` and `queries`, but never past the suite's maxSeconds (nor below `seconds`).
  const cap = Math.max(rules.maxSeconds, limits.seconds);
  const latencies: number[] = [];
  await hooks.onSamplingStart?.();
  const t0 = now();
  let elapsed = 0;
  while (latencies.length < limits.queries || elapsed < limits.seconds) {
    const s = now();
    await callOnce(query);
    const e = now();
    latencies.push((e - s) * 1000);
    elapsed = e - t0;
    if (latencies.length % 16 === 0) hooks.onSample?.(latencies.length, elapsed);
    if (elapsed >= cap) break;
  }
  await hooks.onSamplingEnd?.();
  if (latencies.length < limits.queries)
    warnings.push(
      `only ${latencies.length} of ${limits.queries} queries ran before the ${cap} s limit (stop.maxSeconds)`,
    );
  const perWindow = windows(latencies);
  const all = latencySummary(latencies);
  return {
    metric: SINGLE_STREAM_METRIC,
    samples: perWindow.map((w) => percentile(w, 0.9)),
    iterationSeconds: latencies.map((ms) => ms / 1000),
    secondary: [
      {
        name: 'p50 latency',
        unit: 'ms',
        direction: 'lower',
        stats: summarize(perWindow.map((w) => percentile(w, 0.5))),
      },
      {
        name: 'p99 latency',
        unit: 'ms',
        direction: 'lower',
        stats: summarize(perWindow.map((w) => percentile(w, 0.99))),
      },
      { name: 'query latency', unit: 'ms', direction: 'lower', stats: summarize(latencies) },
    ],
    warnings,
    calls: latencies.length,
    details: {
      kind: 'inference',
      scenario: 'single-stream',
      batch: 1,
      ...all,
      seconds: elapsed,
      windows: perWindow.length,
      warmupQueries: warm.length,
      latencyPercentiles: 'nearest rank over all queries',
    },
  };
}
