// MLPerf Server: queries of one sample arrive as a Poisson process at a target rate; the figure is the
// rate achieved, valid only while the 99th-percentile latency stays within a bound. The arrival schedule
// is computed before the run and latency runs from a query's *scheduled* arrival to its completion, so
// time spent waiting behind a busy engine counts. Queries are served one at a time, in arrival order:
// onnxruntime-node's run() blocks the event loop (and tfjs calls are synchronous), so a second in-flight
// query cannot overlap the first in this process; each query uses the engine's intra-op threads.
import { summarize, type StoppingRules } from '../../../measure/index.js';
import type { MeasureHooks } from '../../types.js';
import { callOnce, now, waitUntil } from './clock.js';
import { latencySummary, percentile, windows } from './latency.js';
import { poissonArrivals } from './poisson.js';
import type { QueryFn, ScenarioResult } from './result.js';
import { warmUp } from './single-stream.js';

export const SERVER_METRIC = { name: 'server achieved QPS', unit: 'queries/s', direction: 'higher' } as const;

export interface ServerOptions {
  targetQps?: number | undefined;
  p99BoundMs: number;
  queries: number;
  seconds: number;
  findMaxQps: boolean;
  seed: number;
}

interface Trial {
  targetQps: number;
  issued: number;
  achievedQps: number;
  p99Ms: number;
  meetsBound: boolean;
  /** Stopped before the schedule ended: the engine could not keep up. */
  overloaded: boolean;
  latenciesMs: number[];
  completions: number[];
  seconds: number;
}

/**
 * Once one query is this late, the p99 bound is lost for good and the queue only grows: the trial stops
 * there (overloaded) instead of serving a backlog for minutes.
 */
const giveUpMs = (boundMs: number) => Math.max(10 * boundMs, 1000);

async function trial(
  query: QueryFn,
  rate: number,
  count: number,
  seed: number,
  boundMs: number,
  onSample?: MeasureHooks['onSample'],
): Promise<Trial> {
  const arrivals = poissonArrivals(rate, count, seed);
  const latenciesMs: number[] = [];
  const completions: number[] = [];
  const t0 = now() + 0.001;
  let overloaded = false;
  for (let i = 0; i < count; i++) {
    const due = t0 + arrivals[i]!;
    await waitUntil(due); // returns at once when the engine is already late
    await callOnce(query);
    const done = now();
    latenciesMs.push((done - due) * 1000);
    completions.push(done - t0);
    if (i % 16 === 15) onSample?.(i + 1, done - t0);
    if (latenciesMs[i]! > giveUpMs(boundMs) && i < count - 1) {
      overloaded = true;
      break;
    }
  }
  const seconds = completions.at(-1) ?? 0;
  const p99Ms = percentile(latenciesMs, 0.99);
  return {
    targetQps: rate,
    issued: latenciesMs.length,
    achievedQps: latenciesMs.length / seconds,
    p99Ms,
    meetsBound: !overloaded && p99Ms <= boundMs,
    overloaded,
    latenciesMs,
    completions,
    seconds,
  };
}

/** Bisection between 0 and the engine's serial capacity (1 / service time) for the highest passing rate. */
async function findMaxQps(query: QueryFn, serviceSeconds: number, o: ServerOptions) {
  let lo = 0;
  let hi = 1.1 / serviceSeconds;
  const trialSeconds = Math.max(1, o.seconds / 4);
  const trials: Array<Omit<Trial, 'latenciesMs' | 'completions'>> = [];
  for (let k = 0; k < 7; k++) {
    const rate = k === 0 && o.targetQps && o.targetQps < hi ? o.targetQps : (lo + hi) / 2;
    // Short trials: about trialSeconds long, with up to 32 queries for a rough p99 when the rate is low (at most 4× longer).
    const count = Math.max(4, Math.ceil(rate * trialSeconds), Math.min(32, Math.ceil(rate * 4 * trialSeconds)));
    const t = await trial(query, rate, count, o.seed + 1000 + k, o.p99BoundMs);
    const { latenciesMs: _l, completions: _c, ...summary } = t;
    trials.push(summary);
    if (t.meetsBound) lo = rate;
    else hi = rate;
  }
  return { rate: lo, trials };
}

export async function runServer(
  query: QueryFn,
  o: ServerOptions,
  rules: StoppingRules,
  hooks: MeasureHooks,
): Promise<ScenarioResult> {
  const warm = await warmUp(query, rules);
  const serviceSeconds = [...warm.slice(-5)].sort((a, b) => a - b)[Math.floor(Math.min(5, warm.length) / 2)]!;
  const warnings: string[] = [];
  let rate = o.targetQps ?? 0;
  let search: Awaited<ReturnType<typeof findMaxQps>> | null = null;
  const alone = percentile(
    warm.slice(-10).map((sec) => sec * 1000),
    0.9,
  );
  if (o.findMaxQps && alone > o.p99BoundMs) {
    // Even with no queueing a query takes longer than the bound: no rate can meet it, so no search.
    rate = o.targetQps ?? 0.5 / serviceSeconds;
    warnings.push(
      `a query alone takes ${alone.toFixed(1)} ms (p90 of the last warm-up queries), above the p99 bound of ${o.p99BoundMs} ms: no rate can meet it; ran at ${rate.toFixed(2)} queries/s`,
    );
  } else if (o.findMaxQps) {
    search = await findMaxQps(query, serviceSeconds, o);
    rate = search.rate;
    if (rate === 0) {
      rate = search.trials.reduce((m, t) => Math.min(m, t.targetQps), Infinity);
      warnings.push(
        `no rate tried met the p99 bound of ${o.p99BoundMs} ms (lowest tried ${rate.toFixed(2)} queries/s); reporting a run at that rate`,
      );
    }
  }
  // At least `seconds` of arrivals and `queries` queries, the latter only as far as stop.maxSeconds allows at this rate.
  const countAt = (r: number) =>
    Math.max(Math.ceil(r * o.seconds), Math.min(o.queries, Math.ceil(r * Math.max(rules.maxSeconds, o.seconds))), 2);
  // Short search trials can pass a rate that a full-length run does not: then step down 10%, up to 3 times.
  const failedFinals: Array<{ targetQps: number; p99Ms: number }> = [];
  let t: Trial;
  let issued = 0;
  // One measured window around every full-length run (energy meters count all of their queries).
  await hooks.onSamplingStart?.();
  for (;;) {
    t = await trial(query, rate, countAt(rate), o.seed, o.p99BoundMs, hooks.onSample);
    issued += t.issued;
    if (t.meetsBound || !search || search.rate === 0 || failedFinals.length >= 3) break;
    failedFinals.push({ targetQps: rate, p99Ms: t.p99Ms });
    rate *= 0.9;
  }
  await hooks.onSamplingEnd?.();
  const count = countAt(rate);
  if (count < o.queries)
    warnings.push(
      `${count} queries instead of ${o.queries}: at ${rate.toFixed(2)} queries/s more would run past stop.maxSeconds (${rules.maxSeconds} s)`,
    );
  if (t.overloaded)
    warnings.push(
      `overloaded: at ${rate.toFixed(2)} queries/s the queue kept growing; stopped after ${t.issued} queries, when one waited over ${giveUpMs(o.p99BoundMs)} ms`,
    );
  if (!t.meetsBound)
    warnings.push(
      `p99 latency ${t.p99Ms.toFixed(2)} ms exceeds the bound of ${o.p99BoundMs} ms at ${rate.toFixed(2)} queries/s: not a valid Server result`,
    );
  // Achieved rate per window of consecutive completions, so that the figure has an interval.
  const idx = windows(t.completions.map((_, i) => i));
  const perWindow = idx.map((w, k) => {
    const start = k === 0 ? 0 : t.completions[idx[k - 1]!.at(-1)!]!;
    return w.length / (t.completions[w.at(-1)!]! - start);
  });
  const p99PerWindow = idx.map((w) =>
    percentile(
      w.map((i) => t.latenciesMs[i]!),
      0.99,
    ),
  );
  return {
    metric: SERVER_METRIC,
    samples: perWindow,
    iterationSeconds: t.latenciesMs.map((ms) => ms / 1000),
    secondary: [
      { name: 'p99 latency', unit: 'ms', direction: 'lower', stats: summarize(p99PerWindow) },
      { name: 'query latency', unit: 'ms', direction: 'lower', stats: summarize(t.latenciesMs) },
    ],
    warnings,
    calls: issued,
    details: {
      kind: 'inference',
      scenario: 'server',
      batch: 1,
      targetQps: rate,
      p99BoundMs: o.p99BoundMs,
      achievedQps: t.achievedQps,
      ...latencySummary(t.latenciesMs),
      meetsBound: t.meetsBound,
      overloaded: t.overloaded,
      seconds: t.seconds,
      serviceMsAtWarmup: serviceSeconds * 1000,
      concurrency: 1,
      latencyFrom: 'scheduled arrival (queueing included)',
      ...(search
        ? {
            findMaxQps: {
              searchedQps: search.rate,
              maxQps: t.meetsBound ? rate : null,
              trials: search.trials,
              failedFullRuns: failedFinals,
            },
          }
        : {}),
    },
  };
}
