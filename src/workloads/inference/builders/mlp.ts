// The MLP of the training suite as an ONNX graph: x [batch, features] → (MatMul, Add, Relu)* → logits.
import type { GraphSpec } from '../../../engines/onnx-model.js';
import type { MlpWeights } from '../../training/mlp.js';
import { GraphBuilder } from '../graph.js';

export function mlpGraph(w: MlpWeights): GraphSpec {
  const g = new GraphBuilder('mlp');
  let h = 'x';
  w.layers.forEach((l, i) => {
    const last = i === w.layers.length - 1;
    const y = g.op(
      'Add',
      [g.op('MatMul', [h, g.weight('w', l.w)]), g.weight('b', l.b)],
      undefined,
      last ? 'logits' : undefined,
    );
    h = last ? y : g.op('Relu', [y]);
  });
  const features = w.layers[0]!.w.shape[0]!;
  const classes = w.layers.at(-1)!.w.shape[1]!;
  return g.build(
    [{ name: 'x', dtype: 'float32', shape: ['batch', features] }],
    [{ name: 'logits', dtype: 'float32', shape: ['batch', classes] }],
  );
}
