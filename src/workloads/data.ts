// Deterministic input data: the same seed gives the same numbers on every machine.

/** mulberry32: a small, fast 32-bit PRNG; quality is ample for benchmark inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
