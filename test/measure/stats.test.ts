import { describe, expect, it } from 'vitest';
import { drift, findOutliers, median, medianCiRanks, relativeCiHalfWidth, settledSamples, sortedSamples, summarize } from '../../src/measure/index.js';

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
    const xs = Array.from({ length: 101 }, (_, i) => i);
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
