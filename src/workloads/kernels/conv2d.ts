// 2-D convolution, stride 1, 'same' padding. The reference layout is NCHW (ONNX's); tfjs computes in NHWC
// and its tensors are transposed once, outside the timed region.
import { z } from 'zod';
import { uniform } from '../data.js';
import type { KernelWorkload } from '../types.js';

const params = z.strictObject({
  batch: z.number().int().min(1).max(4096),
  channels: z.number().int().min(1).max(8192),
  size: z.number().int().min(1).max(8192),
  filters: z.number().int().min(1).max(8192),
  kernel: z
    .number()
    .int()
    .min(1)
    .max(15)
    .refine((k) => k % 2 === 1, 'kernel must be odd (same padding)'),
});
export type Conv2dParams = z.infer<typeof params>;

export const conv2d: KernelWorkload<Conv2dParams> = {
  id: 'conv2d',
  kind: 'kernel',
  description: "2-D convolution, NCHW, stride 1, 'same' padding",
  params,
  metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
  work: (p) => 2 * p.batch * p.filters * p.size * p.size * p.channels * p.kernel * p.kernel,
  bytes: (p) =>
    4 *
    (p.batch * p.channels * p.size * p.size +
      p.filters * p.channels * p.kernel * p.kernel +
      p.batch * p.filters * p.size * p.size),
  workNote: '2·N·K·H·W·C·R·S FLOP per call (direct-convolution count, padding included)',
  verifyParams: (p) => ({
    batch: 1,
    channels: Math.min(p.channels, 3),
    size: Math.min(p.size, 9),
    filters: Math.min(p.filters, 4),
    kernel: p.kernel,
  }),
  inputs: (p, seed) => ({
    X: uniform([p.batch, p.channels, p.size, p.size], seed),
    W: uniform([p.filters, p.channels, p.kernel, p.kernel], seed + 1),
  }),
  reference: ({ X, W }, p) => {
    const { batch: N, channels: C, size: H, filters: K, kernel: R } = p;
    const pad = (R - 1) / 2;
    const x = X!.data;
    const w = W!.data;
    const y = new Float32Array(N * K * H * H);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++)
        for (let i = 0; i < H; i++)
          for (let j = 0; j < H; j++) {
            let s = 0;
            for (let c = 0; c < C; c++)
              for (let r = 0; r < R; r++)
                for (let q = 0; q < R; q++) {
                  const ii = i + r - pad;
                  const jj = j + q - pad;
                  if (ii < 0 || jj < 0 || ii >= H || jj >= H) continue;
                  s += x[((n * C + c) * H + ii) * H + jj]! * w[((k * C + c) * R + r) * R + q]!;
                }
            y[((n * K + k) * H + i) * H + j] = s;
          }
    return y;
  },
  tolerance: (p) => ({ abs: 1e-5 * Math.sqrt(p.channels * p.kernel * p.kernel), rel: 1e-4 }),
  onnx: (p) => {
    const pad = (p.kernel - 1) / 2;
    return {
      name: 'conv2d',
      inputs: [
        { name: 'X', dtype: 'float32', shape: [p.batch, p.channels, p.size, p.size] },
        { name: 'W', dtype: 'float32', shape: [p.filters, p.channels, p.kernel, p.kernel] },
      ],
      outputs: [{ name: 'Y', dtype: 'float32', shape: [p.batch, p.filters, p.size, p.size] }],
      nodes: [
        {
          op: 'Conv',
          inputs: ['X', 'W'],
          outputs: ['Y'],
          attributes: { pads: { ints: [pad, pad, pad, pad] }, strides: { ints: [1, 1] } },
        },
      ],
    };
  },
  tfjs: (tf) => ({
    prepare: ({ X, W }) => ({
      x: tf.tidy(() => tf.transpose(tf.tensor(X!.data, X!.shape), [0, 2, 3, 1])),
      w: tf.tidy(() => tf.transpose(tf.tensor(W!.data, W!.shape), [2, 3, 1, 0])),
    }),
    run: ({ x, w }) => tf.conv2d(x as never, w as never, 1, 'same'),
    toReference: (y) => tf.transpose(y, [0, 3, 1, 2]),
  }),
  unsupported: () => null,
};
