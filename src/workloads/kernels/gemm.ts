// GEMM: C = A·B with square n×n matrices; 2n³ floating-point operations per call.
import { z } from 'zod';
import { uniform } from '../data.js';
import type { KernelWorkload } from '../types.js';

const params = z.strictObject({
  n: z.number().int().min(1).max(32768),
  dtype: z.enum(['fp32', 'fp16']).default('fp32'),
});
export type GemmParams = z.infer<typeof params>;

export const gemm: KernelWorkload<GemmParams> = {
  id: 'gemm',
  kind: 'kernel',
  description: 'dense matrix multiply C = A·B, square n×n',
  params,
  metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
  work: ({ n }) => 2 * n ** 3,
  bytes: ({ n, dtype }) => 3 * n * n * (dtype === 'fp16' ? 2 : 4),
  workNote: '2·n³ FLOP per call (multiply-add counted as 2)',
  // 67 is odd and not a multiple of any tile size, so edge handling is exercised.
  verifyParams: (p) => ({ ...p, n: Math.min(p.n, 67) }),
  inputs: ({ n }, seed) => ({ A: uniform([n, n], seed), B: uniform([n, n], seed + 1) }),
  reference: ({ A, B }, { n }) => {
    const a = A!.data;
    const b = B!.data;
    const c = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
        c[i * n + j] = s;
      }
    return c;
  },
  tolerance: ({ n, dtype }) =>
    dtype === 'fp16' ? { abs: 5e-3 * Math.sqrt(n), rel: 1e-2 } : { abs: 1e-5 * Math.sqrt(n), rel: 1e-4 },
  onnx: ({ n, dtype }) => {
    const t = dtype === 'fp16' ? 'float16' : 'float32';
    return {
      name: 'gemm',
      inputs: [
        { name: 'A', dtype: t, shape: [n, n] },
        { name: 'B', dtype: t, shape: [n, n] },
      ],
      outputs: [{ name: 'C', dtype: t, shape: [n, n] }],
      nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    };
  },
  tfjs: (tf) => ({
    prepare: ({ A, B }) => ({ A: tf.tensor(A!.data, A!.shape), B: tf.tensor(B!.data, B!.shape) }),
    run: ({ A, B }) => tf.matMul(A!, B!),
    toReference: (y) => y,
  }),
  unsupported: (engine, { dtype }) =>
    engine === 'tfjs' && dtype === 'fp16'
      ? 'tfjs has no float16 tensor type (its dtypes are float32, int32, bool, complex64, string)'
      : null,
};
