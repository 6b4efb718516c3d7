// The sanity check of a training run, apart from its speed: the loss must go down. The mean of the last
// steps is compared with the mean of the first ones, each over a tenth of the run (at least 3 steps).
import { pct } from '../../format.js';

export interface LossCheck {
  passed: boolean;
  /** Mean loss over the first and the last window of steps. */
  first: number;
  last: number;
  window: number;
  steps: number;
  /** last / first; the check passes when it is at most 1 - minDrop. */
  ratio: number;
  minDrop: number;
  reason: string | null;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function checkLossFalls(losses: readonly number[], minDrop = 0.05): LossCheck {
  const steps = losses.length;
  const window = Math.max(3, Math.floor(steps / 10));
  const base = { window, steps, minDrop };
  if (steps < 2 * window)
    return {
      ...base,
      passed: false,
      first: NaN,
      last: NaN,
      ratio: NaN,
      reason: `only ${steps} step(s): at least ${2 * window} are needed to tell whether the loss falls`,
    };
  const bad = losses.findIndex((l) => !Number.isFinite(l));
  const first = mean(losses.slice(0, window));
  const last = mean(losses.slice(-window));
  const ratio = last / first;
  if (bad >= 0)
    return { ...base, passed: false, first, last, ratio, reason: `loss became ${losses[bad]} at step ${bad + 1}` };
  const passed = ratio <= 1 - minDrop;
  return {
    ...base,
    passed,
    first,
    last,
    ratio,
    reason: passed
      ? null
      : `loss did not fall: mean of the last ${window} steps ${last.toPrecision(4)} vs ${first.toPrecision(4)} over the first ${window} (needs a drop of at least ${pct(minDrop, 0)})`,
  };
}

/** At most `points` (step, loss) pairs, evenly spaced, always including the first and the last step. */
export function lossTrajectory(losses: readonly number[], points = 50): Array<[number, number]> {
  if (losses.length <= points) return losses.map((l, i) => [i + 1, l]);
  const out: Array<[number, number]> = [];
  for (let k = 0; k < points; k++) {
    const i = Math.round((k * (losses.length - 1)) / (points - 1));
    out.push([i + 1, losses[i]!]);
  }
  return out;
}
