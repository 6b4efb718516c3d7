// Synthetic but learnable data for training: a hidden "teacher" labels random inputs, so a model that learns
// anything at all drives the loss down. Everything follows from the seed: the same data on every machine.
import { prng, uniform } from '../data.js';

export interface Dataset {
  /** Inputs, row-major, one sample after another (token ids are stored as floats). */
  x: Float32Array;
  /** Shape of one sample. */
  sampleShape: number[];
  labels: Int32Array;
  classes: number;
  samples: number;
}

function argmax(v: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (v[from + c]! > v[from + best]!) best = c;
  return best;
}

/** Vectors in [-1, 1)^features labelled by the largest of a random linear teacher's scores. */
export function teacherVectors(samples: number, features: number, classes: number, seed: number): Dataset {
  const x = uniform([samples, features], seed).data;
  const w = uniform([features, classes], seed + 1).data;
  const labels = new Int32Array(samples);
  const scores = new Float32Array(classes);
  for (let s = 0; s < samples; s++) {
    scores.fill(0);
    for (let f = 0; f < features; f++)
      for (let c = 0; c < classes; c++) scores[c]! += x[s * features + f]! * w[f * classes + c]!;
    labels[s] = argmax(scores, 0, classes);
  }
  return { x, sampleShape: [features], labels, classes, samples };
}

/** NHWC images: a fixed random template per class plus noise of the same size. */
export function templateImages(
  samples: number,
  size: number,
  channels: number,
  classes: number,
  seed: number,
): Dataset {
  const pixels = size * size * channels;
  const templates = uniform([classes, pixels], seed).data;
  const noise = uniform([samples, pixels], seed + 1).data;
  const next = prng(seed + 2);
  const labels = new Int32Array(samples);
  const x = new Float32Array(samples * pixels);
  for (let s = 0; s < samples; s++) {
    const c = Math.floor(next() * classes);
    labels[s] = c;
    for (let p = 0; p < pixels; p++) x[s * pixels + p] = templates[c * pixels + p]! + noise[s * pixels + p]!;
  }
  return { x, sampleShape: [size, size, channels], labels, classes, samples };
}

/** Token sequences labelled by a bag-of-tokens teacher (each token votes for the classes with random weights). */
export function teacherSequences(samples: number, seq: number, vocab: number, classes: number, seed: number): Dataset {
  const next = prng(seed);
  const votes = uniform([vocab, classes], seed + 1).data;
  const x = new Float32Array(samples * seq);
  const labels = new Int32Array(samples);
  const scores = new Float32Array(classes);
  for (let s = 0; s < samples; s++) {
    scores.fill(0);
    for (let t = 0; t < seq; t++) {
      const tok = Math.floor(next() * vocab);
      x[s * seq + t] = tok;
      for (let c = 0; c < classes; c++) scores[c]! += votes[tok * classes + c]!;
    }
    labels[s] = argmax(scores, 0, classes);
  }
  return { x, sampleShape: [seq], labels, classes, samples };
}
