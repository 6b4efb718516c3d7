// When to stop warming up and when to stop sampling. Plain data in, a decision out (nvbench's idea of
// stopping criteria as small objects with named parameters).
import type { StopReason, StoppingRules, WarmupEnd, WarmupRules } from '../results/record.js';
import { medianInterval, relativeCiHalfWidth } from './stats.js';

// The rules are part of every record (`measurement.rules`): their type, and that of the decisions, come from
// the record's schema.
export type { StoppingRules, WarmupRules, StopReason, WarmupEnd };

export const DEFAULT_RULES: StoppingRules = {
  warmup: { minIterations: 2, minSeconds: 0.2, maxSeconds: 5, window: 5, stableCv: 0.05 },
  minSamples: 10,
  maxSamples: 100_000,
  minSeconds: 1,
  maxSeconds: 15,
  targetNoise: 0.01,
  minSampleSeconds: 0.001,
};

export interface SamplingState {
  samples: readonly number[];
  elapsedSeconds: number;
}

/** Decides after each sample whether sampling may end; null means go on. */
export function samplingDecision(rules: StoppingRules, state: SamplingState): StopReason | null {
  const n = state.samples.length;
  if (n >= rules.maxSamples) return 'max-samples';
  if (state.elapsedSeconds >= rules.maxSeconds && n >= 1) return 'time-out';
  if (n < rules.minSamples || state.elapsedSeconds < rules.minSeconds) return null;
  // only the interval: percentiles, outliers and modes wait for the end of the run
  return relativeCiHalfWidth(medianInterval(state.samples)) <= rules.targetNoise ? 'converged' : null;
}

/** Decides after each warm-up iteration whether warm-up may end; null means go on. */
export function warmupDecision(
  rules: WarmupRules,
  iterationSeconds: readonly number[],
  elapsedSeconds: number,
): WarmupEnd | null {
  if (iterationSeconds.length >= rules.minIterations && elapsedSeconds >= rules.maxSeconds) return 'time-out';
  if (iterationSeconds.length < Math.max(rules.minIterations, rules.window) || elapsedSeconds < rules.minSeconds)
    return null;
  const last = iterationSeconds.slice(-rules.window);
  const mean = last.reduce((a, b) => a + b, 0) / last.length;
  const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, last.length - 1);
  return Math.sqrt(variance) / mean <= rules.stableCv ? 'stable' : null;
}

/** Applies partial overrides (suite defaults, then per-benchmark) over a base set of rules. */
export function mergeRules(base: StoppingRules, ...overrides: Array<PartialRules | undefined>): StoppingRules {
  let out: StoppingRules = { ...base, warmup: { ...base.warmup } };
  for (const o of overrides) {
    if (!o) continue;
    const { warmup, ...rest } = o;
    out = { ...out, ...stripUndefined(rest), warmup: { ...out.warmup, ...stripUndefined(warmup ?? {}) } };
  }
  return out;
}

export type PartialRules = Partial<Omit<StoppingRules, 'warmup'>> & { warmup?: Partial<WarmupRules> | undefined };

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
