import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadTfjs } from '../../src/engines/tfjs.js';
import { uniform } from '../../src/workloads/data.js';

type Tf = Awaited<ReturnType<typeof loadTfjs>>['tf'];

/** Runs fn on a backend and returns its outputs as plain arrays. */
async function on(backend: 'wasm' | 'cpu', fn: (tf: Tf) => Array<{ dataSync(): ArrayLike<number>; shape: number[] }>) {
  const { tf } = await loadTfjs([backend]);
  expect(tf.getBackend()).toBe(backend);
  return tf.tidy(() => fn(tf).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })));
}

function expectClose(
  got: { shape: number[]; data: number[] }[],
  want: { shape: number[]; data: number[] }[],
  tol = 1e-4,
) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(want[i]!.shape);
    const scale = Math.max(1, ...want[i]!.data.map(Math.abs));
    g.data.forEach((v, j) => expect(Math.abs(v - want[i]!.data[j]!)).toBeLessThanOrEqual(tol * scale));
  });
}

const t = (tf: Tf, shape: number[], seed: number) => tf.tensor(uniform(shape, seed).data, shape);

describe('wasm training kernels, checked against the cpu backend', () => {
  const convCases = [
    { name: '3x3 same stride 1', x: [2, 8, 8, 3], w: [3, 3, 3, 4], strides: 1, pad: 'same' as const },
    {
      name: '3x3 same stride 2 (asymmetric padding)',
      x: [2, 9, 9, 3],
      w: [3, 3, 3, 5],
      strides: 2,
      pad: 'same' as const,
    },
    { name: '1x1 stride 2 projection', x: [3, 8, 8, 4], w: [1, 1, 4, 6], strides: 2, pad: 'valid' as const },
    { name: '3x3 valid stride 2 (cropped rows)', x: [1, 8, 8, 2], w: [3, 3, 2, 3], strides: 2, pad: 'valid' as const },
  ];
  for (const c of convCases) {
    it(`conv2d filter and input gradients: ${c.name}`, async () => {
      const grads = (tf: Tf) => {
        const x = t(tf, c.x, 1);
        const w = t(tf, c.w, 2);
        const conv = (a: TF.Tensor, b: TF.Tensor) => tf.conv2d(a as TF.Tensor4D, b as TF.Tensor4D, c.strides, c.pad);
        return tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.square(conv(a, b))))([x, w]);
      };
      expectClose(await on('wasm', grads), await on('cpu', grads));
    });
  }

  it('matMul with transposed operands, and its gradients, in 2-D and batched', async () => {
    const run = (tf: Tf) => {
      const a = t(tf, [4, 5, 7], 3);
      const b = t(tf, [4, 6, 5], 4);
      const m = [tf.matMul(a, b, true, true), tf.matMul(tf.reshape(a, [20, 7]), tf.reshape(a, [20, 7]), true, false)];
      const g = tf.grads((x: TF.Tensor, y: TF.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([
        t(tf, [8, 3], 5),
        t(tf, [6, 3], 6),
      ]);
      const fused = tf.fused.matMul({
        a: t(tf, [3, 8], 7),
        b: t(tf, [5, 3], 8),
        transposeA: true,
        transposeB: true,
        bias: t(tf, [5], 9),
        activation: 'relu',
      });
      return [...m, ...g, fused];
    };
    expectClose(await on('wasm', run), await on('cpu', run));
  });

  it('batched matMul, split per matrix on wasm: plain, rank 4, broadcast batch, and gradients', async () => {
    const run = (tf: Tf) => {
      // large enough per matrix (M·K·N ≥ 2^19) to take the split path, and a small one that does not
      const plain = tf.matMul(t(tf, [3, 96, 64], 10), t(tf, [3, 64, 96], 11));
      const small = tf.matMul(t(tf, [4, 5, 7], 18), t(tf, [4, 7, 6], 19));
      const rank4 = tf.matMul(t(tf, [2, 2, 96, 64], 12), t(tf, [2, 2, 64, 96], 13));
      const broadcast = tf.matMul(t(tf, [3, 96, 64], 14), t(tf, [1, 64, 96], 15));
      const g = tf.grads((x: TF.Tensor, y: TF.Tensor) => tf.sum(tf.matMul(x, y)))([
        t(tf, [2, 96, 64], 16),
        t(tf, [2, 64, 96], 17),
      ]);
      return [plain, small, rank4, broadcast, ...g];
    };
    expectClose(await on('wasm', run), await on('cpu', run));
  });

  it('leaves no tensor or buffer behind', async () => {
    const { tf } = await loadTfjs(['wasm']);
    const a = t(tf, [4, 96, 64], 20);
    const b = t(tf, [4, 64, 96], 21);
    tf.dispose(tf.matMul(a, b));
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose([tf.matMul(a, b), tf.matMul(b, a, true, true)]);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([a, b]);
  });
});
