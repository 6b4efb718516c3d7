// Scaled dot-product attention: softmax(Q·Kᵀ/√d)·V over [batch, heads, seq, dhead] tensors.
import { z } from 'zod';
import { uniform } from '../data.js';
import type { GraphSpec } from '../../engines/onnx-model.js';
import type { KernelWorkload } from '../types.js';

const params = z.strictObject({
  batch: z.number().int().min(1).max(4096),
  heads: z.number().int().min(1).max(256),
  seq: z.number().int().min(1).max(65536),
  dhead: z.number().int().min(1).max(1024),
});
export type AttentionParams = z.infer<typeof params>;

export const attention: KernelWorkload<AttentionParams> = {
  id: 'attention',
  kind: 'kernel',
  description: 'scaled dot-product attention softmax(Q·Kᵀ/√d)·V',
  params,
  metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
  work: (p) => 4 * p.batch * p.heads * p.seq * p.seq * p.dhead,
  bytes: (p) => 4 * 4 * p.batch * p.heads * p.seq * p.dhead, // Q, K, V read and the output written
  workNote: '4·B·H·S²·D FLOP per call: the two matrix products only (scaling and softmax not counted)',
  verifyParams: (p) => ({
    batch: 1,
    heads: Math.min(p.heads, 2),
    seq: Math.min(p.seq, 7),
    dhead: Math.min(p.dhead, 5),
  }),
  inputs: (p, seed) => {
    const shape = [p.batch, p.heads, p.seq, p.dhead];
    return { Q: uniform(shape, seed), K: uniform(shape, seed + 1), V: uniform(shape, seed + 2) };
  },
  reference: ({ Q, K, V }, p) => {
    const { batch: B, heads: H, seq: S, dhead: D } = p;
    const out = new Float32Array(B * H * S * D);
    const scale = 1 / Math.sqrt(D);
    const row = new Float64Array(S);
    for (let bh = 0; bh < B * H; bh++) {
      const base = bh * S * D;
      for (let i = 0; i < S; i++) {
        let max = -Infinity;
        for (let j = 0; j < S; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += Q!.data[base + i * D + d]! * K!.data[base + j * D + d]!;
          row[j] = s * scale;
          max = Math.max(max, row[j]!);
        }
        let sum = 0;
        for (let j = 0; j < S; j++) sum += row[j] = Math.exp(row[j]! - max);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += (row[j]! / sum) * V!.data[base + j * D + d]!;
          out[base + i * D + d] = acc;
        }
      }
    }
    return out;
  },
  tolerance: () => ({ abs: 1e-5, rel: 1e-4 }),
  onnx: (p): GraphSpec => {
    const shape = [p.batch, p.heads, p.seq, p.dhead];
    return {
      name: 'attention',
      inputs: ['Q', 'K', 'V'].map((name) => ({ name, dtype: 'float32' as const, shape })),
      outputs: [{ name: 'O', dtype: 'float32', shape }],
      initializers: [{ name: 'scale', dtype: 'float32', dims: [], data: Float32Array.of(1 / Math.sqrt(p.dhead)) }],
      nodes: [
        { op: 'Transpose', inputs: ['K'], outputs: ['Kt'], attributes: { perm: { ints: [0, 1, 3, 2] } } },
        { op: 'MatMul', inputs: ['Q', 'Kt'], outputs: ['S'] },
        { op: 'Mul', inputs: ['S', 'scale'], outputs: ['Ss'] },
        { op: 'Softmax', inputs: ['Ss'], outputs: ['P'], attributes: { axis: { i: -1 } } },
        { op: 'MatMul', inputs: ['P', 'V'], outputs: ['O'] },
      ],
    };
  },
  // Transposing K first: tfjs-wasm's matMul with transposeB is many times slower than transpose + matMul.
  tfjs: (tf, p) => ({
    prepare: ({ Q, K, V }) => ({
      Q: tf.tensor(Q!.data, Q!.shape),
      K: tf.tensor(K!.data, K!.shape),
      V: tf.tensor(V!.data, V!.shape),
    }),
    run: ({ Q, K, V }) =>
      tf.tidy(() => {
        const scores = tf.mul(tf.matMul(Q!, tf.transpose(K!, [0, 1, 3, 2])), 1 / Math.sqrt(p.dhead));
        return tf.matMul(tf.softmax(scores), V!);
      }),
    toReference: (y) => y,
  }),
  unsupported: () => null,
};
