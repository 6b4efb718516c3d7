import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildOnnxModel } from '../../src/engines/onnx-model.js';
import { createOrtSession, ort, ortErrorText, probeOrt } from '../../src/engines/onnxruntime.js';
import { loadTfjs } from '../../src/engines/tfjs.js';

const relu = buildOnnxModel({
  name: 'relu',
  inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['n'] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
});

describe('onnxruntime', () => {
  it('runs a model written by the ONNX builder, with a dynamic dimension', async () => {
    const s = await createOrtSession(relu, { providers: ['cpu'], threads: 1 });
    expect(s.session.inputNames).toEqual(['x']);
    const out = await s.session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2, -3), [3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([0, 2, 0]);
    await s.session.release();
  });

  it('walks the provider chain and keeps why each provider was passed over', async () => {
    const s = await createOrtSession(relu, { providers: ['cuda', 'webgpu', 'cpu'], threads: 1 });
    expect(['cuda', 'webgpu', 'cpu']).toContain(s.provider);
    if (s.provider === 'cpu') {
      expect(s.fallbacks.map((f) => f.backend)).toEqual(['cuda', 'webgpu']);
      for (const f of s.fallbacks) expect(f.reason.length).toBeGreaterThan(5);
    }
    await s.session.release();
  });

  it('fails with a clear message on a file that is not an ONNX model', async () => {
    await expect(
      createOrtSession(new TextEncoder().encode('this is not protobuf'), { providers: ['cpu'] }),
    ).rejects.toThrow(/no execution provider could run the model \(cpu: .+\)/);
  });

  it('probes every provider, explaining the missing ones', async () => {
    const p = await probeOrt();
    expect(p.backends.map((b) => b.name)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(p.backends.find((b) => b.name === 'cpu')!.available).toBe(true);
    for (const b of p.backends) if (!b.available) expect(b.reason).toBeTruthy();
  });

  it('keeps the useful part of an ORT error', () => {
    expect(
      ortErrorText(
        new Error(
          '/onnxruntime_src/x/y.cc:136 f() cond was false. Failed to get a WebGPU adapter: No supported adapters\nmore',
        ),
      ),
    ).toBe('Failed to get a WebGPU adapter: No supported adapters');
  });
});

describe('tfjs', () => {
  it('records the backend that tfjs actually runs on, and why the preferred ones failed', async () => {
    const h = await loadTfjs(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(h.tf.getBackend()).toBe(h.backend);
    if (h.backend === 'wasm') {
      expect(h.fallbacks.map((f) => f.backend)).toEqual(['tensorflow-gpu', 'tensorflow']);
      expect(h.fallbacks[0]!.reason).toMatch(/tfjs-node-gpu/);
      expect(h.threads).toBeGreaterThanOrEqual(1);
    }
  });

  it('switches between the portable backends on request', async () => {
    expect((await loadTfjs(['cpu'])).tf.getBackend()).toBe('cpu');
    expect((await loadTfjs(['wasm'])).tf.getBackend()).toBe('wasm');
  });

  it('runs wasm with the threads asked for, or by default the CPUs available (up to 8), and says so', async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const one = await loadTfjs(['wasm'], { threads: 1 });
    expect([one.threads, wasm.getThreadsCount()]).toEqual([1, 1]);
    const byDefault = await loadTfjs(['wasm']);
    const want = Math.min(8, os.availableParallelism());
    expect([byDefault.threads, wasm.getThreadsCount()]).toEqual([want, want]);
    expect(byDefault.fallbacks).toEqual([]);
    // the handle asked for one thread is not reused while the backend runs with another count
    expect((await loadTfjs(['wasm'], { threads: 1 })).threads).toBe(1);
    expect(wasm.getThreadsCount()).toBe(1);
  });
});
