// ResNet-50 (v1.5, torchvision's topology): 7×7/2 stem, 3×3/2 max-pool, bottleneck stages of 3, 4, 6, 3 blocks
// (widths 64–512, expansion 4, stride on the 3×3 conv), global average pool, 1000-way dense layer and a
// softmax. NCHW, fp32, random He-initialised weights, batch-norm statistics at their initial values.
import type { GraphSpec } from '../../../engines/onnx-model.js';
import type { ConvBn } from '../../training/cnn.js';
import { batchNormWeights, filled, heUniform } from '../../training/weights.js';
import { GraphBuilder } from '../graph.js';
import { convBn } from './conv.js';

export const RESNET50_STAGES = [3, 4, 6, 3] as const;

export function resnet50Graph(seed: number, image = 224, classes = 1000): GraphSpec {
  const g = new GraphBuilder('resnet50');
  let next = seed;
  const conv = (k: number, cin: number, cout: number, stride: number, gamma = 1): ConvBn => {
    const bn = batchNormWeights(cout);
    bn.gamma.data.fill(gamma);
    return { w: heUniform([k, k, cin, cout], k * k * cin, next++), bn, stride };
  };
  let size = image;
  let h = g.op('Relu', [convBn(g, 'pixel_values', conv(7, 3, 64, 2), size, 'symmetric')]);
  size = Math.floor((size + 2 * 3 - 7) / 2) + 1;
  h = g.op('MaxPool', [h], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } });
  size = Math.floor((size + 2 - 3) / 2) + 1;
  let cin = 64;
  RESNET50_STAGES.forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const a = g.op('Relu', [convBn(g, h, conv(1, cin, width, 1), size, 'symmetric')]);
      const b = g.op('Relu', [convBn(g, a, conv(3, width, width, stride), size, 'symmetric')]);
      const out = Math.floor((size + 2 - 3) / stride) + 1;
      // A smaller scale on the last batch norm of each block keeps activations bounded through 16 residual sums.
      const c = convBn(g, b, conv(1, width, width * 4, 1, 0.5), out, 'symmetric');
      const shortcut = i === 0 ? convBn(g, h, conv(1, cin, width * 4, stride), size, 'symmetric') : h;
      h = g.op('Relu', [g.op('Add', [c, shortcut])]);
      cin = width * 4;
      size = out;
    }
  });
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  const logits = g.op(
    'Add',
    [
      g.op('MatMul', [pooled, g.weight('fc_w', heUniform([cin, classes], cin, next++))]),
      g.weight('fc_b', filled([classes], 0)),
    ],
    undefined,
    'logits',
  );
  g.op('Softmax', [logits], { axis: { i: -1 } }, 'probabilities');
  return g.build(
    [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, image, image] }],
    [{ name: 'probabilities', dtype: 'float32', shape: ['batch', classes] }],
  );
}
