// Convolution + batch norm as ONNX nodes, shared by the CNN and ResNet-50 builders. Weights come in tfjs's
// HWIO layout and are written as ONNX's OIHW; 'same' padding is spelled out the way TensorFlow pads (the odd
// pixel after), so tfjs and ONNX Runtime compute the same thing.
import type { ConvBn } from '../../training/cnn.js';
import { BN_EPSILON } from '../../training/weights.js';
import type { HostTensor } from '../../types.js';
import type { GraphBuilder } from '../graph.js';

export function hwioToOihw(t: HostTensor): HostTensor {
  const [R, S, C, K] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < R; r++)
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++)
        for (let k = 0; k < K; k++) out[((k * C + c) * R + r) * S + s] = t.data[((r * S + s) * C + c) * K + k]!;
  return { data: out, shape: [K, C, R, S] };
}

/** TensorFlow's 'same' padding for one axis: [before, after]. */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Conv then BatchNormalization (inference form); returns the output name. Padding is TensorFlow's 'same' by
 * default, or (k-1)/2 on every side as torchvision's ResNet pads.
 */
export function convBn(
  g: GraphBuilder,
  x: string,
  c: ConvBn,
  size: number,
  padding: 'tf-same' | 'symmetric' = 'tf-same',
): string {
  const k = c.w.shape[0]!;
  const [before, after] = padding === 'symmetric' ? [(k - 1) / 2, (k - 1) / 2] : samePads(size, k, c.stride);
  const y = g.op('Conv', [x, g.weight('conv', hwioToOihw(c.w))], {
    pads: { ints: [before, before, after, after] },
    strides: { ints: [c.stride, c.stride] },
    kernel_shape: { ints: [k, k] },
  });
  return g.op(
    'BatchNormalization',
    [
      y,
      g.weight('gamma', c.bn.gamma),
      g.weight('beta', c.bn.beta),
      g.weight('mean', c.bn.mean),
      g.weight('var', c.bn.variance),
    ],
    { epsilon: { f: BN_EPSILON } },
  );
}
