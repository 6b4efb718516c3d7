import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  parseDims,
  parseInputOption,
  resolveFeeds,
  type ModelInput,
} from '../../src/workloads/inference/input-spec.js';

const vad: ModelInput[] = [
  { name: 'input', type: 'float32', shape: ['batch', 'sequence'] },
  { name: 'state', type: 'float32', shape: [2, 'batch', 128] },
  { name: 'sr', type: 'int64', shape: [] },
];

describe('input dimensions', () => {
  it('parses DIMS, scalar and a fill value', () => {
    expect(parseDims('1x3x224x224', 'x')).toEqual({ dims: [1, 3, 224, 224] });
    expect(parseDims('scalar=16000', 'sr')).toEqual({ dims: [], fill: 16000 });
    expect(parseInputOption('pixel_values=1x3x224x224')).toEqual(['pixel_values', '1x3x224x224']);
    expect(() => parseDims('1x0x3', 'x')).toThrow(/positive integers/);
    expect(() => parseInputOption('1x3')).toThrow(/expected NAME=DIMS/);
  });

  it('resolves a model with named dynamic dimensions and applies the batch to every dimension of that name', () => {
    const feeds = resolveFeeds('vad.onnx', vad, { input: '1x512', state: '2x1x128', sr: 'scalar=16000' }, 4);
    expect(feeds).toEqual([
      { name: 'input', type: 'float32', dims: [4, 512] },
      { name: 'state', type: 'float32', dims: [2, 4, 128] },
      { name: 'sr', type: 'int64', dims: [], fill: 16000 },
    ]);
  });

  it('names the file, each input and its expected shape when the spec does not fit', () => {
    const err = (() => {
      try {
        resolveFeeds('models/vad.onnx', vad, { input: '1x3x512' }, null);
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('models/vad.onnx');
    expect(err.message).toContain("input 'input' expects shape [batch, sequence] (rank 2, float32): got 1x3x512");
    expect(err.message).toContain(
      "input 'state' expects shape [2, batch, 128] (rank 3, float32): it has dynamic dimensions: give them with --input state=DIMS",
    );
  });

  it('rejects fixed dimensions that differ, unknown names and a batch on a fixed-batch model', () => {
    const fixed: ModelInput[] = [{ name: 'x', type: 'float32', shape: [1, 3, 8, 8] }];
    expect(() => resolveFeeds('m.onnx', fixed, { x: '1x3x9x9' }, null)).toThrow(
      /input 'x' expects shape \[1, 3, 8, 8\]/,
    );
    expect(() => resolveFeeds('m.onnx', fixed, { y: '1' }, null)).toThrow(
      /no input named 'y'. Its inputs: x \[1, 3, 8, 8\] float32/,
    );
    expect(() => resolveFeeds('m.onnx', fixed, {}, 8)).toThrow(/no dynamic batch dimension/);
    expect(resolveFeeds('m.onnx', fixed, {}, null)).toEqual([{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }]);
  });

  it('refuses input types it cannot feed, naming them', () => {
    expect(() => resolveFeeds('m.onnx', [{ name: 's', type: 'string', shape: [1] }], {}, null)).toThrow(
      /input 's' is of type string: fedbench can feed float32, float16, int64, int32, bool/,
    );
  });
});
