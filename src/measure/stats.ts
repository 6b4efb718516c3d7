// Summary statistics of raw samples. Pure functions: the same samples always give the same figures.
import * as ss from 'simple-statistics';

export interface Outliers {
  /** Modified z-score threshold (Iglewicz & Hoaglin; hyperfine uses 3.5 too). */
  threshold: number;
  low: number;
  high: number;
  /** Indices into the sample array, in sampling order. */
  indices: number[];
}

export interface Stats {
  n: number;
  median: number;
  mean: number;
  stdev: number;
  /** Coefficient of variation: stdev / mean. */
  cv: number;
  /** 95% confidence interval of the median. */
  ci95: [number, number];
  /** How ci95 was obtained: distribution-free order statistics, or none when n is too small. */
  ciMethod: 'order-statistics' | 'none';
  p5: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  /** Median absolute deviation (raw, not scaled). */
  mad: number;
  outliers: Outliers;
}

const OUTLIER_THRESHOLD = 3.5;

/**
 * Ranks (1-based, inclusive) of the order statistics that bound a 95% interval for the median.
 * Exact from the binomial distribution for small n, normal approximation above; null when n < 6
 * (no pair of order statistics reaches 95% coverage).
 */
const ciRanksCache = new Map<string, [number, number] | null>();

export function medianCiRanks(n: number, confidence = 0.95): [number, number] | null {
  const key = `${n}:${confidence}`;
  if (!ciRanksCache.has(key)) ciRanksCache.set(key, computeCiRanks(n, confidence));
  return ciRanksCache.get(key)!;
}

function computeCiRanks(n: number, confidence: number): [number, number] | null {
  if (n < 6) return null;
  const alpha = 1 - confidence;
  if (n <= 1000) {
    const pmf = ss.binomialDistribution(n, 0.5) ?? [];
    // Largest k with P(X < k) <= alpha/2, where X ~ Bin(n, 1/2) counts samples below the median.
    let cdf = 0;
    let k = 0;
    while (k < pmf.length && cdf + (pmf[k] ?? 0) <= alpha / 2) {
      cdf += pmf[k] ?? 0;
      k += 1;
    }
    if (k === 0) return null;
    return [k, n + 1 - k];
  }
  const z = ss.probit(1 - alpha / 2);
  const half = (z * Math.sqrt(n)) / 2;
  const lo = Math.max(1, Math.floor(n / 2 - half));
  return [lo, n + 1 - lo];
}

export function findOutliers(
  samples: readonly number[],
  threshold = OUTLIER_THRESHOLD,
  known?: { median: number; mad: number },
): Outliers {
  const result: Outliers = { threshold, low: 0, high: 0, indices: [] };
  if (samples.length < 3) return result;
  const med = known?.median ?? ss.median(samples as number[]);
  const mad = known?.mad ?? ss.medianAbsoluteDeviation(samples as number[]);
  if (mad === 0) return result;
  samples.forEach((x, i) => {
    const z = (0.6745 * (x - med)) / mad;
    if (z > threshold) {
      result.high += 1;
      result.indices.push(i);
    } else if (z < -threshold) {
      result.low += 1;
      result.indices.push(i);
    }
  });
  return result;
}

// A report pools tens of thousands of samples per site and case, then summarizes and rank-tests the same
// arrays: an array handed over as settled (settledSamples) is sorted once and remembered. Only those: any
// other array may still change, and is sorted afresh each time. (Object.freeze would say the same, but
// V8's frozen arrays copy ~1.5× slower, which costs a large report ~0.4 s.)
const settled = new WeakSet<readonly number[]>();
const sortedCache = new WeakMap<readonly number[], Float64Array>();

/** Marks an array whose values will not change again (its owner's promise), so its sort can be reused. */
export function settledSamples(samples: number[]): readonly number[] {
  settled.add(samples);
  return samples;
}

/** The samples in ascending order (a typed-array sort: numeric and native); remembered for settled arrays. */
export function sortedSamples(samples: readonly number[]): Float64Array {
  if (!settled.has(samples)) return new Float64Array(samples).sort();
  let sorted = sortedCache.get(samples);
  if (!sorted) {
    sorted = new Float64Array(samples).sort();
    sortedCache.set(samples, sorted);
  }
  return sorted;
}

/** Median of unsorted samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median: no samples');
  return medianOfSorted(sortedSamples(samples));
}

/** Median of an ascending typed array. */
function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sortedTyped = sortedSamples(samples);
  const sorted = sortedTyped as unknown as number[];
  const n = sorted.length;
  const median = medianOfSorted(sortedTyped);
  const mean = ss.mean(sorted);
  const stdev = n > 1 ? ss.sampleStandardDeviation(sorted) : 0;
  const ranks = medianCiRanks(n);
  const mad = medianOfSorted(sortedTyped.map((x) => Math.abs(x - median)).sort());
  const ci95: [number, number] = ranks ? [sorted[ranks[0] - 1]!, sorted[ranks[1] - 1]!] : [sorted[0]!, sorted[n - 1]!];
  return {
    n,
    median,
    mean,
    stdev,
    cv: mean !== 0 ? stdev / Math.abs(mean) : 0,
    ci95,
    ciMethod: ranks ? 'order-statistics' : 'none',
    p5: ss.quantileSorted(sorted, 0.05),
    p95: ss.quantileSorted(sorted, 0.95),
    p99: ss.quantileSorted(sorted, 0.99),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mad,
    outliers: findOutliers(samples, OUTLIER_THRESHOLD, { median, mad }),
  };
}

/** Half-width of the median's 95% interval relative to the median; Infinity when it cannot be computed. */
export function relativeCiHalfWidth(stats: Pick<Stats, 'ci95' | 'median' | 'ciMethod'>): number {
  if (stats.ciMethod === 'none' || stats.median === 0) return Infinity;
  return (stats.ci95[1] - stats.ci95[0]) / 2 / Math.abs(stats.median);
}

export interface Drift {
  /** Relative change of the fitted line from the first to the last sample, as a fraction of the median. */
  relativeChange: number;
  /** Pearson correlation between sample index and value. */
  correlation: number;
}

/** Linear trend across the run: a steady climb or fall means the system was not in a steady state. */
export function drift(samples: readonly number[]): Drift | null {
  const n = samples.length;
  if (n < 10) return null;
  const points = samples.map((y, i) => [i, y]);
  const { m } = ss.linearRegression(points);
  const med = ss.median(samples as number[]);
  const idx = samples.map((_, i) => i);
  const sd = ss.sampleStandardDeviation(samples as number[]);
  const correlation = sd === 0 ? 0 : ss.sampleCorrelation(idx, samples as number[]);
  return { relativeChange: med === 0 ? 0 : (m * (n - 1)) / med, correlation };
}
