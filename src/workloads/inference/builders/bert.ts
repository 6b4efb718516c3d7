// A BERT-style encoder: token and position embeddings, layer norm, then post-norm transformer layers
// (multi-head self-attention, GELU feed-forward of 4× the hidden width), as in BERT. Sizes are
// parameters (BERT-base: 12 layers, hidden 768, 12 heads); the sequence length is fixed in the model,
// the batch is dynamic. Inputs input_ids and attention_mask [batch, seq] int64 (1 = a token, 0 = padding,
// which no token attends to: BERT's additive −10000 on the scores); output last_hidden_state [batch, seq, hidden].
import type { GraphSpec } from '../../../engines/onnx-model.js';
import { uniform } from '../../data.js';
import { filled, heUniform } from '../../training/weights.js';
import type { HostTensor } from '../../types.js';
import { GraphBuilder } from '../graph.js';

export interface BertShape {
  layers: number;
  hidden: number;
  heads: number;
  seq: number;
  vocab: number;
}

const LN_EPSILON = 1e-12;

export function bertGraph(s: BertShape, seed: number): GraphSpec {
  if (s.hidden % s.heads !== 0) throw new Error(`hidden ${s.hidden} is not a multiple of heads ${s.heads}`);
  const g = new GraphBuilder('bert-encoder');
  const dh = s.hidden / s.heads;
  let next = seed;
  const small = (shape: number[]): HostTensor => {
    const t = uniform(shape, next++);
    for (let i = 0; i < t.data.length; i++) t.data[i]! *= 0.05;
    return t;
  };
  const layerNorm = (x: string) =>
    g.op('LayerNormalization', [x, g.weight('ln_g', filled([s.hidden], 1)), g.weight('ln_b', filled([s.hidden], 0))], {
      axis: { i: -1 },
      epsilon: { f: LN_EPSILON },
    });
  const dense = (x: string, i: number, o: number) =>
    g.op('Add', [g.op('MatMul', [x, g.weight('w', heUniform([i, o], i, next++))]), g.weight('b', filled([o], 0))]);
  const toHeads = g.ints([0, 0, s.heads, dh]);
  const fromHeads = g.ints([0, 0, s.hidden]);
  const scale = g.floats([1 / Math.sqrt(dh)], []);
  const half = g.floats([0.5], []);
  const one = g.floats([1], []);
  const sqrt2 = g.floats([Math.SQRT2], []);

  // [batch, seq] mask → [batch, 1, 1, seq] additive bias: 0 where attended, −10000 on padding.
  const keep = g.op('Cast', ['attention_mask'], { to: { i: 1 } }); // 1 = FLOAT
  const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [one, keep]), g.floats([-10000], [])]), g.ints([1, 2])]);

  const words = g.op('Gather', [g.weight('word_emb', small([s.vocab, s.hidden])), 'input_ids'], { axis: { i: 0 } });
  let x = layerNorm(g.op('Add', [words, g.weight('pos_emb', small([s.seq, s.hidden]))]));
  for (let l = 0; l < s.layers; l++) {
    const split = (t: string, perm: number[]) =>
      g.op('Transpose', [g.op('Reshape', [t, toHeads])], { perm: { ints: perm } });
    const q = split(dense(x, s.hidden, s.hidden), [0, 2, 1, 3]); // [b, h, s, d]
    const kT = split(dense(x, s.hidden, s.hidden), [0, 2, 3, 1]); // [b, h, d, s]
    const v = split(dense(x, s.hidden, s.hidden), [0, 2, 1, 3]);
    const probs = g.op('Softmax', [g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), maskBias])], {
      axis: { i: -1 },
    });
    const ctx = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
      fromHeads,
    ]);
    x = layerNorm(g.op('Add', [x, dense(ctx, s.hidden, s.hidden)]));
    const up = dense(x, s.hidden, 4 * s.hidden);
    const gelu = g.op('Mul', [g.op('Mul', [up, half]), g.op('Add', [one, g.op('Erf', [g.op('Div', [up, sqrt2])])])]);
    x = g.op('Add', [x, dense(gelu, 4 * s.hidden, s.hidden)]);
    x = g.op('Identity', [layerNorm(x)], undefined, l === s.layers - 1 ? 'last_hidden_state' : undefined);
  }
  if (s.layers === 0) g.op('Identity', [x], undefined, 'last_hidden_state');
  return g.build(
    [
      { name: 'input_ids', dtype: 'int64', shape: ['batch', s.seq] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', s.seq] },
    ],
    [{ name: 'last_hidden_state', dtype: 'float32', shape: ['batch', s.seq, s.hidden] }],
    17,
  );
}
