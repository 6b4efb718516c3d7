import { describe, expect, it } from 'vitest';
import {
  autocorrelationTime,
  summarizeRuns,
  tInterval,
  drift,
  findModes,
  findOutliers,
  median,
  medianCiRanks,
  relativeCiHalfWidth,
  settledSamples,
  sortedSamples,
  summarize,
} from '../../src/measure/index.js';

/** A seeded generator (an LCG) and normal deviates from it: the same samples on every machine. */
function generator(seed: number) {
  let state = seed;
  const uniform = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

describe('summarize', () => {
  it('gives the textbook figures for a small sample', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s.n).toBe(5);
    expect(s.median).toBe(3);
    expect(s.mean).toBe(3);
    expect(s.stdev).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(2.5) / 3, 12);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    // n < 6: no pair of order statistics covers 95%, and the record says so.
    expect(s.ciMethod).toBe('none');
    expect(relativeCiHalfWidth(s)).toBe(Infinity);
  });

  it('is deterministic and independent of sample order', () => {
    const xs = Array.from({ length: 50 }, (_, i) => Math.sin(i) + 10);
    const a = summarize(xs);
    const b = summarize([...xs].reverse());
    expect(b).toEqual({ ...a, outliers: b.outliers });
  });

  it('brackets the median with order statistics', () => {
    // 0…100 in a scrambled order: a climbing sequence would be one long phase, not independent samples
    const xs = Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
    const s = summarize(xs);
    expect(s.ciMethod).toBe('order-statistics');
    expect(s.ci95[0]).toBeLessThan(s.median);
    expect(s.ci95[1]).toBeGreaterThan(s.median);
    expect(s.p5).toBeCloseTo(5, 0);
    expect(s.p99).toBeGreaterThanOrEqual(98);
  });
});

describe('medianCiRanks', () => {
  it('matches the exact binomial table', () => {
    // Standard tables for the distribution-free 95% interval of the median.
    expect(medianCiRanks(5)).toBeNull();
    expect(medianCiRanks(6)).toEqual([1, 6]);
    expect(medianCiRanks(10)).toEqual([2, 9]);
    expect(medianCiRanks(20)).toEqual([6, 15]);
    expect(medianCiRanks(50)).toEqual([18, 33]);
  });

  it('switches to the normal approximation smoothly for large n', () => {
    const [lo, hi] = medianCiRanks(10_000)!;
    expect(lo).toBeGreaterThan(4890);
    expect(lo).toBeLessThan(4905);
    expect(hi).toBe(10_001 - lo);
  });
});

describe('findOutliers', () => {
  it('flags far values on both sides by modified z-score', () => {
    const xs = [10, 10.1, 9.9, 10.05, 9.95, 10.02, 50, 0.5];
    const o = findOutliers(xs);
    expect(o.high).toBe(1);
    expect(o.low).toBe(1);
    expect(o.indices.sort()).toEqual([6, 7]);
  });

  it('flags nothing in a constant sample', () => {
    expect(findOutliers([3, 3, 3, 3]).indices).toEqual([]);
  });
});

describe('drift', () => {
  it('detects a steady rise and ignores a flat series', () => {
    const rising = Array.from({ length: 40 }, (_, i) => 100 + i);
    const d = drift(rising)!;
    expect(d.correlation).toBeCloseTo(1, 6);
    expect(d.relativeChange).toBeCloseTo(39 / 119.5, 2);
    const flat = Array.from({ length: 40 }, (_, i) => 100 + (i % 2));
    expect(Math.abs(drift(flat)!.correlation)).toBeLessThan(0.1);
  });
});

describe('sorted samples', () => {
  it('are remembered for settled arrays only: any other array changed in place is sorted again', () => {
    const open = [3, 1, 2];
    expect(median(open)).toBe(2);
    open[1] = 100;
    expect(median(open)).toBe(3);
    expect(summarize(open).max).toBe(100);
    const kept = settledSamples([5, 4, 6]);
    expect(sortedSamples(kept)).toBe(sortedSamples(kept)); // one sort, shared
    expect(Array.from(sortedSamples(kept))).toEqual([4, 5, 6]);
  });
});

describe('samples that come in phases', () => {
  it('keeps the exact order-statistics interval for independent samples', () => {
    const g = generator(3);
    const s = summarize(Array.from({ length: 500 }, () => 100 + 5 * g.normal()));
    expect(s.ciMethod).toBe('order-statistics');
    expect(s.effectiveN).toBe(500);
  });

  it('widens the interval for autocorrelated samples so that it still covers the true median about 95% of the time', () => {
    // AR(1) around 0 with φ = 0.9: slow and fast stretches, true median 0; 200 runs of 400 samples
    const g = generator(11);
    let covered = 0;
    let plainCovered = 0;
    for (let run = 0; run < 200; run++) {
      let x = g.normal() / Math.sqrt(1 - 0.81);
      const xs = Array.from({ length: 400 }, () => (x = 0.9 * x + g.normal()));
      const s = summarize(xs);
      expect(s.ciMethod).toBe('order-statistics-autocorrelated');
      if (s.ci95[0] <= 0 && 0 <= s.ci95[1]) covered++;
      const sorted = [...xs].sort((a, b) => a - b);
      const [lo, hi] = medianCiRanks(400)!;
      if (sorted[lo - 1]! <= 0 && 0 <= sorted[hi - 1]!) plainCovered++;
      expect(s.effectiveN).toBeLessThan(150);
    }
    expect(covered / 200).toBeGreaterThan(0.88);
    expect(plainCovered / 200).toBeLessThan(0.75); // what the interval said before: far too sure
  });

  it('gives long phases a wide interval, and is blind to the direction of time', () => {
    const phased = Array.from(
      { length: 600 },
      (_, i) => (Math.floor(i / 100) % 2 ? 136 : 36) * (1 + 0.01 * Math.sin(i)),
    );
    expect(autocorrelationTime(phased, median(phased))).toBeGreaterThan(20);
    const s = summarize(phased);
    expect(s.ci95[1] / s.ci95[0]).toBeGreaterThan(2);
    expect(summarize([...phased].reverse())).toEqual({ ...s, outliers: summarize([...phased].reverse()).outliers });
  });
});

describe('findModes', () => {
  const sortedOf = (xs: number[]) => new Float64Array(xs).sort();

  it('finds two modes with their shares and medians (the bimodal ONNX Runtime runs on 2 vCPUs)', () => {
    const g = generator(5);
    const xs = Array.from({ length: 649 }, (_, i) => (i % 4 === 0 ? 136 : 36) * (1 + 0.05 * g.normal()));
    const modes = findModes(sortedOf(xs));
    expect(modes.map((m) => [Math.round(m.median), Math.round(m.share * 100) / 100])).toEqual([
      [36, 0.75],
      [136, 0.25],
    ]);
    expect(summarize(xs).modes).toEqual(modes);
  });

  it('finds three modes', () => {
    const g = generator(8);
    const xs = Array.from({ length: 900 }, (_, i) => [10, 30, 90][i % 3]! * (1 + 0.03 * g.normal()));
    expect(findModes(sortedOf(xs)).map((m) => Math.round(m.median))).toEqual([10, 30, 90]);
  });

  it('sees one mode in one hump, however skewed or flat, and in small samples', () => {
    const g = generator(9);
    const shapes: Record<string, () => number> = {
      normal: () => 100 + 5 * g.normal(),
      lognormal: () => 100 * Math.exp(0.5 * g.normal()),
      exponential: () => -Math.log(g.uniform() + 1e-12),
      flat: () => 50 + 100 * g.uniform(),
    };
    for (const [name, draw] of Object.entries(shapes))
      for (const n of [100, 1000, 20000])
        expect(findModes(sortedOf(Array.from({ length: n }, draw))).length, `${name} n=${n}`).toBe(1);
    // 40 samples of two clear clusters: too few to claim modes
    expect(findModes(sortedOf(Array.from({ length: 40 }, (_, i) => (i % 2 ? 10 : 100))))).toHaveLength(1);
    expect(summarize(Array.from({ length: 300 }, draw100)).modes).toBeUndefined();
    function draw100() {
      return 100 + g.normal();
    }
  });
});

describe('tInterval', () => {
  it('centres ratios on their geometric mean, with a t interval symmetric on the log scale', () => {
    const { centre, ci95 } = tInterval([2, 8]);
    expect(centre).toBeCloseTo(4, 12);
    // one degree of freedom: t = 12.706, sd of the logs ln4/√2, so the half-width is 12.706·ln4/2 on the log scale
    expect(Math.log(ci95[1] / centre)).toBeCloseTo((12.706 * Math.log(4)) / 2, 9);
    expect(ci95[0] * ci95[1]).toBeCloseTo(centre * centre, 9);
  });

  it("uses Student's t for up to 30 degrees of freedom (11 rounds: 2.228, not the normal's 1.96)", () => {
    const xs = [0.95, 0.97, 0.99, 1.0, 1.01, 1.02, 1.03, 1.05, 0.98, 1.04, 0.96];
    const logs = xs.map(Math.log);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    const { ci95 } = tInterval(xs);
    expect(Math.log(ci95[1]) - mean).toBeCloseTo((2.228 * sd) / Math.sqrt(11), 9);
  });

  it('gives one figure an unbounded interval, and equal figures a zero-width one', () => {
    expect(tInterval([1.02])).toEqual({ centre: 1.02, ci95: [0, Number.POSITIVE_INFINITY] }); // a ratio: above 0
    expect(tInterval([-3])).toEqual({ centre: -3, ci95: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] });
    const same = tInterval([0.9, 0.9, 0.9]);
    expect(same.centre).toBeCloseTo(0.9, 12);
    expect(same.ci95[0]).toBeCloseTo(0.9, 12);
    expect(same.ci95[1]).toBeCloseTo(0.9, 12);
  });

  it('works on the values themselves when any is not positive', () => {
    const { centre, ci95 } = tInterval([-1, 1]);
    expect(centre).toBe(0);
    expect(ci95[1]).toBeCloseTo(12.706, 9);
  });
});

describe('summarizeRuns', () => {
  it('widens the pooled interval to cover where separate runs put the median', () => {
    const g = generator(21);
    // three processes, each steady (cv 1%) but at its own level: 95, 100, 108
    const runs = [95, 100, 108].map((level) => Array.from({ length: 200 }, () => level * (1 + 0.01 * g.normal())));
    // interleaved, so the pooled sequence has no phases of its own: only the runs' levels differ
    const pooled = runs[0]!.flatMap((_, i) => runs.map((r) => r[i]!));
    const s = summarizeRuns(
      pooled,
      runs.map((r) => median(r)),
    );
    const plain = summarize(pooled);
    expect(plain.ci95[1] - plain.ci95[0]).toBeLessThan(3); // 600 samples: sure of itself
    expect(s.ciMethod).toBe('between-runs');
    expect(s.runs).toBe(3);
    expect(s.ci95[0]).toBeLessThan(95);
    expect(s.ci95[1]).toBeGreaterThan(108);
    expect(s.median).toBe(plain.median);
  });

  it('uses order statistics of the run medians from six runs on, and leaves agreeing runs alone', () => {
    const medians = [10, 11, 12, 13, 14, 15, 16, 17];
    const s = summarizeRuns(
      Array.from({ length: 50 }, (_, i) => medians.map((m) => m + (i % 5) * 0.001)).flat(),
      medians,
    );
    const [lo, hi] = medianCiRanks(8)!;
    expect(s.ci95).toEqual([medians[lo - 1], medians[hi - 1]]);
    const same = Array.from({ length: 300 }, (_, i) => 100 + Math.sin(i * 2.3));
    expect(summarizeRuns(same, [100, 100, 100])).toMatchObject({
      ciMethod: summarize(same).ciMethod,
      runs: 3,
      ci95: summarize(same).ci95,
    });
  });
});
