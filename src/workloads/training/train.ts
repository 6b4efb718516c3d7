// The training loop as a measured workload: one optimizer step on the next batch is one timed call (the loss
// is read back, so the step has finished). Warm-up steps are excluded from the figure but kept in the loss
// trajectory; the run fails, whatever its speed, when the loss does not fall.
import type * as TF from '@tensorflow/tfjs';
import { loadTfjs, type Tf, type TfjsBackend } from '../../engines/tfjs.js';
import { WASM_TRAINING_KERNELS } from '../../engines/tfjs-wasm-kernels.js';
import { measure, measurementSummary, summarize } from '../../measure/index.js';
import { SkipCase, WrongResults, type ExecuteContext, type Outcome } from '../types.js';
import type { Dataset } from './data.js';
import { checkLossFalls, lossTrajectory } from './loss-check.js';
import type { TfModel } from './model.js';

export interface TrainingParams {
  batch: number;
  optimizer: 'sgd' | 'adam';
  precision: 'fp32' | 'fp16';
  /** Samples in one epoch of the synthetic data set. */
  samples: number;
  learningRate?: number | undefined;
}

export interface TrainingSetup {
  data: Dataset;
  model(tf: Tf): TfModel;
  /** Default learning rates per optimizer for this model. */
  learningRate: { sgd: number; adam: number };
  describe: Record<string, unknown>;
}

/** Steps the loss check looks at, at least (warm-up and timed steps count; more are run untimed if needed). */
const MIN_CHECK_STEPS = 30;

export const TRAINING_METRIC = { name: 'throughput', unit: 'samples/s', direction: 'higher' } as const;

function optimizer(tf: Tf, p: TrainingParams, rates: TrainingSetup['learningRate']): TF.Optimizer {
  const lr = p.learningRate ?? rates[p.optimizer];
  return p.optimizer === 'adam' ? tf.train.adam(lr) : tf.train.sgd(lr);
}

/** Batches of the data set as tensors, made once outside the timed region. */
function batches(tf: Tf, data: Dataset, batch: number): Array<{ x: TF.Tensor; y: TF.Tensor }> {
  const per = data.sampleShape.reduce((a, b) => a * b, 1);
  const n = Math.floor(data.samples / batch);
  if (n < 1) throw new Error(`batch ${batch} is larger than the data set (${data.samples} samples)`);
  return Array.from({ length: n }, (_, i) => ({
    x: tf.tensor(data.x.subarray(i * batch * per, (i + 1) * batch * per), [batch, ...data.sampleShape]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels.subarray(i * batch, (i + 1) * batch), 'int32'), data.classes)),
  }));
}

export async function executeTraining(ctx: ExecuteContext<TrainingParams>, setup: TrainingSetup): Promise<Outcome> {
  const p = ctx.params;
  const h = await loadTfjs(
    ctx.engine.backend ? [ctx.engine.backend as TfjsBackend] : undefined,
    ctx.engine.threads ? { threads: ctx.engine.threads } : {},
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
  // tfjs has no mixed precision on these backends: every kernel computes in fp32.
  if (p.precision !== 'fp32')
    throw new SkipCase(`tfjs backend '${h.backend}' trains in fp32 only (no ${p.precision} training in tfjs)`);
  const { tf } = h;
  const model = setup.model(tf);
  const opt = optimizer(tf, p, setup.learningRate);
  const data = batches(tf, setup.data, p.batch);
  const losses: number[] = [];
  let next = 0;
  const step = () => {
    const b = data[next]!;
    next = (next + 1) % data.length;
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(b.y, model.forward(b.x, true)) as TF.Scalar,
      true,
      model.variables,
    )!;
    model.afterStep();
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  };
  try {
    const m = await measure(step, { rules: ctx.rules, ...ctx.hooks });
    const timedSteps = losses.length;
    // A short run on a slow backend may take too few steps to judge the loss: train on (untimed) until it can.
    while (losses.length < MIN_CHECK_STEPS) step();
    const check = checkLossFalls(losses);
    const verification = {
      params: {
        check: 'loss falls',
        steps: check.steps,
        window: check.window,
        firstLoss: check.first,
        lastLoss: check.last,
      },
      passed: check.passed,
      worstExcess: Number.isFinite(check.ratio) ? check.ratio - (1 - check.minDrop) : null,
      tolerance: { abs: 0, rel: check.minDrop },
    };
    if (!check.passed) throw new WrongResults(`training run failed its sanity check: ${check.reason}`, verification);
    const stepSeconds = summarize(m.iterationSeconds);
    const measuredSteps = m.iterationSeconds.length * m.callsPerSample;
    return {
      engine,
      metric: TRAINING_METRIC,
      samples: m.iterationSeconds.map((s) => p.batch / s),
      iterationSeconds: m.iterationSeconds,
      work: { perCall: p.batch, note: 'samples per optimizer step (forward, backward, update)' },
      verification,
      secondary: [{ name: 'time per step', unit: 's', direction: 'lower', stats: stepSeconds }],
      measurement: measurementSummary(m, ctx.rules),
      warnings: m.warnings,
      calls: measuredSteps * p.batch,
      gigaWorkPerCall: null,
      callUnit: { one: 'sample', many: 'samples' },
      details: {
        kind: 'training',
        model: setup.describe,
        parameters: model.parameterCount,
        optimizer: p.optimizer,
        learningRate: p.learningRate ?? setup.learningRate[p.optimizer],
        stepsPerEpoch: data.length,
        // An epoch is stepsPerEpoch steady-state steps: warm-up and data loading are not in it.
        epochSeconds: stepSeconds.median * data.length,
        steps: losses.length,
        untimedCheckSteps: losses.length - timedSteps,
        epochsSeen: losses.length / data.length,
        lossTrajectory: lossTrajectory(losses),
        lossCheck: {
          first: check.first,
          last: check.last,
          window: check.window,
          ratio: check.ratio,
          minDrop: check.minDrop,
        },
        ...(h.backend === 'wasm' ? { wasmKernels: [...WASM_TRAINING_KERNELS] } : {}),
      },
    };
  } finally {
    tf.dispose(data.flatMap((b) => [b.x, b.y]));
    opt.dispose();
    model.dispose();
  }
}
