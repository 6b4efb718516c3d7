// The threaded SIMD build of tfjs-backend-wasm under Node (src/engines/tfjs-wasm-threads.ts): it starts with the
// thread count asked for and computes what the cpu backend computes. No speed is asserted: the test machines
// may have 2 cores, shared.
import type * as TF from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { disableWasmThreads, enableWasmThreads, MAX_WASM_THREADS } from '../../src/engines/tfjs-wasm-threads.js';
import { installWasmTrainingKernels } from '../../src/engines/tfjs-wasm-kernels.js';
import { uniform } from '../../src/workloads/data.js';

type Tf = typeof TF;
const tf = (await import('@tensorflow/tfjs')) as Tf;
const wasm = await import('@tensorflow/tfjs-backend-wasm');

type Out = { shape: number[]; data: number[] };
const t = (shape: number[], seed: number) => tf.tensor(uniform(shape, seed).data, shape);

/** matMul and conv2d large enough for XNNPACK to split the work over its threads. */
function compute(): Out[] {
  return tf.tidy(() => {
    const x = t([2, 24, 24, 8], 3) as TF.Tensor4D;
    const w = t([3, 3, 8, 16], 4) as TF.Tensor4D;
    const outs = [
      tf.matMul(t([96, 160], 1), t([160, 112], 2)),
      tf.conv2d(x, w, 1, 'same'),
      tf.conv2d(x, w, 2, 'valid'),
      tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), t([16], 5))),
    ];
    return outs.map((o) => ({ shape: o.shape, data: Array.from(o.dataSync()) }));
  });
}

async function onCpu(): Promise<Out[]> {
  expect(await tf.setBackend('cpu')).toBe(true);
  return compute();
}

function expectClose(got: Out[], want: Out[], tol = 1e-4) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(want[i]!.shape);
    const scale = Math.max(1, ...want[i]!.data.map(Math.abs));
    let worst = 0;
    g.data.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i]!.data[j]!))));
    expect(worst).toBeLessThanOrEqual(tol * scale);
  });
}

describe('tfjs-backend-wasm with threads under Node', () => {
  // Ends the pthread workers (they are unref'd: the process would exit anyway) and puts the stock factory back,
  // so that a file run after this one in the same context finds tfjs as it was.
  afterAll(disableWasmThreads);

  it('rejects thread counts the build cannot give', async () => {
    await expect(enableWasmThreads(0)).rejects.toThrow(/integer from 1 to 8/);
    await expect(enableWasmThreads(MAX_WASM_THREADS + 1)).rejects.toThrow(/integer from 1 to 8/);
    await expect(enableWasmThreads(1.5)).rejects.toThrow(/integer/);
  });

  for (const threads of [2, 1]) {
    it(`starts the threaded build with ${threads} thread(s) and matches the cpu backend`, async () => {
      const info = await enableWasmThreads(threads);
      expect(info.threads).toBe(threads);
      expect(await tf.setBackend('wasm')).toBe(true); // as callers do after enableWasmThreads: a no-op
      await tf.ready();
      expect(tf.getBackend()).toBe('wasm');
      expect(wasm.getThreadsCount()).toBe(threads);
      const got = compute();
      expectClose(got, await onCpu());
      expect(await tf.setBackend('wasm')).toBe(true);
      expect(wasm.getThreadsCount()).toBe(threads);
    });
  }

  it('switches back to 2 threads, and asking again for the same count keeps the running backend', async () => {
    await enableWasmThreads(2);
    const backend = tf.backend();
    const kept = tf.tensor([1, 2, 3]);
    await enableWasmThreads(2);
    expect(tf.backend()).toBe(backend);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
    expect(wasm.getThreadsCount()).toBe(2);
    expectClose(compute(), await onCpu());
  });

  it("fedbench's wasm training kernels work on the threaded backend, also after it is started anew", async () => {
    const run = () =>
      tf.tidy(() => {
        const g = tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.square(tf.matMul(a, b, false, true))))([
          t([64, 48], 6),
          t([80, 48], 7),
        ]);
        const x = t([2, 12, 12, 4], 8) as TF.Tensor4D;
        const w = t([3, 3, 4, 6], 9) as TF.Tensor4D;
        const cg = tf.grads((a: TF.Tensor, b: TF.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as TF.Tensor4D, b as TF.Tensor4D, 2, 'same'))),
        )([x, w]);
        return [tf.matMul(t([4, 64, 32], 10), t([4, 48, 64], 11), true, true), ...g, ...cg].map((o) => ({
          shape: o.shape,
          data: Array.from(o.dataSync()),
        }));
      });
    await enableWasmThreads(2);
    installWasmTrainingKernels(tf);
    const first = run();
    await enableWasmThreads(1); // a new module: the kernels' wasm functions must follow it
    const again = run();
    expect(await tf.setBackend('cpu')).toBe(true);
    const want = run();
    expectClose(first, want);
    expectClose(again, want);
  });

  it('disableWasmThreads ends the threads and gives back the stock single-threaded backend', async () => {
    await enableWasmThreads(2);
    await disableWasmThreads();
    const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
    expect(registry['wasm']).toBeUndefined(); // removed, not yet started again
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(wasm.getThreadsCount()).toBe(1);
    expect((tf.backend() as unknown as { wasm: Record<string, unknown> }).wasm['PThread']).toBeUndefined();
    expectClose(compute(), await onCpu());
    await enableWasmThreads(2); // and threads can be asked for again
    expect(wasm.getThreadsCount()).toBe(2);
  });
});
