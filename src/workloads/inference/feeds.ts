// Seeded input tensors for ONNX Runtime from feed specs, made once outside the timed region.
import { Float16Array } from '@petamoriken/float16';
import { ort } from '../../engines/onnxruntime.js';
import { prng, uniform } from '../data.js';
import type { FeedSpec } from './input-spec.js';

export function makeFeeds(specs: readonly FeedSpec[], seed: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((s, k) => {
    const size = s.dims.reduce((a, b) => a * b, 1);
    const next = prng(seed + k);
    const int = () => s.fill ?? Math.floor(next() * (s.intRange ?? 2));
    const floats = () => (s.fill !== undefined ? new Float32Array(size).fill(s.fill) : uniform([size], seed + k).data);
    switch (s.type) {
      case 'float32':
        feeds[s.name] = new ort.Tensor('float32', floats(), s.dims);
        break;
      case 'float16':
        feeds[s.name] = new ort.Tensor('float16', new Uint16Array(new Float16Array(floats()).buffer), s.dims);
        break;
      case 'int64':
        feeds[s.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: size }, () => BigInt(int())),
          s.dims,
        );
        break;
      case 'int32':
        feeds[s.name] = new ort.Tensor('int32', Int32Array.from({ length: size }, int), s.dims);
        break;
      case 'bool':
        feeds[s.name] = new ort.Tensor(
          'bool',
          Uint8Array.from({ length: size }, () => ((s.fill ?? Math.floor(next() * 2)) ? 1 : 0)),
          s.dims,
        );
        break;
    }
  });
  return feeds;
}

/** An output as fp32, whatever float type the model returns. */
export function outputAsFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') {
    const bits = t.data as Uint16Array;
    return Float32Array.from(new Float16Array(bits.buffer, bits.byteOffset, bits.length));
  }
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(t.data as ArrayLike<number>, Number);
}
