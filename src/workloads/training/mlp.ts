// A multi-layer perceptron: dense → ReLU, repeated, then a dense layer to class logits.
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../../engines/tfjs.js';
import type { HostTensor } from '../types.js';
import type { TfModel } from './model.js';
import { count, filled, heUniform, variable } from './weights.js';

export interface MlpShape {
  features: number;
  hidden: number;
  layers: number;
  classes: number;
}

/** Dense layers, weights [in, out] (x·W + b). */
export interface MlpWeights {
  layers: Array<{ w: HostTensor; b: HostTensor }>;
}

export function mlpWeights(s: MlpShape, seed: number): MlpWeights {
  const widths = [s.features, ...Array<number>(s.layers).fill(s.hidden), s.classes];
  return {
    layers: widths
      .slice(1)
      .map((out, i) => ({ w: heUniform([widths[i]!, out], widths[i]!, seed + 10 * i), b: filled([out], 0) })),
  };
}

export function mlpParameterCount(w: MlpWeights): number {
  return count(w.layers.flatMap((l) => [l.w, l.b]));
}

export function mlpModel(tf: Tf, weights: MlpWeights): TfModel {
  const layers = weights.layers.map((l) => ({ w: variable(tf, l.w), b: variable(tf, l.b) }));
  return {
    variables: layers.flatMap((l) => [l.w, l.b]),
    forward: (x) =>
      layers.reduce<TF.Tensor>((h, l, i) => {
        const y = tf.add(tf.matMul(h as TF.Tensor2D, l.w as TF.Tensor2D), l.b);
        return i < layers.length - 1 ? tf.relu(y) : y;
      }, x),
    afterStep: () => undefined,
    parameterCount: mlpParameterCount(weights),
    dispose: () => tf.dispose(layers.flatMap((l) => [l.w, l.b])),
  };
}
