// Arrival times of a Poisson process (exponential gaps), seeded: the schedule is fixed before the run starts,
// because a blocking engine call (ONNX Runtime's run) would otherwise delay the arrivals themselves.
import { prng } from '../../data.js';

export function poissonArrivals(rate: number, count: number, seed: number): Float64Array {
  const next = prng(seed);
  const t = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += -Math.log(1 - next()) / rate;
    t[i] = at;
  }
  return t;
}
