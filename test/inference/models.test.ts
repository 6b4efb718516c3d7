// The ONNX builders compute what they claim, the same network gives the same numbers on both engines, and
// the inference workloads check their outputs before timing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from '../../src/engines/onnx-model.js';
import { createOrtSession, ort } from '../../src/engines/onnxruntime.js';
import { loadTfjs } from '../../src/engines/tfjs.js';
import { DEFAULT_RULES, mergeRules } from '../../src/measure/index.js';
import { runCase } from '../../src/runner/index.js';
import { parseSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';
import { uniform } from '../../src/workloads/data.js';
import { bertGraph } from '../../src/workloads/inference/builders/bert.js';
import { cnnGraph } from '../../src/workloads/inference/builders/cnn.js';
import { resnet50Graph } from '../../src/workloads/inference/builders/resnet50.js';
import { cachedModel, modelCacheDir } from '../../src/workloads/inference/model-cache.js';
import { cnnReference } from '../../src/workloads/inference/reference.js';
import { cnnModel, cnnWeights } from '../../src/workloads/training/cnn.js';
import { WORKLOADS, type CustomWorkload } from '../../src/workloads/index.js';

const rules = mergeRules(DEFAULT_RULES, {
  warmup: { minIterations: 2, minSeconds: 0, maxSeconds: 1 },
  minSamples: 5,
  minSeconds: 0,
  maxSeconds: 1,
  targetNoise: 0.5,
});
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fb-infer-'));
  process.env.FEDBENCH_CACHE = path.join(tmp, 'cache');
});

function execute(
  id: string,
  params: Record<string, unknown>,
  engine: 'onnxruntime' | 'tfjs',
  backend: string | null = null,
) {
  const w = WORKLOADS[id] as CustomWorkload;
  return w.execute({
    params: w.params.parse(params),
    engine: { engine, backend, threads: 1 },
    seed: 7,
    rules,
    hooks: {},
    onEngine: () => undefined,
  });
}

async function runOrt(model: Uint8Array | string, feeds: Record<string, ort.Tensor>) {
  const s = await createOrtSession(model, { providers: ['cpu'], threads: 1 });
  try {
    return await s.session.run(feeds);
  } finally {
    await s.session.release();
  }
}

describe('the CNN on both engines', () => {
  it('gives the same logits on ONNX Runtime (NCHW), tfjs wasm and tfjs cpu (NHWC) for the same weights, and matches the JS reference', async () => {
    const shape = { image: 10, inChannels: 3, channels: 4, blocks: 1, classes: 5 };
    const w = cnnWeights(shape, 3);
    const x = uniform([2, 3, 10, 10], 9);
    const want = cnnReference(w, x);
    const ortOut = (await runOrt(buildOnnxModel(cnnGraph(w)), { x: new ort.Tensor('float32', x.data, x.shape) }))
      .logits!.data as Float32Array;
    const close = (got: ArrayLike<number>) =>
      Array.from(got).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4 + 1e-4 * Math.abs(want[i]!)));
    close(ortOut);
    for (const backend of ['wasm', 'cpu'] as const) {
      const { tf } = await loadTfjs([backend]);
      const m = cnnModel(tf, w);
      close(tf.tidy(() => m.forward(tf.transpose(tf.tensor(x.data, x.shape), [0, 2, 3, 1]), false).dataSync()));
      m.dispose();
    }
  });
});

describe('ResNet-50 builder', () => {
  it('has the real topology (53 convolutions, 16 bottlenecks) and returns a softmax over 1000 classes', async () => {
    const g = resnet50Graph(1, 64);
    expect(g.nodes.filter((n) => n.op === 'Conv')).toHaveLength(53);
    expect(g.nodes.filter((n) => n.op === 'Add' && !n.outputs.includes('logits'))).toHaveLength(16);
    const params = g
      .initializers!.filter((t) => t.dims.length === 4 || t.dims.length === 2)
      .reduce((n, t) => n + t.data.length, 0);
    expect(params).toBeGreaterThan(25.4e6); // 25.5 M weights in convolutions and the dense layer
    const x = uniform([2, 3, 64, 64], 1);
    const out = (await runOrt(buildOnnxModel(g), { pixel_values: new ort.Tensor('float32', x.data, x.shape) }))
      .probabilities!;
    expect(out.dims).toEqual([2, 1000]);
    const p = out.data as Float32Array;
    for (const row of [p.subarray(0, 1000), p.subarray(1000)]) {
      expect(row.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    }
  });

  it('runs at 224×224 through the workload, verified before timing', async () => {
    const o = await execute('infer-resnet50', { scenario: 'offline', batch: 1 }, 'onnxruntime');
    expect(o.engine.backend).toBe('cpu');
    expect(o.verification?.passed).toBe(true);
    expect(o.metric.unit).toBe('samples/s');
    expect((o.details as { modelFile: string }).modelFile.startsWith(modelCacheDir())).toBe(true);
  });
});

describe('BERT-style encoder builder', () => {
  it('returns layer-normalised hidden states of the configured size', async () => {
    const s = { layers: 2, hidden: 32, heads: 4, seq: 8, vocab: 50 };
    const ids = BigInt64Array.from({ length: 16 }, (_, i) => BigInt((i * 7) % 50));
    const mask = new ort.Tensor('int64', new BigInt64Array(16).fill(1n), [2, 8]);
    const out = (
      await runOrt(buildOnnxModel(bertGraph(s, 1)), {
        input_ids: new ort.Tensor('int64', ids, [2, 8]),
        attention_mask: mask,
      })
    ).last_hidden_state!;
    expect(out.dims).toEqual([2, 8, 32]);
    const h = out.data as Float32Array;
    for (let t = 0; t < 16; t++) {
      const row = h.subarray(t * 32, (t + 1) * 32);
      const mean = row.reduce((a, b) => a + b, 0) / 32;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(Math.abs(row.reduce((a, v) => a + (v - mean) ** 2, 0) / 32 - 1)).toBeLessThan(1e-3);
    }
  });

  it('masks padding: real tokens ignore padded ones, and the mask changes what they see', async () => {
    const s = { layers: 2, hidden: 32, heads: 4, seq: 8, vocab: 50 };
    const model = buildOnnxModel(bertGraph(s, 1));
    const first = [3, 14, 15, 9, 26, 5, 35, 8];
    const second = [3, 14, 15, 9, 40, 41, 42, 43]; // the same 4 real tokens, other padding
    const hidden = async (ids: number[][], mask: number[][]) =>
      (
        await runOrt(model, {
          input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), [ids.length, 8]),
          attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat(), BigInt), [ids.length, 8]),
        })
      ).last_hidden_state!.data as Float32Array;
    const padded = [1, 1, 1, 1, 0, 0, 0, 0];
    const h = await hidden([first, second], [padded, padded]);
    const realOf = (row: number) => Array.from(h.subarray(row * 8 * 32, row * 8 * 32 + 4 * 32));
    const a = realOf(0);
    const b = realOf(1);
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-5);
    const unmasked = Array.from((await hidden([first], [[1, 1, 1, 1, 1, 1, 1, 1]])).subarray(0, 4 * 32));
    expect(Math.max(...a.map((x, i) => Math.abs(x - unmasked[i]!)))).toBeGreaterThan(1e-3);
  });

  it('runs the SingleStream scenario through the workload with p50/p90/p99 figures', async () => {
    const o = await execute(
      'infer-bert',
      { scenario: 'single-stream', layers: 1, hidden: 32, heads: 2, seq: 16, vocab: 100, queries: 20, seconds: 0.05 },
      'onnxruntime',
    );
    expect(o.metric).toEqual({ name: 'p90 latency', unit: 'ms', direction: 'lower' });
    expect(o.verification?.passed).toBe(true);
    expect(o.details).toMatchObject({ scenario: 'single-stream', batch: 1 });
    expect(o.verification?.params['checks']).toEqual([
      'layer-normalised token: mean 0, variance 1',
      'the 8 real tokens ignore the 8 padded ones (attention_mask)',
    ]);
  });
});

describe('MLP on both engines', () => {
  for (const [engine, backend] of [
    ['onnxruntime', 'cpu'],
    ['tfjs', 'wasm'],
    ['tfjs', 'cpu'],
  ] as const) {
    it(`is checked against the JS reference on ${engine}:${backend} before its Offline figure`, async () => {
      const o = await execute(
        'infer-mlp',
        { scenario: 'offline', batch: 4, features: 16, hidden: 32, layers: 2 },
        engine,
        backend,
      );
      expect(o.engine.backend).toBe(backend);
      expect(o.verification?.passed).toBe(true);
      expect(o.calls % 4).toBe(0);
    });
  }
});

describe('model cache', () => {
  it('writes a generated model once under $FEDBENCH_CACHE and reuses it', () => {
    let builds = 0;
    const build = () => {
      builds++;
      return cnnGraph(cnnWeights({ image: 4, inChannels: 3, channels: 2, blocks: 1, classes: 2 }, 1));
    };
    const a = cachedModel('t', { k: 1 }, build);
    const b = cachedModel('t', { k: 1 }, build);
    expect([a.cached, b.cached, builds]).toEqual([false, true, 1]);
    expect(a.file.startsWith(path.join(tmp, 'cache'))).toBe(true);
    expect(cachedModel('t', { k: 2 }, build).file).not.toBe(a.file);
  });
});

describe('onnx-model (a user-supplied file)', () => {
  const caseOf = (params: Record<string, unknown>) =>
    parseSuite(
      JSON.stringify({
        name: 't',
        engines: ['onnxruntime'],
        stop: {
          minSamples: 5,
          minSeconds: 0,
          maxSeconds: 0.5,
          warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.5 },
        },
        benchmarks: [{ id: 'm', workload: 'onnx-model', params }],
      }),
      't.yaml',
    ).cases[0]!;

  it('feeds fp16 inputs, replacing the dynamic batch dimension', async () => {
    const file = path.join(tmp, 'half.onnx');
    writeFileSync(
      file,
      buildOnnxModel({
        name: 'half',
        inputs: [{ name: 'h', dtype: 'float16', shape: ['n', 4] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: ['n', 4] }],
        nodes: [
          { op: 'Cast', inputs: ['h'], outputs: ['c'], attributes: { to: { i: 1 } } },
          { op: 'Relu', inputs: ['c'], outputs: ['y'] },
        ],
      }),
    );
    const r = await runCase(caseOf({ model: file, inputs: 'h=1x4', batch: 3 }), {
      campaign: 't',
      system: await systemInfo(),
    });
    expect(r.status, r.error).toBe('ok');
    expect(r.details).toMatchObject({ model: { inputs: [{ name: 'h', type: 'float16', dims: [3, 4] }] } });
  });

  it('a corrupt model gives a failed record naming the file, not a crash', async () => {
    const file = path.join(tmp, 'corrupt.onnx');
    writeFileSync(file, 'definitely not protobuf');
    const r = await runCase(caseOf({ model: file }), { campaign: 't', system: await systemInfo() });
    expect(r.status).toBe('failed');
    expect(r.error).toContain(`${file}: ONNX Runtime cannot load this model`);
  });

  it('a missing dynamic dimension gives a failed record naming the input and its shape', async () => {
    const file = path.join(tmp, 'dyn.onnx');
    writeFileSync(
      file,
      buildOnnxModel({
        name: 'dyn',
        inputs: [{ name: 'tokens', dtype: 'float32', shape: ['batch', 'seq'] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 'seq'] }],
        nodes: [{ op: 'Relu', inputs: ['tokens'], outputs: ['y'] }],
      }),
    );
    const r = await runCase(caseOf({ model: file }), { campaign: 't', system: await systemInfo() });
    expect(r.status).toBe('failed');
    expect(r.error).toContain(
      "input 'tokens' expects shape [batch, seq] (rank 2, float32): it has dynamic dimensions: give them with --input tokens=DIMS",
    );
  });
});
