// The one seeded generator: inputs, constructed records and permutation tests give the same numbers on every machine.

/** mulberry32: a small, fast 32-bit PRNG, uniform in [0, 1); quality is ample for inputs and permutations. */
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
