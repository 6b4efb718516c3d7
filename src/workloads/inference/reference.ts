// Plain-JavaScript forward passes of the MLP and the CNN (inference form, NCHW), the yardstick that both
// engines' outputs are compared with before anything is timed.
import type { CnnWeights, ConvBn } from '../training/cnn.js';
import type { MlpWeights } from '../training/mlp.js';
import { BN_EPSILON } from '../training/weights.js';
import type { HostTensor } from '../types.js';
import { samePads } from './builders/conv.js';

export function mlpReference(w: MlpWeights, x: HostTensor): Float32Array {
  let h = x.data;
  const batch = x.shape[0]!;
  w.layers.forEach((l, li) => {
    const [n, m] = l.w.shape as [number, number];
    const y = new Float32Array(batch * m);
    for (let b = 0; b < batch; b++)
      for (let j = 0; j < m; j++) {
        let s = l.b.data[j]!;
        for (let i = 0; i < n; i++) s += h[b * n + i]! * l.w.data[i * m + j]!;
        y[b * m + j] = li < w.layers.length - 1 ? Math.max(0, s) : s;
      }
    h = y;
  });
  return h;
}

interface Nchw {
  data: Float32Array;
  n: number;
  c: number;
  h: number;
}

function convBnRef(x: Nchw, cb: ConvBn): Nchw {
  const [R, S, C, K] = cb.w.shape as [number, number, number, number];
  const [top] = samePads(x.h, R, cb.stride);
  const oh = Math.ceil(x.h / cb.stride);
  const out = new Float32Array(x.n * K * oh * oh);
  for (let n = 0; n < x.n; n++)
    for (let k = 0; k < K; k++) {
      const scale = cb.bn.gamma.data[k]! / Math.sqrt(cb.bn.variance.data[k]! + BN_EPSILON);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < oh; j++) {
          let s = 0;
          for (let r = 0; r < R; r++)
            for (let q = 0; q < S; q++) {
              const ii = i * cb.stride + r - top;
              const jj = j * cb.stride + q - top;
              if (ii < 0 || jj < 0 || ii >= x.h || jj >= x.h) continue;
              for (let c = 0; c < C; c++)
                s += x.data[((n * C + c) * x.h + ii) * x.h + jj]! * cb.w.data[((r * S + q) * C + c) * K + k]!;
            }
          out[((n * K + k) * oh + i) * oh + j] = (s - cb.bn.mean.data[k]!) * scale + cb.bn.beta.data[k]!;
        }
    }
  return { data: out, n: x.n, c: K, h: oh };
}

const relu = (t: Nchw): Nchw => ({ ...t, data: t.data.map((v) => Math.max(0, v)) });
const add = (a: Nchw, b: Nchw): Nchw => ({ ...a, data: a.data.map((v, i) => v + b.data[i]!) });

/** x is NCHW [batch, inChannels, size, size] (any size: the network is convolutional up to the pooling). */
export function cnnReference(w: CnnWeights, x: HostTensor): Float32Array {
  let h = relu(convBnRef({ data: x.data, n: x.shape[0]!, c: x.shape[1]!, h: x.shape[2]! }, w.stem));
  for (const b of w.blocks) {
    const y = convBnRef(relu(convBnRef(h, b.a)), b.b);
    h = relu(add(y, b.projection ? convBnRef(h, b.projection) : h));
  }
  const classes = w.head.b.data.length;
  const out = new Float32Array(h.n * classes);
  const area = h.h * h.h;
  for (let n = 0; n < h.n; n++) {
    const pooled = new Float32Array(h.c);
    for (let c = 0; c < h.c; c++) {
      let s = 0;
      for (let p = 0; p < area; p++) s += h.data[(n * h.c + c) * area + p]!;
      pooled[c] = s / area;
    }
    for (let k = 0; k < classes; k++) {
      let s = w.head.b.data[k]!;
      for (let c = 0; c < h.c; c++) s += pooled[c]! * w.head.w.data[c * classes + k]!;
      out[n * classes + k] = s;
    }
  }
  return out;
}
