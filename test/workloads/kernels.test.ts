// Every kernel, on every engine backend this machine has, against its plain-JavaScript reference.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, mergeRules } from '../../src/measure/index.js';
import { compile, runCase } from '../../src/runner/index.js';
import { systemInfo } from '../../src/system/index.js';
import type { Case } from '../../src/suite/index.js';
import { KERNELS, worstError, type KernelWorkload } from '../../src/workloads/index.js';

const CASES: Record<string, Array<Record<string, unknown>>> = {
  gemm: [
    { n: 33, dtype: 'fp32' },
    { n: 40, dtype: 'fp16' },
  ],
  conv2d: [
    { batch: 2, channels: 3, size: 7, filters: 5, kernel: 3 },
    { batch: 1, channels: 4, size: 5, filters: 2, kernel: 1 },
  ],
  bandwidth: [
    { mib: 0.001, op: 'read' },
    { mib: 0.001, op: 'scale' },
  ],
  attention: [{ batch: 2, heads: 3, seq: 6, dhead: 4 }],
};
const ENGINES = [
  { engine: 'onnxruntime', backend: 'cpu' },
  { engine: 'tfjs', backend: 'wasm' },
  { engine: 'tfjs', backend: 'cpu' },
] as const;

describe.each(ENGINES)('$engine:$backend', ({ engine, backend }) => {
  for (const [id, list] of Object.entries(CASES)) {
    for (const p of list) {
      const w = KERNELS[id]!;
      const params = w.params.parse(p) as Record<string, unknown>;
      // The one known gap (tfjs has no fp16) is covered by the runCase skip test below.
      if (w.unsupported(engine, params)) continue;
      it(`${id} ${JSON.stringify(params)} matches the reference`, async () => {
        const inputs = w.inputs(params, 7);
        const exe = await compile(w, params, inputs, { engine, backend, threads: 1 });
        expect(exe.engine.backend).toBe(backend);
        const got = await exe.output();
        await exe.dispose();
        const worst = worstError(got, w.reference(inputs, params), w.tolerance(params));
        expect(worst!.excess).toBeLessThanOrEqual(0);
      });
    }
  }
});

function caseOf(
  w: KernelWorkload,
  params: Record<string, unknown>,
  engine: 'onnxruntime' | 'tfjs',
  backend: string,
): Case {
  return {
    id: `${w.id}/${engine}:${backend}/test`,
    suite: 'test',
    benchmark: { id: w.id, workload: w.id, description: w.description },
    workload: w,
    engine,
    backend,
    params,
    rules: mergeRules(DEFAULT_RULES, {
      minSamples: 5,
      minSeconds: 0.05,
      maxSeconds: 0.3,
      warmup: { minSeconds: 0.01, maxSeconds: 0.1 },
    }),
    seed: 1,
  };
}

describe('runCase', () => {
  const gemm = KERNELS.gemm!;

  it('measures a correct kernel and derives GFLOP/s from the work done', async () => {
    const r = await runCase(caseOf(gemm, { n: 64, dtype: 'fp32' }, 'onnxruntime', 'cpu'), {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
    });
    expect(r.status).toBe('ok');
    expect(r.engine).toMatchObject({ name: 'onnxruntime', backend: 'cpu', threads: 1 });
    expect(r.verification?.passed).toBe(true);
    expect(r.samples.length).toBe(r.iterationSeconds.length);
    r.samples.forEach((g, i) => expect(g).toBeCloseTo((2 * 64 ** 3) / r.iterationSeconds[i]! / 1e9, 6));
    expect(r.work).toMatchObject({ perCall: 2 * 64 ** 3, bytesPerCall: 3 * 64 * 64 * 4 }); // for the report's roofline
    expect(r.energy.status).toBe('unavailable');
  });

  it("states onnxruntime-node's own cost per call, and warns where it is a large share of a short call", async () => {
    const r = await runCase(caseOf(gemm, { n: 32, dtype: 'fp32' }, 'onnxruntime', 'cpu'), {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
    });
    expect(r.status, r.error).toBe('ok');
    const floorNs = r.measurement!.harness.engineCallNs!;
    // a 32×32 GEMM is a few µs of work; the binding's promise, buffer and copy cost more than that
    const callSeconds = r.secondary!.find((x) => x.name === 'time per call')!.stats.median;
    expect(floorNs).toBeGreaterThan(0);
    expect(floorNs / 1e9).toBeLessThan(5 * callSeconds); // part of every call (timed apart on a busy machine: a wide margin)
    expect(r.warnings.join('\n')).toMatch(/onnxruntime-node's own cost of a call .* is \d+(\.\d+)?% of a call/);
  });

  it('fails a kernel that computes wrong numbers instead of reporting its speed', async () => {
    const broken: KernelWorkload = {
      ...gemm,
      onnx: (p) => ({ ...gemm.onnx(p), nodes: [{ op: 'Add', inputs: ['A', 'B'], outputs: ['C'] }] }),
    };
    const r = await runCase(caseOf(broken, { n: 16, dtype: 'fp32' }, 'onnxruntime', 'cpu'), {
      campaign: 't',
      system: await systemInfo(),
    });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^wrong results at verification size/);
    expect(r.samples).toEqual([]);
    expect(r.stats).toBeUndefined();
  });

  it('fails a kernel that returns NaN', async () => {
    const nan: KernelWorkload = {
      ...gemm,
      reference: (i, p) => gemm.reference(i, p),
      tolerance: () => ({ abs: 1e-3, rel: 0 }),
      onnx: (p) => ({ ...gemm.onnx(p), nodes: [{ op: 'Log', inputs: ['A'], outputs: ['C'] }] }),
    };
    const r = await runCase(caseOf(nan, { n: 8, dtype: 'fp32' }, 'onnxruntime', 'cpu'), {
      campaign: 't',
      system: await systemInfo(),
    });
    expect(r.status).toBe('failed');
  });

  it('records a skip with its reason where the engine lacks a precision', async () => {
    const r = await runCase(caseOf(gemm, { n: 64, dtype: 'fp16' }, 'tfjs', 'wasm'), {
      campaign: 't',
      system: await systemInfo(),
    });
    expect(r.status).toBe('skipped');
    expect(r.error).toMatch(/float16/);
  });

  it('records a failed case when the pinned provider is missing, with the reason', async () => {
    const r = await runCase(caseOf(gemm, { n: 8, dtype: 'fp32' }, 'onnxruntime', 'cuda'), {
      campaign: 't',
      system: await systemInfo(),
    });
    // No CUDA provider library on CI machines.
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/cuda: /);
    expect(r.engine.requested).toEqual(['cuda']);
  });
});
