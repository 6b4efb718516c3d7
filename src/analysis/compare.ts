// Two sets of samples → SAME / FASTER / SLOWER / UNCERTAIN, aware of the metric's direction.
// A difference must be both statistically significant (Mann-Whitney U, two-sided) and at least
// `minEffect` in size to count; "SAME" needs positive evidence that any difference is small.
import * as ss from 'simple-statistics';
import { modesText, pct } from '../format.js';
import { sortedSamples, summarize, type Stats } from '../measure/index.js';
import type { Direction } from '../results/index.js';

export type Verdict = 'SAME' | 'FASTER' | 'SLOWER' | 'UNCERTAIN';
export type { Direction };

export interface CompareOptions {
  /** Significance level of the two-sided test. */
  alpha: number;
  /** Smallest relative difference of medians that matters (0.02 = 2%). */
  minEffect: number;
}

export const DEFAULT_COMPARE: CompareOptions = { alpha: 0.05, minEffect: 0.02 };

export interface Comparison {
  verdict: Verdict;
  /** median(candidate) / median(baseline). */
  ratio: number;
  /** Bounds of the ratio from the two medians' 95% intervals (conservative). */
  ratioRange: [number, number];
  pValue: number;
  /** Why the verdict, in words. */
  reason: string;
}

/**
 * Two-sided p-value of the Mann-Whitney U test, normal approximation with tie and continuity corrections.
 * Ranks come from one merge of the two sorted samples (native typed-array sorts), so pooled samples of
 * tens of thousands of values stay cheap.
 */
export function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 1;
  const sa = sortedSamples(a);
  const sb = sortedSamples(b);
  let i = 0;
  let j = 0;
  let rank = 0; // ranks assigned so far
  let r1 = 0; // rank sum of a
  let ties = 0; // Σ(t³ − t) over groups of equal values
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && sa[i]! <= sb[j]!) ? sa[i]! : sb[j]!;
    let ca = 0;
    let cb = 0;
    for (; i < n1 && sa[i] === v; i++) ca++;
    for (; j < n2 && sb[j] === v; j++) cb++;
    const t = ca + cb;
    r1 += ca * (rank + (t + 1) / 2); // tied values share the mean of their ranks
    rank += t;
    if (t > 1) ties += t ** 3 - t;
  }
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance <= 0) return 1;
  const z = (Math.abs(u - mu) - 0.5) / Math.sqrt(variance);
  // Two-sided normal tail 2·(1 − Φ(z)) = erfc(z/√2). (simple-statistics' cumulativeStdNormalProbability is a
  // table to 2 decimals of z, which floors p at 0.002; its errorFunction is accurate to ~1e-7.)
  return Math.min(1, Math.max(0, 1 - ss.errorFunction(Math.max(0, z) / Math.SQRT2)));
}

/** A p-value as people read it: two significant digits, or "p < 0.001" below that. */
export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`;
}

/** Samples, with their statistics where the caller already has them. */
export type SampleSet = readonly number[] | { samples: readonly number[]; stats: Stats };

function unpack(s: SampleSet): { samples: readonly number[]; stats: Stats } {
  return 'stats' in s ? s : { samples: s as readonly number[], stats: summarize(s as readonly number[]) };
}

/** Compares a candidate against a baseline; "FASTER" means better in the metric's direction. */
export function compareSamples(
  candidateSet: SampleSet,
  baselineSet: SampleSet,
  direction: Direction,
  opts: CompareOptions = DEFAULT_COMPARE,
): Comparison {
  const { samples: candidate, stats: c } = unpack(candidateSet);
  const { samples: baseline, stats: b } = unpack(baselineSet);
  const ratio = c.median / b.median;
  const ratioRange: [number, number] = [c.ci95[0] / b.ci95[1], c.ci95[1] / b.ci95[0]];
  const pValue = mannWhitneyP(candidate, baseline);
  const better = direction === 'higher' ? ratio > 1 : ratio < 1;
  const effect = Math.abs(ratio - 1);
  if (c.modes || b.modes) {
    // A median between modes depends on which mode a run happened to sample: only a difference larger than the
    // modes' spread on both sides (no overlap of [lowest mode, highest mode] and the intervals) is a difference.
    const span = (x: Stats): [number, number] => [
      Math.min(x.ci95[0], ...(x.modes ?? []).map((m) => m.median)),
      Math.max(x.ci95[1], ...(x.modes ?? []).map((m) => m.median)),
    ];
    const [cs, bs] = [span(c), span(b)];
    const apart = cs[0] > bs[1] || cs[1] < bs[0];
    const which = [c.modes ? `candidate: ${modesText(c)}` : '', b.modes ? `baseline: ${modesText(b)}` : '']
      .filter(Boolean)
      .join('; ');
    if (apart && pValue < opts.alpha && effect >= opts.minEffect) {
      return {
        verdict: better ? 'FASTER' : 'SLOWER',
        ratio,
        ratioRange,
        pValue,
        reason: `${pct(effect)} ${better ? 'better' : 'worse'}, beyond the spread of the modes (${which}), ${pText(pValue)}`,
      };
    }
    return {
      verdict: 'UNCERTAIN',
      ratio,
      ratioRange,
      pValue,
      reason: `multimodal samples (${which}): the difference does not exceed the modes' spread`,
    };
  }
  if (pValue < opts.alpha && effect >= opts.minEffect) {
    return {
      verdict: better ? 'FASTER' : 'SLOWER',
      ratio,
      ratioRange,
      pValue,
      reason: `${pct(effect)} ${better ? 'better' : 'worse'}, ${pText(pValue)}`,
    };
  }
  const within = ratioRange[0] >= 1 - opts.minEffect && ratioRange[1] <= 1 + opts.minEffect;
  if (within || (pValue < opts.alpha && effect < opts.minEffect)) {
    return {
      verdict: 'SAME',
      ratio,
      ratioRange,
      pValue,
      reason: `difference ${pct(effect)} below the ${pct(opts.minEffect)} that matters`,
    };
  }
  return {
    verdict: 'UNCERTAIN',
    ratio,
    ratioRange,
    pValue,
    reason:
      c.n < 6 || b.n < 6
        ? 'too few samples for a 95% interval'
        : `intervals too wide to decide (ratio ${ratioRange[0].toFixed(3)}–${ratioRange[1].toFixed(3)}, ${pText(pValue)})`,
  };
}
