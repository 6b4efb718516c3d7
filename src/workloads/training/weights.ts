// Model weights as plain host arrays, generated from a seed: the same numbers feed a tfjs model (training,
// inference) and an ONNX graph (inference), so both engines run the very same network.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../../engines/tfjs.js';
import { uniform } from '../data.js';
import type { HostTensor } from '../types.js';

/** He-uniform: U(-a, a) with a = sqrt(6 / fanIn), which keeps ReLU activations at a steady scale. */
export function heUniform(shape: number[], fanIn: number, seed: number): HostTensor {
  const t = uniform(shape, seed);
  const a = Math.sqrt(6 / fanIn);
  for (let i = 0; i < t.data.length; i++) t.data[i]! *= a;
  return t;
}

export function filled(shape: number[], value: number): HostTensor {
  return { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape };
}

/** Batch-norm parameters (scale, shift) and running statistics, as at initialisation. */
export interface BatchNormWeights {
  gamma: HostTensor;
  beta: HostTensor;
  mean: HostTensor;
  variance: HostTensor;
}

export function batchNormWeights(channels: number): BatchNormWeights {
  return {
    gamma: filled([channels], 1),
    beta: filled([channels], 0),
    mean: filled([channels], 0),
    variance: filled([channels], 1),
  };
}

export const BN_EPSILON = 1e-3;
export const BN_MOMENTUM = 0.9;

/** A tfjs variable holding a host tensor. */
export function variable(tf: Tf, t: HostTensor, trainable = true): TF.Variable {
  return tf.variable(tf.tensor(t.data, t.shape), trainable);
}

export function count(ts: readonly HostTensor[]): number {
  return ts.reduce((n, t) => n + t.data.length, 0);
}
