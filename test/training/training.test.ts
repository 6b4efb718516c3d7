// Each model trains with a falling loss on the portable backends, with the data the suite would use.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, mergeRules } from '../../src/measure/index.js';
import { teacherSequences, teacherVectors, templateImages } from '../../src/workloads/training/data.js';
import { WORKLOADS, SkipCase, WrongResults, type CustomWorkload, type Outcome } from '../../src/workloads/index.js';

const rules = mergeRules(DEFAULT_RULES, {
  warmup: { minIterations: 2, minSeconds: 0, maxSeconds: 1 },
  minSamples: 5,
  maxSamples: 40,
  minSeconds: 0,
  maxSeconds: 2,
  targetNoise: 0.5,
});

async function train(id: string, params: Record<string, unknown>, backend: string): Promise<Outcome> {
  const w = WORKLOADS[id] as CustomWorkload;
  return w.execute({
    params: w.params.parse(params),
    engine: { engine: 'tfjs', backend },
    seed: 42,
    rules,
    hooks: {},
    onEngine: () => undefined,
  });
}

const cases: Array<[string, Record<string, unknown>]> = [
  ['train-mlp', { batch: 32, features: 32, hidden: 64, layers: 2, samples: 512 }],
  ['train-cnn', { batch: 16, image: 8, channels: 8, blocks: 1, samples: 256 }],
  ['train-transformer', { batch: 16, seq: 8, dModel: 32, heads: 4, layers: 1, vocab: 16, samples: 256 }],
  [
    'train-transformer',
    { batch: 16, seq: 8, dModel: 32, heads: 4, layers: 1, vocab: 16, samples: 256, optimizer: 'adam' },
  ],
];

describe('training workloads', () => {
  for (const [id, params] of cases) {
    it(`${id} ${params.optimizer ?? 'sgd'}: the loss falls on wasm, and the record says so`, async () => {
      const o = await train(id, params, 'wasm');
      expect(o.engine.backend).toBe('wasm');
      expect(o.metric).toEqual({ name: 'throughput', unit: 'samples/s', direction: 'higher' });
      expect(o.verification?.passed).toBe(true);
      const d = o.details as {
        lossCheck: { first: number; last: number };
        lossTrajectory: Array<[number, number]>;
        epochSeconds: number;
        stepsPerEpoch: number;
        wasmKernels: string[];
      };
      expect(d.lossCheck.last).toBeLessThan(d.lossCheck.first);
      expect(d.lossTrajectory[0]![0]).toBe(1);
      expect(d.epochSeconds).toBeGreaterThan(0);
      expect(d.wasmKernels).toContain('Conv2DBackpropFilter');
      expect(o.calls).toBeGreaterThan(0);
      expect(o.samples.every((s) => s > 0)).toBe(true);
    });
  }

  it('the CNN also trains on the pure-JS cpu backend', async () => {
    const o = await train('train-cnn', { batch: 8, image: 6, channels: 4, blocks: 1, samples: 64 }, 'cpu');
    expect(o.engine.backend).toBe('cpu');
    expect(o.verification?.passed).toBe(true);
  });

  it('skips fp16 with the reason (tfjs trains in fp32 only)', async () => {
    await expect(
      train('train-mlp', { batch: 32, features: 8, hidden: 8, layers: 1, samples: 64, precision: 'fp16' }, 'wasm'),
    ).rejects.toThrow(SkipCase);
  });

  it('fails a run whose loss cannot fall (learning rate 0) as wrong results, not as a figure', async () => {
    const err = await train(
      'train-mlp',
      { batch: 32, features: 16, hidden: 16, layers: 1, samples: 256, learningRate: 1e-12 },
      'wasm',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongResults);
    expect((err as WrongResults).message).toMatch(/loss did not fall/);
    expect((err as WrongResults).verification?.passed).toBe(false);
  });

  it('rejects a batch larger than the data set at suite load', () => {
    const r = (WORKLOADS['train-mlp'] as CustomWorkload).params.safeParse({ batch: 4096, samples: 1024 });
    expect(r.success).toBe(false);
  });
});

describe('synthetic data', () => {
  it('is the same for the same seed and different for another', () => {
    expect(teacherVectors(64, 8, 4, 1)).toEqual(teacherVectors(64, 8, 4, 1));
    expect(templateImages(16, 4, 3, 5, 1).x).not.toEqual(templateImages(16, 4, 3, 5, 2).x);
    const seqs = teacherSequences(32, 8, 16, 4, 3);
    expect(seqs.x.every((t) => Number.isInteger(t) && t >= 0 && t < 16)).toBe(true);
  });

  it('uses every class (a teacher that labels everything alike teaches nothing)', () => {
    for (const d of [
      teacherVectors(512, 16, 4, 7),
      templateImages(256, 4, 3, 4, 7),
      teacherSequences(512, 16, 32, 4, 7),
    ]) {
      expect(new Set(d.labels).size).toBe(4);
    }
  });
});
