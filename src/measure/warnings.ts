// What a finished measurement's samples say about its figure, in one place for every workload (built-in kernels,
// training and Offline inference through measure(); a user's program through its own invocation loop).
import { pct } from '../format.js';
import type { StopReason, StoppingRules } from './stopping.js';
import { drift, relativeCiHalfWidth, type Stats } from './stats.js';

/** Samples' coefficient of variation above which a run is called noisy. */
const NOISY_CV = 0.1;
/** Share of samples flagged as outliers above which the record says so. */
const OUTLIERS_SHARE = 0.05;

/**
 * Why sampling stopped, in words that name the suite's rule: the sampling time limit (`stop.maxSeconds`) is not
 * the per-invocation `timeout` of a user's program, though the record's enum calls the former `time-out`.
 */
function stopReasonText(reason: StopReason, rules: StoppingRules): string {
  if (reason === 'time-out') return `sampling time limit stop.maxSeconds = ${rules.maxSeconds} s reached`;
  if (reason === 'max-samples') return `stop.maxSamples = ${rules.maxSamples} reached`;
  return 'noise target met';
}

/**
 * Warnings on a measurement's samples: noise target not met (and why sampling stopped), noisy, outliers, drift.
 * `series` are the samples in the order taken; `what` names them in the drift warning (e.g. "sample times").
 */
export function samplingWarnings(
  stats: Stats,
  series: readonly number[],
  stopReason: StopReason,
  rules: StoppingRules,
  what: string,
): string[] {
  const warnings: string[] = [];
  if (stopReason !== 'converged') {
    const noise = relativeCiHalfWidth(stats);
    const interval = Number.isFinite(noise)
      ? `median 95% CI ±${pct(noise, 'auto')} > ±${pct(rules.targetNoise, 'auto')}`
      : 'too few samples for a 95% interval of the median';
    warnings.push(
      `noise target not met: ${interval} after ${stats.n} samples (${stopReasonText(stopReason, rules)}); raise stop.maxSeconds or stop.maxSamples for a tighter figure`,
    );
  }
  if (stats.cv > NOISY_CV)
    warnings.push(`noisy run: coefficient of variation ${pct(stats.cv, 'auto')} (> ${pct(NOISY_CV, 'exact')})`);
  const outliers = stats.outliers.indices.length;
  if (outliers > OUTLIERS_SHARE * stats.n)
    warnings.push(`${outliers} of ${stats.n} samples are outliers (modified z-score > ${stats.outliers.threshold})`);
  const d = drift(series);
  if (d && Math.abs(d.correlation) > 0.5 && Math.abs(d.relativeChange) > 0.02) {
    warnings.push(
      `drifting run: ${what} ${d.relativeChange > 0 ? 'rose' : 'fell'} by ${pct(Math.abs(d.relativeChange), 'auto')} over the run (r = ${d.correlation.toFixed(2)})`,
    );
  }
  return warnings;
}
