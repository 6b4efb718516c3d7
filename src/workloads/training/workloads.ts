// Training workloads on TensorFlow.js: one per model, sharing the training loop (train.ts).
import { z } from 'zod';
import type { CustomWorkload } from '../types.js';
import { cnnModel, cnnWeights } from './cnn.js';
import { teacherSequences, teacherVectors, templateImages } from './data.js';
import { mlpModel, mlpWeights } from './mlp.js';
import { executeTraining, TRAINING_METRIC, type TrainingParams } from './train.js';
import { transformerModel } from './transformer.js';

const common = {
  batch: z.number().int().min(1).max(65536),
  optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  precision: z.enum(['fp32', 'fp16']).default('fp32'),
  samples: z.number().int().min(1).max(1_000_000).default(2048),
  learningRate: z.number().positive().max(10).optional(),
};
const size = (max: number) => z.number().int().min(1).max(max);
const batchFits = (p: TrainingParams) => p.batch <= p.samples;
const batchFitsMessage = { message: 'batch must not exceed samples (one epoch of the data set)', path: ['batch'] };

const mlpParams = z
  .strictObject({
    ...common,
    features: size(65536).default(256),
    hidden: size(65536).default(512),
    layers: size(64).default(3),
    classes: size(10000).default(10),
  })
  .refine(batchFits, batchFitsMessage);
const cnnParams = z
  .strictObject({
    ...common,
    image: size(512).default(16),
    channels: size(1024).default(16),
    blocks: size(32).default(2),
    classes: size(10000).default(10),
  })
  .refine(batchFits, batchFitsMessage);
const transformerParams = z
  .strictObject({
    ...common,
    seq: size(4096).default(32),
    dModel: size(4096).default(64),
    heads: size(64).default(4),
    layers: size(48).default(2),
    vocab: size(65536).default(64),
    classes: size(10000).default(4),
  })
  .refine(batchFits, batchFitsMessage)
  .refine((p) => p.dModel % p.heads === 0, { message: 'dModel must be a multiple of heads', path: ['heads'] });

const base = {
  kind: 'training' as const,
  metric: () => TRAINING_METRIC,
  metricSummary: 'samples/s (steady-state steps); the loss must fall',
  engines: ['tfjs'] as const,
  unsupported: () => null,
};

export const trainMlp: CustomWorkload<z.infer<typeof mlpParams>> = {
  ...base,
  id: 'train-mlp',
  description: 'MLP classifier on synthetic teacher-labelled vectors (tfjs)',
  params: mlpParams,
  execute: (ctx) => {
    const p = ctx.params;
    const shape = { features: p.features, hidden: p.hidden, layers: p.layers, classes: p.classes };
    return executeTraining(ctx, {
      data: teacherVectors(p.samples, p.features, p.classes, ctx.seed),
      model: (tf) => mlpModel(tf, mlpWeights(shape, ctx.seed + 1000)),
      learningRate: { sgd: 0.05, adam: 0.001 },
      describe: { architecture: 'mlp', ...shape },
    });
  },
};

export const trainCnn: CustomWorkload<z.infer<typeof cnnParams>> = {
  ...base,
  id: 'train-cnn',
  description: 'ResNet-style CNN (conv–batchnorm–ReLU residual blocks) on synthetic template images (tfjs)',
  params: cnnParams,
  execute: (ctx) => {
    const p = ctx.params;
    const shape = { image: p.image, inChannels: 3, channels: p.channels, blocks: p.blocks, classes: p.classes };
    return executeTraining(ctx, {
      data: templateImages(p.samples, p.image, 3, p.classes, ctx.seed),
      model: (tf) => cnnModel(tf, cnnWeights(shape, ctx.seed + 1000)),
      learningRate: { sgd: 0.02, adam: 0.001 },
      describe: { architecture: 'resnet-cnn', ...shape },
    });
  },
};

export const trainTransformer: CustomWorkload<z.infer<typeof transformerParams>> = {
  ...base,
  id: 'train-transformer',
  description: 'transformer encoder classifier on synthetic token sequences (tfjs)',
  params: transformerParams,
  execute: (ctx) => {
    const p = ctx.params;
    const shape = {
      vocab: p.vocab,
      seq: p.seq,
      dModel: p.dModel,
      heads: p.heads,
      layers: p.layers,
      ff: 4 * p.dModel,
      classes: p.classes,
    };
    return executeTraining(ctx, {
      data: teacherSequences(p.samples, p.seq, p.vocab, p.classes, ctx.seed),
      model: (tf) => transformerModel(tf, shape, ctx.seed + 1000),
      learningRate: { sgd: 0.05, adam: 0.001 },
      describe: { architecture: 'transformer-encoder', ...shape },
    });
  },
};
