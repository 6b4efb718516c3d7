// Inference workloads on models fedbench writes itself: the MLP and CNN of the training suite (on ONNX
// Runtime and tfjs, same weights, so engines can be compared), ResNet-50 and a BERT-style encoder (ONNX
// Runtime). Each is checked before timing, then run in the MLPerf scenario its case names.
import type * as TF from '@tensorflow/tfjs';
import { z } from 'zod';
import { ort } from '../../engines/onnxruntime.js';
import { loadTfjs, type TfjsBackend } from '../../engines/tfjs.js';
import { prng, uniform } from '../data.js';
import { cnnModel, cnnWeights, type CnnShape } from '../training/cnn.js';
import { mlpModel, mlpWeights, type MlpShape } from '../training/mlp.js';
import type { TfModel } from '../training/model.js';
import type { CustomWorkload, EngineChoice, ExecuteContext, HostTensor, Verification } from '../types.js';
import { bertGraph, type BertShape } from './builders/bert.js';
import { cnnGraph } from './builders/cnn.js';
import { mlpGraph } from './builders/mlp.js';
import { resnet50Graph } from './builders/resnet50.js';
import { outputAsFloat32 } from './feeds.js';
import { cachedModel } from './model-cache.js';
import { cnnReference, mlpReference } from './reference.js';
import { openOrt, ortQuery, runScenario, scenarioMetric, type ModelDetails, type OpenedModel } from './run.js';
import { checkScenario, scenarioFields, type ScenarioParams } from './scenarios/params.js';
import { checkRows, compareWithReference, layerNormRow, softmaxRow } from './verify.js';
import { makeFeeds } from './feeds.js';
import type { FeedSpec } from './input-spec.js';

const size = (max: number) => z.number().int().min(1).max(max);
const WEIGHT_SEED_OFFSET = 1000; // the training workloads initialise with seed + 1000 too

const base = {
  kind: 'inference' as const,
  metric: (p: ScenarioParams) => scenarioMetric(p),
  metricSummary: 'Offline samples/s | SingleStream p90 ms | Server achieved QPS at a p99 bound',
  unsupported: () => null,
};

type RunFeeds = (feeds: Record<string, ort.Tensor>) => Promise<Float32Array[]>;

async function ortOpened(
  ctx: ExecuteContext<ScenarioParams>,
  file: string,
  feeds: (batch: number) => FeedSpec[],
  check: (run: (batch: number) => Promise<Float32Array[]>, runFeeds: RunFeeds) => Promise<Verification>,
  details: ModelDetails,
): Promise<OpenedModel> {
  const s = await openOrt(file, ctx.engine);
  ctx.onEngine(s.engine);
  try {
    const runFeeds: RunFeeds = async (f) => {
      const out = await s.session.run(f);
      return s.session.outputNames.map((n) => outputAsFloat32(out[n]!));
    };
    const run = (batch: number) => runFeeds(makeFeeds(feeds(batch), ctx.seed));
    const verification = await check(run, runFeeds);
    return {
      engine: s.engine,
      query: ortQuery(s.session, feeds(ctx.params.batch), ctx.seed),
      verification,
      details: { ...details, modelFile: file },
      dispose: () => s.session.release(),
    };
  } catch (err) {
    await s.session.release();
    throw err;
  }
}

/** A tfjs model in inference form; inputs come in the reference layout and are converted once, untimed. */
async function tfjsOpened(
  ctx: ExecuteContext<ScenarioParams>,
  make: (tf: typeof TF) => TfModel,
  toEngineLayout: (tf: typeof TF, x: TF.Tensor) => TF.Tensor,
  input: (batch: number) => HostTensor,
  reference: (x: HostTensor) => Float32Array,
  details: ModelDetails,
): Promise<OpenedModel> {
  const choice: EngineChoice = ctx.engine;
  const h = await loadTfjs(
    choice.backend ? [choice.backend as TfjsBackend] : undefined,
    choice.threads ? { threads: choice.threads } : {},
  );
  const engine = {
    name: 'tfjs' as const,
    backend: h.backend,
    package: h.package,
    version: h.version,
    threads: h.threads,
    fallbacks: h.fallbacks,
  };
  ctx.onEngine(engine);
  const { tf } = h;
  const model = make(tf);
  const tensorOf = (x: HostTensor) => tf.tidy(() => toEngineLayout(tf, tf.tensor(x.data, x.shape)));
  try {
    const small = input(2);
    const xs = tensorOf(small);
    const got = tf.tidy(() => model.forward(xs, false).dataSync() as Float32Array);
    xs.dispose();
    const verification = compareWithReference(
      Float32Array.from(got),
      reference(small),
      { abs: 1e-4, rel: 1e-3 },
      { batch: 2 },
    );
    const x = tensorOf(input(ctx.params.batch));
    // The read-back is part of the query: an inference result is delivered to the caller.
    const query = () => tf.tidy(() => model.forward(x, false).dataSync());
    return {
      engine,
      query,
      verification,
      details,
      dispose: () => {
        x.dispose();
        model.dispose();
      },
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

const mlpParams = z
  .strictObject({
    ...scenarioFields,
    features: size(65536).default(256),
    hidden: size(65536).default(512),
    layers: size(64).default(3),
    classes: size(10000).default(10),
  })
  .superRefine(checkScenario);

export const inferMlp: CustomWorkload<z.infer<typeof mlpParams>> = {
  ...base,
  id: 'infer-mlp',
  description: "MLP classifier (the training suite's), same weights on ONNX Runtime and tfjs",
  params: mlpParams,
  engines: ['onnxruntime', 'tfjs'],
  execute: async (ctx) => {
    const p = ctx.params;
    const shape: MlpShape = { features: p.features, hidden: p.hidden, layers: p.layers, classes: p.classes };
    const weights = mlpWeights(shape, ctx.seed + WEIGHT_SEED_OFFSET);
    const input = (batch: number) => uniform([batch, p.features], ctx.seed);
    const details = { model: { architecture: 'mlp', ...shape } };
    const opened =
      ctx.engine.engine === 'tfjs'
        ? await tfjsOpened(
            ctx,
            (tf) => mlpModel(tf, weights),
            (_tf, x) => x,
            input,
            (x) => mlpReference(weights, x),
            details,
          )
        : await ortOpened(
            ctx,
            cachedModel('mlp', { shape, seed: ctx.seed }, () => mlpGraph(weights)).file,
            (batch) => [{ name: 'x', type: 'float32', dims: [batch, p.features] }],
            async (run) => {
              const [got] = await run(2);
              return compareWithReference(
                got!,
                mlpReference(weights, { data: uniform([2 * p.features], ctx.seed).data, shape: [2, p.features] }),
                { abs: 1e-4, rel: 1e-3 },
                { batch: 2 },
              );
            },
            details,
          );
    return runScenario(ctx, opened);
  },
};

const cnnParams = z
  .strictObject({
    ...scenarioFields,
    image: size(512).default(16),
    channels: size(1024).default(16),
    blocks: size(32).default(2),
    classes: size(10000).default(10),
  })
  .superRefine(checkScenario);

export const inferCnn: CustomWorkload<z.infer<typeof cnnParams>> = {
  ...base,
  id: 'infer-cnn',
  description: "ResNet-style CNN (the training suite's), same weights on ONNX Runtime (NCHW) and tfjs (NHWC)",
  params: cnnParams,
  engines: ['onnxruntime', 'tfjs'],
  execute: async (ctx) => {
    const p = ctx.params;
    const shape: CnnShape = {
      image: p.image,
      inChannels: 3,
      channels: p.channels,
      blocks: p.blocks,
      classes: p.classes,
    };
    const weights = cnnWeights(shape, ctx.seed + WEIGHT_SEED_OFFSET);
    const input = (batch: number) => uniform([batch, 3, p.image, p.image], ctx.seed);
    const details = { model: { architecture: 'resnet-cnn', ...shape } };
    const tolerance = { abs: 1e-3, rel: 1e-3 };
    const opened =
      ctx.engine.engine === 'tfjs'
        ? await tfjsOpened(
            ctx,
            (tf) => cnnModel(tf, weights),
            (tf, x) => tf.transpose(x, [0, 2, 3, 1]),
            input,
            (x) => cnnReference(weights, x),
            details,
          )
        : await ortOpened(
            ctx,
            cachedModel('cnn', { shape, seed: ctx.seed }, () => cnnGraph(weights)).file,
            (batch) => [{ name: 'x', type: 'float32', dims: [batch, 3, p.image, p.image] }],
            async (run) => {
              const [got] = await run(2);
              return compareWithReference(
                got!,
                cnnReference(weights, {
                  data: uniform([2 * 3 * p.image * p.image], ctx.seed).data,
                  shape: [2, 3, p.image, p.image],
                }),
                tolerance,
                { batch: 2 },
              );
            },
            details,
          );
    return runScenario(ctx, opened);
  },
};

const resnetParams = z.strictObject({ ...scenarioFields, image: size(1024).default(224) }).superRefine(checkScenario);

export const inferResnet50: CustomWorkload<z.infer<typeof resnetParams>> = {
  ...base,
  id: 'infer-resnet50',
  description: 'ResNet-50 v1.5 (real topology, random weights, NCHW fp32) on ONNX Runtime',
  params: resnetParams,
  engines: ['onnxruntime'],
  execute: async (ctx) => {
    const p = ctx.params;
    const file = cachedModel('resnet50', { image: p.image, seed: ctx.seed }, () =>
      resnet50Graph(ctx.seed + WEIGHT_SEED_OFFSET, p.image),
    ).file;
    const tol = { abs: 1e-4, rel: 0 };
    const opened = await ortOpened(
      ctx,
      file,
      (batch) => [{ name: 'pixel_values', type: 'float32', dims: [batch, 3, p.image, p.image] }],
      async (run) => {
        const [probs] = await run(2);
        if (probs!.length !== 2 * 1000)
          throw new Error(`ResNet-50 output has ${probs!.length} values, expected 2 × 1000`);
        return checkRows(
          probs!,
          1000,
          'softmax row: values in [0, 1] summing to 1',
          tol,
          { batch: 2 },
          softmaxRow(tol),
        );
      },
      { model: { architecture: 'resnet50-v1.5', image: p.image, classes: 1000, layout: 'NCHW' } },
    );
    return runScenario(ctx, opened);
  },
};

const bertParams = z
  .strictObject({
    ...scenarioFields,
    layers: size(48).default(4),
    hidden: size(4096).default(256),
    heads: size(64).default(4),
    seq: size(4096).default(128),
    vocab: size(250_000).default(30522),
  })
  .superRefine(checkScenario)
  .refine((p) => p.hidden % p.heads === 0, { message: 'hidden must be a multiple of heads', path: ['heads'] });

/**
 * The attention mask works: two sequences that differ only in their padded tokens (mask 0) give the same
 * hidden states for the real tokens. A model that attended to padding would not.
 */
async function checkPaddingIgnored(
  runFeeds: RunFeeds,
  seq: number,
  hidden: number,
  vocab: number,
  seed: number,
): Promise<Verification> {
  const real = Math.ceil(seq / 2);
  const next = prng(seed);
  const first = Array.from({ length: seq }, () => Math.floor(next() * vocab));
  const second = first.map((id, t) => (t < real ? id : (id + 1 + Math.floor(next() * (vocab - 1))) % vocab));
  const ids = new ort.Tensor('int64', BigInt64Array.from([...first, ...second], BigInt), [2, seq]);
  const mask = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: 2 * seq }, (_, i) => (i % seq < real ? 1n : 0n)),
    [2, seq],
  );
  const [out] = await runFeeds({ input_ids: ids, attention_mask: mask });
  const tolerance = { abs: 1e-4, rel: 0 };
  const a = out!.subarray(0, real * hidden);
  const b = out!.subarray(seq * hidden, seq * hidden + real * hidden);
  return compareWithReference(a, b, tolerance, {
    batch: 2,
    check: `the ${real} real tokens ignore the ${seq - real} padded ones (attention_mask)`,
  });
}

export const inferBert: CustomWorkload<z.infer<typeof bertParams>> = {
  ...base,
  id: 'infer-bert',
  description: 'BERT-style encoder (layers/hidden/heads configurable; reduced default for CPUs) on ONNX Runtime',
  params: bertParams,
  engines: ['onnxruntime'],
  execute: async (ctx) => {
    const p = ctx.params;
    const shape: BertShape = { layers: p.layers, hidden: p.hidden, heads: p.heads, seq: p.seq, vocab: p.vocab };
    const file = cachedModel('bert', { shape, seed: ctx.seed }, () =>
      bertGraph(shape, ctx.seed + WEIGHT_SEED_OFFSET),
    ).file;
    const tol = { abs: 1e-3, rel: 0 };
    const opened = await ortOpened(
      ctx,
      file,
      // Timed queries use full sequences (every token attended): the encoder's work does not depend on the mask.
      (batch) => [
        { name: 'input_ids', type: 'int64', dims: [batch, p.seq], intRange: p.vocab },
        { name: 'attention_mask', type: 'int64', dims: [batch, p.seq], fill: 1 },
      ],
      async (run, runFeeds) => {
        const [hidden] = await run(2);
        if (hidden!.length !== 2 * p.seq * p.hidden)
          throw new Error(`encoder output has ${hidden!.length} values, expected 2 × ${p.seq} × ${p.hidden}`);
        const rows = checkRows(
          hidden!,
          p.hidden,
          'layer-normalised token: mean 0, variance 1',
          tol,
          { batch: 2 },
          layerNormRow(tol),
        );
        const padding = await checkPaddingIgnored(runFeeds, p.seq, p.hidden, p.vocab, ctx.seed);
        // both checks throw on failure; the record lists both
        return { ...rows, params: { batch: 2, checks: [rows.params['check'], padding.params['check']] } };
      },
      { model: { architecture: 'bert-encoder', ...shape, ff: 4 * p.hidden } },
    );
    return runScenario(ctx, opened);
  },
};
