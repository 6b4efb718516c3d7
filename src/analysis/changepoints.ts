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

/** Pairwise |x_i - x_j| summed over i < k in [a, b), in O(1) from a 2-D prefix table. */
class PairSums {
  private readonly n: number;
  private readonly prefix: Float64Array;
  constructor(x: readonly number[]) {
    const n = x.length;
    this.n = n;
    // prefix[(i)*(n+1)+(j)] = Σ_{p<i, q<j} |x_p - x_q|
    const p = new Float64Array((n + 1) * (n + 1));
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) {
        row += Math.abs(x[i]! - x[j]!);
        p[(i + 1) * (n + 1) + j + 1] = p[i * (n + 1) + j + 1]! + row;
      }
    }
    this.prefix = p;
  }
  /** Σ_{a≤i<b, c≤j<d} |x_i - x_j|. */
  block(a: number, b: number, c: number, d: number): number {
    const w = this.n + 1;
    const p = this.prefix;
    return p[b * w + d]! - p[a * w + d]! - p[b * w + c]! + p[a * w + c]!;
  }
}

/** The best split of [a, b) and its statistic q̂ (scaled energy distance between the two sides). */
function bestSplit(sums: PairSums, a: number, b: number, minSize: number): { at: number; q: number } | null {
  let best: { at: number; q: number } | null = null;
  for (let t = a + minSize; t <= b - minSize; t++) {
    const m = t - a;
    const k = b - t;
    const between = sums.block(a, t, t, b) / (m * k);
    // each unordered pair counted twice in a square block
    const left = m > 1 ? sums.block(a, t, a, t) / (m * (m - 1)) : 0;
    const right = k > 1 ? sums.block(t, b, t, b) / (k * (k - 1)) : 0;
    const q = ((m * k) / (m + k)) * (2 * between - left - right);
    if (!best || q > best.q) best = { at: t, q };
  }
  return best;
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
    const segment = series.slice(a, b);
    const split = bestSplit(new PairSums(segment), 0, segment.length, opts.minSize);
    if (!split || !(split.q > 0)) continue;
    // permutation test: how often does a shuffled segment split as well? Seeded per segment, so each test's
    // shuffles depend on the run and the segment only, not on the order or outcome of the other tests.
    const next = prng(opts.seed * 1_000_003 + a * 7919 + b);
    let asGood = 0;
    const shuffled = [...segment];
    for (let r = 0; r < opts.permutations && asGood < enough; r++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const s = bestSplit(new PairSums(shuffled), 0, shuffled.length, opts.minSize);
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
      const fields = [...new Set([...Object.keys(lastBefore.provenance), ...Object.keys(firstAfter.provenance)])];
      const changed = fields
        .filter((f) => (lastBefore.provenance[f] ?? null) !== (firstAfter.provenance[f] ?? null))
        .map((f) => ({ field: f, before: lastBefore.provenance[f] ?? null, after: firstAfter.provenance[f] ?? null }));
      return { ...c, lastBefore, firstAfter, changed };
    });
}
