// A small transformer encoder for sequence classification: token embedding (one-hot × matrix, so that the
// gradient is a matrix product on every backend), learned positions, pre-norm blocks of multi-head
// self-attention and a GELU feed-forward, a final layer norm, mean pooling and a dense layer to class logits.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../../engines/tfjs.js';
import type { TfModel } from './model.js';
import { count, filled, heUniform, variable } from './weights.js';
import { uniform } from '../data.js';
import type { HostTensor } from '../types.js';

export interface TransformerShape {
  vocab: number;
  seq: number;
  dModel: number;
  heads: number;
  layers: number;
  /** Feed-forward width (4 × dModel in BERT). */
  ff: number;
  classes: number;
}

const LN_EPSILON = 1e-5;

export function transformerModel(tf: Tf, s: TransformerShape, seed: number): TfModel {
  if (s.dModel % s.heads !== 0) throw new Error(`dModel ${s.dModel} is not a multiple of heads ${s.heads}`);
  const dh = s.dModel / s.heads;
  let next = seed;
  const dense = (i: number, o: number) => ({ w: heUniform([i, o], i, next++), b: filled([o], 0) });
  const norm = () => ({ g: filled([s.dModel], 1), b: filled([s.dModel], 0) });
  const scaled = (shape: number[], scale: number): HostTensor => {
    const t = uniform(shape, next++);
    for (let i = 0; i < t.data.length; i++) t.data[i]! *= scale;
    return t;
  };
  const host = {
    embed: scaled([s.vocab, s.dModel], 0.5),
    positions: scaled([s.seq, s.dModel], 0.1),
    blocks: Array.from({ length: s.layers }, () => ({
      ln1: norm(),
      q: dense(s.dModel, s.dModel),
      k: dense(s.dModel, s.dModel),
      v: dense(s.dModel, s.dModel),
      o: dense(s.dModel, s.dModel),
      ln2: norm(),
      ff1: dense(s.dModel, s.ff),
      ff2: dense(s.ff, s.dModel),
    })),
    lnFinal: norm(),
    head: dense(s.dModel, s.classes),
  };
  const flat: HostTensor[] = [
    host.embed,
    host.positions,
    ...host.blocks.flatMap((b) => [
      b.ln1.g,
      b.ln1.b,
      b.q.w,
      b.q.b,
      b.k.w,
      b.k.b,
      b.v.w,
      b.v.b,
      b.o.w,
      b.o.b,
      b.ln2.g,
      b.ln2.b,
      b.ff1.w,
      b.ff1.b,
      b.ff2.w,
      b.ff2.b,
    ]),
    host.lnFinal.g,
    host.lnFinal.b,
    host.head.w,
    host.head.b,
  ];
  const vars = flat.map((t) => variable(tf, t));
  const byHost = new Map(flat.map((t, i) => [t, vars[i]!]));
  const v = (t: HostTensor) => byHost.get(t)!;

  const layerNorm = (x: TF.Tensor, n: { g: HostTensor; b: HostTensor }) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPSILON))), v(n.g)), v(n.b));
  };
  // x: [B·T, in] → [B·T, out]
  const linear = (x: TF.Tensor, d: { w: HostTensor; b: HostTensor }) =>
    tf.add(tf.matMul(x as TF.Tensor2D, v(d.w) as TF.Tensor2D), v(d.b));
  const gelu = (x: TF.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));

  const forward = (tokens: TF.Tensor): TF.Tensor => {
    const B = tokens.shape[0]!;
    const T = s.seq;
    const oneHot = tf.oneHot(tf.cast(tf.reshape(tokens, [B * T]), 'int32'), s.vocab);
    let x = tf.add(tf.reshape(tf.matMul(oneHot, v(host.embed) as TF.Tensor2D), [B, T, s.dModel]), v(host.positions));
    x = tf.reshape(x, [B * T, s.dModel]);
    const heads = (t: TF.Tensor) => tf.transpose(tf.reshape(t, [B, T, s.heads, dh]), [0, 2, 1, 3]); // [B, H, T, dh]
    for (const b of host.blocks) {
      const h = layerNorm(x, b.ln1);
      const q = heads(linear(h, b.q));
      const k = heads(linear(h, b.k));
      const val = heads(linear(h, b.v));
      const scores = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
      const ctx = tf.reshape(tf.transpose(tf.matMul(scores, val), [0, 2, 1, 3]), [B * T, s.dModel]);
      x = tf.add(x, linear(ctx, b.o));
      x = tf.add(x, linear(gelu(linear(layerNorm(x, b.ln2), b.ff1)), b.ff2));
    }
    const pooled = tf.mean(tf.reshape(layerNorm(x, host.lnFinal), [B, T, s.dModel]), 1);
    return linear(pooled, host.head);
  };

  return {
    variables: vars,
    forward,
    afterStep: () => undefined,
    parameterCount: count(flat),
    dispose: () => tf.dispose(vars),
  };
}
