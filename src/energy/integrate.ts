// Sampled power to energy: trapezoid rule over the window, with how much of the window the samples cover.
// Pure, so the arithmetic is tested without any sampler.

export interface PowerSample {
  /** Seconds on any clock shared with the window bounds. */
  t: number;
  watts: number;
}

export interface IntegratedPower {
  /** Energy over the whole window: the covered part's integral, scaled by window / covered when coverage < 1. */
  joules: number;
  /** Mean power over the covered part. */
  meanWatts: number;
  peakWatts: number;
  /** Samples whose time lies inside the window. */
  samples: number;
  /** Covered seconds / window seconds. */
  coverage: number;
}

/**
 * A stretch between two consecutive samples counts as covered only when they are at most `maxGap` seconds
 * apart: a longer gap means the sampler stalled, and a straight line across it would be a guess.
 * Samples just outside the window are used to interpolate the power at its edges.
 * Returns null when nothing of the window is covered — there is then no figure, not a zero.
 */
export function integratePower(
  samples: readonly PowerSample[],
  t0: number,
  t1: number,
  maxGap: number,
): IntegratedPower | null {
  const window = t1 - t0;
  if (!(window > 0)) return null;
  const sorted = samples.filter((s) => Number.isFinite(s.t) && Number.isFinite(s.watts)).sort((a, b) => a.t - b.t);
  let area = 0;
  let covered = 0;
  let peak = -Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const gap = b.t - a.t;
    if (!(gap > 0) || gap > maxGap) continue;
    const lo = Math.max(a.t, t0);
    const hi = Math.min(b.t, t1);
    if (!(hi > lo)) continue;
    const at = (t: number): number => a.watts + ((b.watts - a.watts) * (t - a.t)) / gap;
    const wLo = at(lo);
    const wHi = at(hi);
    area += ((wLo + wHi) / 2) * (hi - lo);
    covered += hi - lo;
    peak = Math.max(peak, wLo, wHi);
  }
  if (!(covered > 0)) return null;
  const inside = sorted.filter((s) => s.t >= t0 && s.t <= t1);
  for (const s of inside) peak = Math.max(peak, s.watts);
  const coverage = Math.min(1, covered / window);
  return {
    joules: (area * window) / Math.min(covered, window),
    meanWatts: area / covered,
    peakWatts: peak,
    samples: inside.length,
    coverage,
  };
}
