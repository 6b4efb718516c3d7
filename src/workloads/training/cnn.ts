// A small ResNet: a 3×3 stem, then two stages of residual blocks (conv–batchnorm–ReLU, conv–batchnorm, plus
// the shortcut, ReLU); the second stage halves the resolution and doubles the width (1×1 projection on its
// first shortcut); global average pooling and a dense layer to class logits. Images are NHWC in tfjs.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../../engines/tfjs.js';
import type { HostTensor } from '../types.js';
import type { TfModel } from './model.js';
import {
  BN_EPSILON,
  BN_MOMENTUM,
  batchNormWeights,
  count,
  filled,
  heUniform,
  variable,
  type BatchNormWeights,
} from './weights.js';

export interface CnnShape {
  image: number;
  inChannels: number;
  /** Width of the first stage; the second has twice as many. */
  channels: number;
  /** Residual blocks per stage. */
  blocks: number;
  classes: number;
}

/** Convolution ('same' padding) followed by batch norm; the filter is HWIO [R, S, in, out] as tfjs keeps it. */
export interface ConvBn {
  w: HostTensor;
  bn: BatchNormWeights;
  stride: number;
}

export interface ResidualBlock {
  a: ConvBn;
  b: ConvBn;
  projection: ConvBn | null;
}

export interface CnnWeights {
  shape: CnnShape;
  stem: ConvBn;
  blocks: ResidualBlock[];
  head: { w: HostTensor; b: HostTensor };
}

export function cnnWeights(s: CnnShape, seed: number): CnnWeights {
  let next = seed;
  const convBn = (k: number, cin: number, cout: number, stride: number): ConvBn => ({
    w: heUniform([k, k, cin, cout], k * k * cin, next++),
    bn: batchNormWeights(cout),
    stride,
  });
  const blocks: ResidualBlock[] = [];
  let width = s.channels;
  for (let stage = 0; stage < 2; stage++) {
    for (let i = 0; i < s.blocks; i++) {
      const down = stage === 1 && i === 0;
      const cin = width;
      const cout = down ? width * 2 : width;
      blocks.push({
        a: convBn(3, cin, cout, down ? 2 : 1),
        b: convBn(3, cout, cout, 1),
        projection: down ? convBn(1, cin, cout, 2) : null,
      });
      width = cout;
    }
  }
  return {
    shape: s,
    stem: convBn(3, s.inChannels, s.channels, 1),
    blocks,
    head: { w: heUniform([width, s.classes], width, next++), b: filled([s.classes], 0) },
  };
}

function convBnTensors(c: ConvBn): HostTensor[] {
  return [c.w, c.bn.gamma, c.bn.beta, c.bn.mean, c.bn.variance];
}

export function cnnParameterCount(w: CnnWeights): number {
  const convs = [w.stem, ...w.blocks.flatMap((b) => [b.a, b.b, ...(b.projection ? [b.projection] : [])])];
  return count([...convs.flatMap(convBnTensors), w.head.w, w.head.b]);
}

interface ConvBnVars {
  w: TF.Variable;
  gamma: TF.Variable;
  beta: TF.Variable;
  mean: TF.Variable;
  variance: TF.Variable;
  stride: number;
}

export function cnnModel(tf: Tf, weights: CnnWeights): TfModel {
  const vars = (c: ConvBn): ConvBnVars => ({
    w: variable(tf, c.w),
    gamma: variable(tf, c.bn.gamma),
    beta: variable(tf, c.bn.beta),
    mean: variable(tf, c.bn.mean, false),
    variance: variable(tf, c.bn.variance, false),
    stride: c.stride,
  });
  const stem = vars(weights.stem);
  const blocks = weights.blocks.map((b) => ({
    a: vars(b.a),
    b: vars(b.b),
    projection: b.projection ? vars(b.projection) : null,
  }));
  const head = { w: variable(tf, weights.head.w), b: variable(tf, weights.head.b) };
  const all = [stem, ...blocks.flatMap((b) => [b.a, b.b, ...(b.projection ? [b.projection] : [])])];
  // Batch statistics of the last training forward pass, folded into the running ones after the step.
  let pending: Array<{ v: ConvBnVars; mean: TF.Tensor; variance: TF.Tensor }> = [];

  const convBn = (x: TF.Tensor4D, c: ConvBnVars, training: boolean): TF.Tensor4D => {
    const y = tf.conv2d(x, c.w as TF.Tensor4D, c.stride, 'same');
    if (!training) return tf.batchNorm(y, c.mean, c.variance, c.beta, c.gamma, BN_EPSILON) as TF.Tensor4D;
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    pending.push({ v: c, mean: tf.keep(mean), variance: tf.keep(variance) });
    // Written out rather than tf.batchNorm: its gradient tiles the statistics, which is slow on wasm.
    return tf.add(
      tf.mul(tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))), c.gamma),
      c.beta,
    ) as TF.Tensor4D;
  };

  return {
    variables: [...all.flatMap((c) => [c.w, c.gamma, c.beta]), head.w, head.b],
    forward: (x, training) => {
      let h = tf.relu(convBn(x as TF.Tensor4D, stem, training));
      for (const b of blocks) {
        const y = convBn(tf.relu(convBn(h, b.a, training)), b.b, training);
        const shortcut = b.projection ? convBn(h, b.projection, training) : h;
        h = tf.relu(tf.add(y, shortcut)) as TF.Tensor4D;
      }
      const pooled = tf.mean(h, [1, 2]) as TF.Tensor2D;
      return tf.add(tf.matMul(pooled, head.w as TF.Tensor2D), head.b);
    },
    afterStep: () => {
      tf.tidy(() => {
        for (const { v, mean, variance } of pending) {
          v.mean.assign(tf.add(tf.mul(v.mean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
          v.variance.assign(tf.add(tf.mul(v.variance, BN_MOMENTUM), tf.mul(variance, 1 - BN_MOMENTUM)));
        }
      });
      tf.dispose(pending.flatMap((p) => [p.mean, p.variance]));
      pending = [];
    },
    parameterCount: cnnParameterCount(weights),
    dispose: () => tf.dispose([...all.flatMap((c) => [c.w, c.gamma, c.beta, c.mean, c.variance]), head.w, head.b]),
  };
}
