// Deterministic input data: the same seed gives the same numbers on every machine.

import { prng } from '../random.js';

export { prng };

/** Uniform values in [-1, 1). */
export function uniform(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  const next = prng(seed);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = next() * 2 - 1;
  return { data, shape };
}

/** Largest violation of |got - want| <= abs + rel*|want|; <= 0 means every element is within tolerance. */
export function worstError(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: { abs: number; rel: number },
): { index: number; got: number; want: number; excess: number } | null {
  if (got.length !== want.length) throw new Error(`output has ${got.length} elements, reference has ${want.length}`);
  let worst: { index: number; got: number; want: number; excess: number } | null = null;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const excess = Number.isFinite(g) ? Math.abs(g - w) - (tol.abs + tol.rel * Math.abs(w)) : Infinity;
    if (!worst || excess > worst.excess) worst = { index: i, got: g, want: w, excess };
  }
  return worst;
}
