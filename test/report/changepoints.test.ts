// Change points on constructed series with known truth: steps, a drift, noise only. The rates asserted here are
// what the method gives on these series (seeded), with margins; see the note printed by each test.
import { describe, expect, it } from 'vitest';
import { prng } from '../../src/random.js';
import {
  changePoints,
  changes,
  DEFAULT_CHANGEPOINTS,
  regressions,
  type HistoryPoint,
} from '../../src/analysis/index.js';

/** Seeded normal noise (Box–Muller over the project's PRNG; 1 - u keeps the logarithm finite). */
function noise(seed: number): () => number {
  const uniform = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** n runs around `level(i)` with relative noise `sd`. */
function series(n: number, level: (i: number) => number, sd: number, seed: number): number[] {
  const z = noise(seed);
  return Array.from({ length: n }, (_, i) => level(i) * (1 + sd * z()));
}

describe('E-Divisive change points', () => {
  it('finds a single step where it is, and calls a drop in throughput a regression', () => {
    const s = series(40, (i) => (i < 25 ? 100 : 90), 0.01, 7);
    expect(changePoints(s)).toEqual([25]);
    const [c] = changes(s, 'higher');
    expect(c!.comparison.verdict).toBe('SLOWER');
    expect(c!.comparison.ratio).toBeCloseTo(0.9, 1);
    expect(c!.before).toEqual({ from: 0, to: 25 });
    expect(c!.after).toEqual({ from: 25, to: 40 });
  });

  it('finds two steps, and a faster run after a fix is an improvement, not a regression', () => {
    const s = series(60, (i) => (i < 20 ? 10 : i < 40 ? 12 : 10), 0.01, 3); // latency: up, then back down
    const found = changes(s, 'lower');
    expect(found.map((c) => c.index)).toEqual([20, 40]);
    expect(found.map((c) => c.comparison.verdict)).toEqual(['SLOWER', 'FASTER']);
  });

  it('detects 5% steps in 1% noise in nearly every series, near the true index', () => {
    let hit = 0;
    const trials = 40;
    for (let seed = 1; seed <= trials; seed++) {
      const at = 10 + (seed % 20);
      const s = series(40, (i) => (i < at ? 100 : 95), 0.01, 1000 + seed);
      const found = changes(s, 'higher');
      if (found.some((c) => Math.abs(c.index - at) <= 1 && c.comparison.verdict === 'SLOWER')) hit++;
    }
    console.log(`detection of a 5% step in 1% noise, n=40: ${hit}/${trials}`);
    expect(hit / trials).toBeGreaterThanOrEqual(0.9);
  });

  it('raises almost no false alarm on noise alone, and none once the minimum effect applies', () => {
    let splits = 0;
    let regressions = 0;
    const trials = 60;
    for (let seed = 1; seed <= trials; seed++) {
      const s = series(40, () => 100, 0.01, 5000 + seed);
      splits += changePoints(s).length;
      regressions += changes(s, 'higher').filter((c) => c.comparison.verdict === 'SLOWER').length;
    }
    console.log(`noise only (1%, n=40): ${splits} split(s), ${regressions} regression(s) in ${trials} series`);
    expect(splits).toBeLessThanOrEqual(3); // pValue 0.01 per test
    expect(regressions).toBe(0); // a 2% minimum effect is far above 1% noise's split-to-split wobble
  });

  it('a slow drift shows as change points that the verdicts call worse', () => {
    const s = series(60, (i) => 100 - i * 0.5, 0.005, 11); // -30% over 60 runs
    const found = changes(s, 'higher');
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((c) => c.comparison.verdict === 'SLOWER')).toBe(true);
  });

  it('is deterministic (seeded permutations) and leaves short series alone', () => {
    const s = series(30, (i) => (i < 15 ? 1 : 1.2), 0.02, 9);
    expect(changePoints(s)).toEqual(changePoints(s));
    expect(changePoints([1, 2, 3, 4, 5])).toEqual([]); // fewer than 2 × minSize
    expect(DEFAULT_CHANGEPOINTS.minSize).toBe(3);
  });
});

describe('regressions in a history', () => {
  it('orders runs by time, keeps only the worse changes, and names what changed in provenance', () => {
    const figures = series(30, (i) => (i < 18 ? 200 : 170), 0.01, 21);
    const history: HistoryPoint[] = figures.map((median, i) => ({
      id: `run-${i}`,
      startedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      median,
      provenance: { driver: i < 18 ? '550.54' : '560.35', node: 'a100-01', engine: 'onnxruntime 1.30.0' },
    }));
    const [r, ...rest] = regressions([...history].reverse(), 'higher'); // given newest first: still ordered by time
    expect(rest).toEqual([]);
    expect(r!.index).toBe(18);
    expect(r!.lastBefore.id).toBe('run-17');
    expect(r!.firstAfter.id).toBe('run-18');
    expect(r!.changed).toEqual([{ field: 'driver', before: '550.54', after: '560.35' }]);
    expect(r!.comparison.ratio).toBeLessThan(0.9);
    expect(
      regressions(
        history.map((p) => ({ ...p, median: 1000 - p.median })),
        'higher',
      ),
    ).toEqual([]); // got faster
  });
});
