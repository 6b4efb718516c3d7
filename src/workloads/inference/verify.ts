// Checks of model outputs before timing: against a JavaScript reference, or properties every correct output
// has (finite, a softmax row summing to 1, a layer-normalised token with mean 0 and variance 1).
import { worstError } from '../data.js';
import { WrongResults, type Tolerance, type Verification } from '../types.js';

export function compareWithReference(
  got: Float32Array,
  want: Float32Array,
  tol: Tolerance,
  params: Record<string, unknown>,
): Verification {
  const worst = worstError(got, want, tol);
  const verification = {
    params,
    passed: !worst || worst.excess <= 0,
    worstExcess: worst ? worst.excess : null,
    tolerance: tol,
  };
  if (worst && worst.excess > 0) {
    throw new WrongResults(
      `wrong results at ${JSON.stringify(params)}: element ${worst.index} is ${worst.got}, reference ${worst.want} (tolerance abs ${tol.abs} + rel ${tol.rel})`,
      verification,
    );
  }
  return verification;
}

/** Every row of `width` values must satisfy check(row) <= 0 (the returned excess); the worst is reported. */
export function checkRows(
  data: Float32Array,
  width: number,
  what: string,
  tol: Tolerance,
  params: Record<string, unknown>,
  excess: (row: Float32Array) => number,
): Verification {
  let worst = -Infinity;
  let worstRow = -1;
  for (let r = 0; r * width < data.length; r++) {
    const row = data.subarray(r * width, (r + 1) * width);
    const e = row.every(Number.isFinite) ? excess(row) : Infinity;
    if (e > worst) [worst, worstRow] = [e, r];
  }
  const verification = { params: { ...params, check: what }, passed: worst <= 0, worstExcess: worst, tolerance: tol };
  if (worst > 0)
    throw new WrongResults(`wrong results: row ${worstRow} fails "${what}" (excess ${worst})`, verification);
  return verification;
}

const sum = (r: Float32Array) => r.reduce((a, b) => a + b, 0);

export const softmaxRow = (tol: Tolerance) => (r: Float32Array) =>
  Math.max(Math.abs(sum(r) - 1) - tol.abs, ...Array.from(r, (v) => (v < 0 || v > 1 ? 1 : -1)));

export const layerNormRow = (tol: Tolerance) => (r: Float32Array) => {
  const mean = sum(r) / r.length;
  const variance = r.reduce((a, v) => a + (v - mean) ** 2, 0) / r.length;
  return Math.max(Math.abs(mean), Math.abs(variance - 1)) - tol.abs;
};
