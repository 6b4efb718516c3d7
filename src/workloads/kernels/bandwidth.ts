// Memory bandwidth over an array far larger than the caches.
// read: a sum over the array (one read stream); scale: y = 2·x (one read and one write stream).
// The engine returns the output to JavaScript memory; for 'scale' that copy is inside the timed call and
// not counted as traffic, so the figure is a lower bound of the kernel's bandwidth.
import { z } from 'zod';
import { uniform } from '../data.js';
import type { KernelWorkload } from '../types.js';

const params = z.strictObject({
  mib: z.number().positive().max(65536),
  op: z.enum(['read', 'scale']).default('read'),
});
export type BandwidthParams = z.infer<typeof params>;

const elements = (mib: number) => Math.max(1, Math.floor((mib * 1024 * 1024) / 4));

export const bandwidth: KernelWorkload<BandwidthParams> = {
  id: 'bandwidth',
  kind: 'kernel',
  description: 'memory bandwidth: read (sum of an fp32 array) or scale (y = 2·x)',
  params,
  metric: { name: 'bandwidth', unit: 'GB/s', direction: 'higher' },
  work: ({ mib, op }) => elements(mib) * 4 * (op === 'read' ? 1 : 2),
  workNote: "bytes the kernel must move: 4·N read (+ 4·N written for 'scale'); 1 GB = 1e9 bytes",
  verifyParams: (p) => ({ ...p, mib: Math.min(p.mib, 0.01) }),
  inputs: ({ mib }, seed) => ({ X: uniform([elements(mib)], seed) }),
  reference: ({ X }, { op }) => {
    const x = X!.data;
    if (op === 'scale') return x.map((v) => 2 * v);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]!;
    return Float32Array.of(s);
  },
  tolerance: ({ mib, op }) => (op === 'scale' ? { abs: 0, rel: 0 } : { abs: 1e-5 * elements(mib), rel: 1e-4 }),
  onnx: ({ mib, op }) => {
    const n = elements(mib);
    if (op === 'scale') {
      return {
        name: 'bandwidth-scale',
        inputs: [{ name: 'X', dtype: 'float32', shape: [n] }],
        outputs: [{ name: 'Y', dtype: 'float32', shape: [n] }],
        initializers: [{ name: 'two', dtype: 'float32', dims: [], data: Float32Array.of(2) }],
        nodes: [{ op: 'Mul', inputs: ['X', 'two'], outputs: ['Y'] }],
      };
    }
    return {
      name: 'bandwidth-read',
      inputs: [{ name: 'X', dtype: 'float32', shape: [n] }],
      outputs: [{ name: 'Y', dtype: 'float32', shape: [] }],
      nodes: [{ op: 'ReduceSum', inputs: ['X'], outputs: ['Y'], attributes: { keepdims: { i: 0 } } }],
    };
  },
  tfjs: (tf, { op }) => ({
    prepare: ({ X }) => ({ X: tf.tensor(X!.data, X!.shape) }),
    run: ({ X }) => (op === 'scale' ? tf.mul(X!, 2) : tf.sum(X!)),
    toReference: (y) => y,
  }),
  unsupported: () => null,
};
