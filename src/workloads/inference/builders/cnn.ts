// The ResNet-style CNN of the training suite as an ONNX graph (NCHW), from the same weights as the tfjs model.
import type { GraphSpec } from '../../../engines/onnx-model.js';
import type { CnnWeights } from '../../training/cnn.js';
import { GraphBuilder } from '../graph.js';
import { convBn } from './conv.js';

export function cnnGraph(w: CnnWeights): GraphSpec {
  const g = new GraphBuilder('cnn');
  const { image, inChannels, classes } = w.shape;
  let size = image;
  let h = g.op('Relu', [convBn(g, 'x', w.stem, size)]);
  for (const b of w.blocks) {
    const a = g.op('Relu', [convBn(g, h, b.a, size)]);
    const out = Math.ceil(size / b.a.stride);
    const y = convBn(g, a, b.b, out);
    const shortcut = b.projection ? convBn(g, h, b.projection, size) : h;
    h = g.op('Relu', [g.op('Add', [y, shortcut])]);
    size = out;
  }
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  g.op(
    'Add',
    [g.op('MatMul', [pooled, g.weight('head_w', w.head.w)]), g.weight('head_b', w.head.b)],
    undefined,
    'logits',
  );
  return g.build(
    [{ name: 'x', dtype: 'float32', shape: ['batch', inChannels, image, image] }],
    [{ name: 'logits', dtype: 'float32', shape: ['batch', classes] }],
  );
}
