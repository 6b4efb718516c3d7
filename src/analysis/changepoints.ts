// Change points in a case's history (one figure per run, in time order): E-Divisive with means (Matteson & James,
// 2014; α = 1), as Hunter and MongoDB's performance CI use. Each split is the one that maximises the energy
// statistic, kept only when a permutation test (seeded, so the same history gives the same answer) says it is
// unlikely under no change; splitting recurses into both sides. A change point is then a regression only when the
// runs after it compare SLOWER with the runs before by the same test and minimum effect as between sites.
import { prng } from '../random.js';
import { compareSamples, DEFAULT_COMPARE, type CompareOptions, type Comparison, type Direction } from './compare.js';

export interface ChangePointOptions {
  /** Permutations per significance test. */
  permutations: number;
  /** A split is kept when its permutation p-value is at most this. */
  pValue: number;
  /** Fewest runs on each side of a split. */
  minSize: number;
  /** Seed of the permutations. */
  seed: number;
}

export const DEFAULT_CHANGEPOINTS: ChangePointOptions = { permutations: 199, pValue: 0.01, minSize: 3, seed: 1 };

/** Sums of |x_i - x_j| over pairs inside growing prefixes (or suffixes), each pair once: O(n log n) with two
 * Fenwick trees over the values' ranks (the count and the sum of the values already added below each rank). */
function withinSums(x: Float64Array, rank: Int32Array, fromEnd: boolean): Float64Array {
  const n = x.length;
  const count = new Float64Array(n + 1);
  const sum = new Float64Array(n + 1);
  const out = new Float64Array(n + 1);
  let addedCount = 0;
  let addedSum = 0;
  for (let step = 0; step < n; step++) {
    const i = fromEnd ? n - 1 - step : step;
    const v = x[i]!;
    const r = rank[i]!;
    let below = 0;
    let belowSum = 0;
    for (let j = r; j > 0; j -= j & -j) {
      below += count[j]!;
      belowSum += sum[j]!;
    }
    const distance = v * below - belowSum + (addedSum - belowSum) - v * (addedCount - below);
    out[step + 1] = out[step]! + distance;
    for (let j = r + 1; j <= n; j += j & -j) {
      count[j]! += 1;
      sum[j]! += v;
    }
    addedCount += 1;
    addedSum += v;
  }
  return out;
}

/**
 * The best split of x and its statistic q̂ (scaled energy distance between the two sides). With W(L), W(R) the pair
 * sums inside each side and B the sum across, q̂ = mk/(m+k) · (2B/(mk) − 2W(L)/(m(m−1)) − 2W(R)/(k(k−1))), and
 * B = W(all) − W(L) − W(R): every split from two passes, O(n log n), where a table of all pairs would be O(n²).
 */
function bestSplit(x: Float64Array, rank: Int32Array, minSize: number): { at: number; q: number } | null {
  const n = x.length;
  const prefix = withinSums(x, rank, false);
  const suffix = withinSums(x, rank, true);
  const all = prefix[n]!;
  let best: { at: number; q: number } | null = null;
  for (let t = minSize; t <= n - minSize; t++) {
    const m = t;
    const k = n - t;
    const left = prefix[t]!;
    const right = suffix[k]!;
    const between = all - left - right;
    const q =
      ((m * k) / (m + k)) *
      ((2 * between) / (m * k) - (m > 1 ? (2 * left) / (m * (m - 1)) : 0) - (k > 1 ? (2 * right) / (k * (k - 1)) : 0));
    if (!best || q > best.q) best = { at: t, q };
  }
  return best;
}

/** Each value's rank (1-based, ties broken by position): the Fenwick trees' index. */
function ranksOf(x: Float64Array): Int32Array {
  const order = Array.from(x.keys()).sort((i, j) => x[i]! - x[j]! || i - j);
  const rank = new Int32Array(x.length);
  order.forEach((i, r) => {
    rank[i] = r + 1;
  });
  return rank;
}

/** Indices where a new segment begins, in order (empty: no change found). */
export function changePoints(series: readonly number[], opts: ChangePointOptions = DEFAULT_CHANGEPOINTS): number[] {
  const found: number[] = [];
  const pending: Array<[number, number]> = [[0, series.length]];
  // The test stops as soon as enough shuffles split as well as the data: p can then no longer reach pValue.
  const enough = Math.floor(opts.pValue * (opts.permutations + 1));
  while (pending.length) {
    const [a, b] = pending.pop()!;
    if (b - a < 2 * opts.minSize) continue;
    const segment = Float64Array.from(series.slice(a, b));
    const rank = ranksOf(segment);
    const split = bestSplit(segment, rank, opts.minSize);
    if (!split || !(split.q > 0)) continue;
    // permutation test: how often does a shuffled segment split as well? Seeded per segment, so each test's
    // shuffles depend on the run and the segment only, not on the order or outcome of the other tests.
    const next = prng(opts.seed * 1_000_003 + a * 7919 + b);
    let asGood = 0;
    const shuffled = Float64Array.from(segment);
    const shuffledRank = Int32Array.from(rank);
    for (let r = 0; r < opts.permutations && asGood < enough; r++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        [shuffledRank[i], shuffledRank[j]] = [shuffledRank[j]!, shuffledRank[i]!];
      }
      const s = bestSplit(shuffled, shuffledRank, opts.minSize);
      if (s && s.q >= split.q) asGood++;
    }
    if (asGood >= enough) continue; // p = (asGood + 1) / (permutations + 1) > pValue
    found.push(a + split.at);
    pending.push([a, a + split.at], [a + split.at, b]);
  }
  return found.sort((x, y) => x - y);
}

export interface Change {
  /** Index of the first run after the change. */
  index: number;
  /** Runs [from, to) on each side, up to the neighbouring change points. */
  before: { from: number; to: number };
  after: { from: number; to: number };
  /** The runs after against the runs before: SLOWER is a regression, FASTER an improvement. */
  comparison: Comparison;
}

/** Change points of a series with their verdicts, by the comparisons' test and minimum effect. */
export function changes(
  series: readonly number[],
  direction: Direction,
  opts: ChangePointOptions = DEFAULT_CHANGEPOINTS,
  compare: CompareOptions = DEFAULT_COMPARE,
): Change[] {
  const points = changePoints(series, opts);
  const bounds = [0, ...points, series.length];
  return points.map((index, i) => {
    const before = { from: bounds[i]!, to: index };
    const after = { from: index, to: bounds[i + 2]! };
    const comparison = compareSamples(
      series.slice(after.from, after.to),
      series.slice(before.from, before.to),
      direction,
      compare,
    );
    return { index, before, after, comparison };
  });
}

/** One run in a history: its figure and what it ran on, for saying what changed at a change point. */
export interface HistoryPoint {
  id: string;
  startedAt: string;
  median: number;
  /** e.g. driver, CUDA, engine and version, node: compared between the runs either side of a change. */
  provenance: Record<string, string | null>;
}

export interface Regression extends Change {
  lastBefore: HistoryPoint;
  firstAfter: HistoryPoint;
  /** Provenance fields that differ between the last run before and the first run after. */
  changed: Array<{ field: string; before: string | null; after: string | null }>;
}

/** Provenance fields that differ between two runs (a field missing on one side counts as null). */
export function provenanceChanges(
  before: Record<string, string | null>,
  after: Record<string, string | null>,
): Array<{ field: string; before: string | null; after: string | null }> {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((f) => (before[f] ?? null) !== (after[f] ?? null))
    .map((f) => ({ field: f, before: before[f] ?? null, after: after[f] ?? null }));
}

/** The regressions (changes judged SLOWER) of a case's history, oldest first, with what changed around each. */
export function regressions(
  history: readonly HistoryPoint[],
  direction: Direction,
  opts: ChangePointOptions = DEFAULT_CHANGEPOINTS,
  compare: CompareOptions = DEFAULT_COMPARE,
): Regression[] {
  const ordered = [...history].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return changes(
    ordered.map((p) => p.median),
    direction,
    opts,
    compare,
  )
    .filter((c) => c.comparison.verdict === 'SLOWER')
    .map((c) => {
      const lastBefore = ordered[c.index - 1]!;
      const firstAfter = ordered[c.index]!;
      return { ...c, lastBefore, firstAfter, changed: provenanceChanges(lastBefore.provenance, firstAfter.provenance) };
    });
}
