// Summary statistics of raw samples. Pure functions: the same samples always give the same figures.
import * as ss from 'simple-statistics';
import type { Mode, Outliers, RecordStats } from '../results/record.js';

export type { Mode, Outliers };

/**
 * The record's statistics as measure computes them. They differ from the record's on purpose in one field:
 * `effectiveN` (n / the integrated autocorrelation time of the above/below-median sequence) is always computed
 * here, while a record may lack it (written before autocorrelation was accounted for).
 */
export type Stats = RecordStats & { effectiveN: number };

/** Modified z-score above which a sample is flagged as an outlier (kept, not removed). */
export const OUTLIER_THRESHOLD = 3.5;
const Z95 = 1.959963984540054;
/** A mode holds at least this share of the samples (and 5 of them), and mode medians differ by at least this ratio. */
export const MODE_MIN_SHARE = 0.05;
export const MODE_MIN_RATIO = 1.1;
/** Samples between two modes (middle third) at most this fraction of those around the sparser mode (same width). */
export const MODE_MAX_VALLEY = 0.35;
/** Fewer samples than this are not searched for modes: small samples show spurious clusters. */
export const MODE_MIN_SAMPLES = 50;

/**
 * Integrated autocorrelation time τ of the sequence "sample above the median" (Geyer's initial monotone sequence
 * estimator), in sampling order: 1 for independent samples, large when slow and fast phases come in runs. The
 * median's interval then rests on n/τ samples' worth of evidence. τ is taken as 1 unless the lag-1
 * autocorrelation is significant (> 2/√n), so independent samples do not get intervals widened by noise in τ.
 */
export function autocorrelationTime(samples: readonly number[], median: number): number {
  const n = samples.length;
  if (n < 20) return 1;
  const x = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] = samples[i]! > median ? 1 : 0;
  mean /= n;
  let c0 = 0;
  for (let i = 0; i < n; i++) {
    x[i] = x[i]! - mean;
    c0 += x[i]! * x[i]!;
  }
  if (c0 === 0) return 1;
  const rho = (k: number) => {
    let c = 0;
    for (let i = 0; i + k < n; i++) c += x[i]! * x[i + k]!;
    return c / c0;
  };
  const rho1 = rho(1);
  if (rho1 <= 2 / Math.sqrt(n)) return 1;
  const maxLag = Math.min(Math.floor(n / 3), 2000);
  // τ = 1 + 2 Σ_{k≥1} ρ(k) = −1 + 2 Σ_{m≥0} Γ(m), Γ(m) = ρ(2m) + ρ(2m+1), summed while positive and non-increasing
  let tau = -1;
  let previous = Infinity;
  for (let m = 0; 2 * m + 1 <= maxLag; m++) {
    const g = Math.min((m === 0 ? 1 : rho(2 * m)) + (m === 0 ? rho1 : rho(2 * m + 1)), previous);
    if (g <= 0) break;
    tau += 2 * g;
    previous = g;
  }
  return Math.max(1, tau);
}

/** How many of the ascending sorted[lo..hi) lie in [a, b]. */
function countBetween(sorted: ArrayLike<number>, lo: number, hi: number, a: number, b: number): number {
  const first = (x: number, strict: boolean) => {
    let l = lo;
    let h = hi;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (strict ? sorted[m]! <= x : sorted[m]! < x) l = m + 1;
      else h = m;
    }
    return l;
  };
  return Math.max(0, first(b, true) - first(a, false));
}

/** Quantile of an ascending range sorted[lo..hi) by linear interpolation. */
function rangeQuantile(sorted: ArrayLike<number>, lo: number, hi: number, q: number): number {
  const pos = lo + (hi - lo - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < hi ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

/**
 * Modes of the samples, from a kernel density estimate of the sorted values (on a log scale when all are positive,
 * since rates and times spread multiplicatively): Gaussian kernel, Silverman's bandwidth, binned on 512 points.
 * Neighbouring peaks merge unless the valley between them is below MODE_MAX_VALLEY of the lower peak, a mode holds at
 * least MODE_MIN_SHARE of the samples (and 10), and neighbouring modes' medians differ by at least MODE_MIN_RATIO.
 * Samples under MODE_MIN_SAMPLES are not searched (small samples show spurious clusters).
 */
export function findModes(sorted: Float64Array): Mode[] {
  const n = sorted.length;
  const one: Mode[] = n ? [{ median: medianOfSorted(sorted), share: 1, n }] : [];
  if (n < MODE_MIN_SAMPLES) return one;
  const positive = sorted[0]! > 0;
  const v = positive ? sorted.map(Math.log) : sorted;
  const lo = v[0]!;
  const hi = v[n - 1]!;
  if (!(hi > lo)) return one;
  let sum = 0;
  let sq = 0;
  for (const x of v) {
    sum += x;
    sq += x * x;
  }
  const sd = Math.sqrt(Math.max(0, (sq - (sum * sum) / n) / (n - 1)));
  const iqr = (rangeQuantile(v, 0, n, 0.75) - rangeQuantile(v, 0, n, 0.25)) / 1.349;
  const h = 0.9 * (iqr > 0 ? Math.min(sd, iqr) : sd) * n ** -0.2;
  if (!(h > 0)) return one;
  // density on a grid: samples binned linearly, then convolved with the kernel
  const G = 512;
  const from = lo - 3 * h;
  const dx = (hi + 3 * h - from) / (G - 1);
  const counts = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    const pos = (v[i]! - from) / dx;
    const j = Math.min(G - 2, Math.floor(pos));
    const f = pos - j;
    counts[j] = counts[j]! + 1 - f;
    counts[j + 1] = counts[j + 1]! + f;
  }
  const reach = Math.min(G - 1, Math.ceil((4 * h) / dx));
  const kernel = Array.from({ length: reach + 1 }, (_, k) => Math.exp(-0.5 * ((k * dx) / h) ** 2));
  const density = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let d = 0;
    for (let k = -reach; k <= reach; k++) {
      const j = g + k;
      if (j >= 0 && j < G) d += counts[j]! * kernel[Math.abs(k)]!;
    }
    density[g] = d;
  }
  // peaks, and the lowest point between neighbours
  const peaks: number[] = [];
  for (let g = 1; g < G - 1; g++) if (density[g]! > density[g - 1]! && density[g]! >= density[g + 1]!) peaks.push(g);
  if (peaks.length < 2) return one;
  const valleyBetween = (a: number, b: number) => {
    let at = a;
    for (let g = a; g <= b; g++) if (density[g]! < density[at]!) at = g;
    return at;
  };
  // cut points (grid indices of valleys) between the modes kept so far
  const modes = peaks.map((g) => ({ peak: g }));
  const cutsOf = () => modes.slice(1).map((m, i) => valleyBetween(modes[i]!.peak, m.peak));
  const rangesOf = (cuts: number[]) => {
    const bounds = [0, ...cuts.map((c) => countBetween(v, 0, n, -Infinity, from + c * dx)), n];
    return modes.map((_, i) => [bounds[i]!, bounds[i + 1]!] as [number, number]);
  };
  const minN = Math.max(10, Math.ceil(MODE_MIN_SHARE * n));
  for (;;) {
    if (modes.length < 2) return one;
    const cuts = cutsOf();
    const ranges = rangesOf(cuts);
    // the weakest separation first: a shallow valley, a mode too small, or modes too close in value
    let merge = -1;
    let worst = -Infinity;
    for (let i = 0; i < cuts.length; i++) {
      const [a, b] = [modes[i]!, modes[i + 1]!];
      const shallow = density[cuts[i]!]! / Math.min(density[a.peak]!, density[b.peak]!);
      const [ra, rb] = [ranges[i]!, ranges[i + 1]!];
      const small = ra[1] - ra[0] < minN || rb[1] - rb[0] < minN;
      const close =
        positive &&
        rangeQuantile(sorted, rb[0], rb[1], 0.5) / rangeQuantile(sorted, ra[0], ra[1], 0.5) < MODE_MIN_RATIO;
      const badness = shallow >= MODE_MAX_VALLEY || close ? 2 + shallow : small ? 1 + shallow : -1;
      if (badness > worst) {
        worst = badness;
        merge = i;
      }
    }
    if (worst < 0) {
      return ranges.map(([a, b]) => ({ median: rangeQuantile(sorted, a, b, 0.5), share: (b - a) / n, n: b - a }));
    }
    // merged modes keep the higher peak
    const [a, b] = [modes[merge]!, modes[merge + 1]!];
    modes.splice(merge, 2, density[a.peak]! >= density[b.peak]! ? a : b);
  }
}

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

type MedianInterval = Pick<Stats, 'median' | 'ci95' | 'ciMethod' | 'effectiveN'>;

/**
 * The median's 95% interval by order statistics, the ranks widened by the autocorrelation time for samples that
 * come in phases. All the stopping rules need between samples: summarize adds the rest (percentiles, outliers, modes).
 */
export function medianInterval(samples: readonly number[]): MedianInterval {
  if (samples.length === 0) throw new Error('medianInterval: no samples');
  const sorted = sortedSamples(samples);
  return medianIntervalOfSorted(samples, sorted, medianOfSorted(sorted));
}

function medianIntervalOfSorted(samples: readonly number[], sorted: Float64Array, median: number): MedianInterval {
  const n = sorted.length;
  const tau = autocorrelationTime(samples, median);
  let ranks = medianCiRanks(n);
  let ciMethod: Stats['ciMethod'] = ranks ? 'order-statistics' : 'none';
  if (tau > 1) {
    // the count of samples below the median varies τ times more than for independent samples: widen the ranks
    const lo = Math.floor(n / 2 - (Z95 * Math.sqrt(n * tau)) / 2);
    ranks = lo >= 1 ? [lo, n + 1 - lo] : null;
    ciMethod = ranks ? 'order-statistics-autocorrelated' : 'none';
  }
  const ci95: [number, number] = ranks ? [sorted[ranks[0] - 1]!, sorted[ranks[1] - 1]!] : [sorted[0]!, sorted[n - 1]!];
  return { median, ci95, ciMethod, effectiveN: n / tau };
}

export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sortedTyped = sortedSamples(samples);
  const sorted = sortedTyped as unknown as number[];
  const n = sorted.length;
  const median = medianOfSorted(sortedTyped);
  const mean = ss.mean(sorted);
  const stdev = n > 1 ? ss.sampleStandardDeviation(sorted) : 0;
  const { ci95, ciMethod, effectiveN } = medianIntervalOfSorted(samples, sortedTyped, median);
  const mad = medianOfSorted(sortedTyped.map((x) => Math.abs(x - median)).sort());
  const modes = findModes(sortedTyped);
  return {
    n,
    median,
    mean,
    stdev,
    cv: mean !== 0 ? stdev / Math.abs(mean) : 0,
    ci95,
    ciMethod,
    effectiveN,
    ...(modes.length > 1 ? { modes } : {}),
    p5: ss.quantileSorted(sorted, 0.05),
    p95: ss.quantileSorted(sorted, 0.95),
    p99: ss.quantileSorted(sorted, 0.99),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mad,
    outliers: findOutliers(samples, OUTLIER_THRESHOLD, { median, mad }),
  };
}

/** Student's t, two-sided 95%, by degrees of freedom 1…30 (for a few runs' medians); the normal's 1.96 beyond. */
const T95 = [
  Infinity,
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/**
 * A t interval (95%) for a few figures that spread multiplicatively (rates, times, ratios): on their logarithms
 * where all are positive, so the centre is their geometric mean; on the values otherwise. One figure says nothing of
 * the spread: its interval is unbounded.
 */
export function tInterval(xs: readonly number[]): { centre: number; ci95: [number, number] } {
  const k = xs.length;
  if (k < 2) {
    const x = xs[0] ?? Number.NaN;
    return { centre: x, ci95: [x > 0 ? 0 : Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] };
  }
  const positive = xs.every((m) => m > 0);
  const ys = positive ? xs.map(Math.log) : [...xs];
  const mean = ss.mean(ys);
  const half = ((T95[k - 1] ?? 1.96) * ss.sampleStandardDeviation(ys)) / Math.sqrt(k);
  return positive
    ? { centre: Math.exp(mean), ci95: [Math.exp(mean - half), Math.exp(mean + half)] }
    : { centre: mean, ci95: [mean - half, mean + half] };
}

/**
 * Statistics of samples pooled from separate runs (processes, records), their interval widened to cover the spread
 * between runs: a figure varies between processes more than within one (placement, phases, what else ran), so the
 * median's interval must cover where other runs' medians fall. From the run medians: order statistics for six runs
 * or more, else a t interval on their logarithms (rates and times spread multiplicatively).
 */
export function summarizeRuns(pooled: readonly number[], runMedians: readonly number[]): Stats {
  const s = summarize(pooled);
  const k = runMedians.length;
  if (k < 2) return s;
  const ranks = medianCiRanks(k);
  let between: [number, number];
  if (ranks) {
    const sorted = [...runMedians].sort((a, b) => a - b);
    between = [sorted[ranks[0] - 1]!, sorted[ranks[1] - 1]!];
  } else {
    between = tInterval(runMedians).ci95;
  }
  const ci95: [number, number] = [Math.min(s.ci95[0], between[0]), Math.max(s.ci95[1], between[1])];
  const widened = ci95[0] < s.ci95[0] || ci95[1] > s.ci95[1];
  return { ...s, runs: k, ...(widened ? { ci95, ciMethod: 'between-runs' as const } : {}) };
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
