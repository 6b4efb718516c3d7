import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, mergeRules } from '../../src/measure/index.js';
import { percentile, windows } from '../../src/workloads/inference/scenarios/latency.js';
import { poissonArrivals } from '../../src/workloads/inference/scenarios/poisson.js';
import { runServer } from '../../src/workloads/inference/scenarios/server.js';
import { runSingleStream } from '../../src/workloads/inference/scenarios/single-stream.js';
import { runOffline } from '../../src/workloads/inference/scenarios/offline.js';

const rules = mergeRules(DEFAULT_RULES, {
  warmup: { minIterations: 2, minSeconds: 0, maxSeconds: 1 },
  minSamples: 5,
  minSeconds: 0,
  maxSeconds: 2,
  targetNoise: 0.5,
});
/** A query that keeps the CPU busy for `ms`, as a blocking engine call does. */
const busy = (ms: number) => () => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
};

describe('latency statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 0.5), percentile(xs, 0.9), percentile(xs, 0.99)]).toEqual([50, 90, 99]);
  });
  it('splits into windows that keep every value', () => {
    const w = windows(Array.from({ length: 205 }, (_, i) => i));
    expect(w).toHaveLength(10);
    expect(w.flat()).toHaveLength(205);
  });
});

describe('Poisson arrivals', () => {
  it('are seeded and have the asked mean rate', () => {
    const a = poissonArrivals(100, 20_000, 1);
    expect(a).toEqual(poissonArrivals(100, 20_000, 1));
    expect(20_000 / a.at(-1)!).toBeGreaterThan(97);
    expect(20_000 / a.at(-1)!).toBeLessThan(103);
  });
});

describe('scenarios', () => {
  it('Server counts queueing: when arrivals outpace the engine, latency from the scheduled arrival grows far beyond the service time', async () => {
    const r = await runServer(
      busy(2),
      { targetQps: 2000, p99BoundMs: 10, queries: 60, seconds: 0.01, findMaxQps: false, seed: 1 },
      rules,
      {},
    );
    const d = r.details as {
      p99Ms: number;
      meetsBound: boolean;
      achievedQps: number;
      targetQps: number;
      latencyFrom: string;
    };
    expect(d.p99Ms).toBeGreaterThan(20 * 2);
    expect(d.meetsBound).toBe(false);
    expect(d.achievedQps).toBeLessThan(d.targetQps);
    expect(r.warnings.join(' ')).toMatch(/exceeds the bound of 10 ms/);
    expect(r.metric).toEqual({ name: 'server achieved QPS', unit: 'queries/s', direction: 'higher' });
  });

  it('Server with find-max-qps reports a rate that meets the bound, below the engine capacity', async () => {
    const r = await runServer(
      busy(2),
      { p99BoundMs: 50, queries: 30, seconds: 0.2, findMaxQps: true, seed: 2 },
      rules,
      {},
    );
    const d = r.details as {
      findMaxQps: { searchedQps: number; maxQps: number | null; trials: unknown[] };
      targetQps: number;
      meetsBound: boolean;
    };
    expect(d.findMaxQps.trials.length).toBe(7);
    expect(d.findMaxQps.searchedQps).toBeGreaterThan(0);
    expect(d.findMaxQps.searchedQps).toBeLessThan(1100 / 2);
    // the reported rate is the one whose full-length run met the bound (the search result, or up to 3 steps of 10% below it)
    if (d.meetsBound) expect(d.findMaxQps.maxQps).toBe(d.targetQps);
    expect(d.targetQps).toBeLessThanOrEqual(d.findMaxQps.searchedQps);
  });

  it('SingleStream reports p90 per window with p50/p99 secondary, and frames the energy window', async () => {
    const events: string[] = [];
    const r = await runSingleStream(busy(0.2), { queries: 50, seconds: 0 }, rules, {
      onSamplingStart: () => events.push('start'),
      onSamplingEnd: () => events.push('end'),
    });
    expect(events).toEqual(['start', 'end']);
    expect(r.metric.name).toBe('p90 latency');
    expect(r.secondary.map((s) => s.name)).toEqual(['p50 latency', 'p99 latency', 'query latency']);
    expect(r.calls).toBeGreaterThanOrEqual(50);
    const d = r.details as { p50Ms: number; p90Ms: number; p99Ms: number };
    expect(d.p50Ms).toBeLessThanOrEqual(d.p90Ms);
    expect(d.p90Ms).toBeLessThanOrEqual(d.p99Ms);
  });

  it('Offline reports samples/s for the batch and counts samples, not calls', async () => {
    const r = await runOffline(busy(0.5), 8, rules, {});
    expect(r.metric).toEqual({ name: 'offline throughput', unit: 'samples/s', direction: 'higher' });
    expect(r.calls % 8).toBe(0);
  });
});
