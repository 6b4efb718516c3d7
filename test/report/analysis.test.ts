import { describe, expect, it } from 'vitest';
import {
  accept,
  aggregate,
  compareEngines,
  compareSamples,
  mannWhitneyP,
  nodeVariability,
  parseWeights,
  peakFor,
  peaksForGpu,
  rankSites,
  wholeNodes,
} from '../../src/analysis/index.js';
import { referencesFileSchema } from '../../src/suite/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { buildReportModel } from '../../src/report/index.js';

const base = (median: number, seed: number, spread = 0.01) =>
  Array.from({ length: 40 }, (_, i) => median * (1 + spread * Math.sin(i * 12.9898 + seed)));

describe('mannWhitneyP', () => {
  it('is small for separated samples and large for identical ones', () => {
    // Normal approximation with continuity correction for complete separation of 5 vs 5: z = 2.507.
    expect(mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBeCloseTo(0.0122, 3);
    expect(mannWhitneyP([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBeGreaterThan(0.9);
  });

  it('gives small p-values exactly, not floored at a table step (erfc(z/√2), here z = 3.742)', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const p = mannWhitneyP(
      ten,
      ten.map((x) => x + 10),
    );
    expect(p / 1.8267e-4).toBeCloseTo(1, 3);
    expect(
      compareSamples(
        ten.map((x) => x + 100),
        ten,
        'higher',
      ).reason,
    ).toMatch(/better, p < 0\.001$/);
  });
});

describe('compareSamples', () => {
  it('says FASTER/SLOWER in the direction of the metric', () => {
    expect(compareSamples(base(110, 1), base(100, 2), 'higher').verdict).toBe('FASTER');
    expect(compareSamples(base(110, 1), base(100, 2), 'lower').verdict).toBe('SLOWER');
  });

  it('says SAME when a difference is real but below the minimum effect', () => {
    expect(compareSamples(base(100.5, 1, 0.001), base(100, 2, 0.001), 'higher').verdict).toBe('SAME');
  });

  it('says UNCERTAIN when noise hides the difference', () => {
    const noisy = (m: number, seed: number) => base(m, seed, 0.5);
    expect(compareSamples(noisy(105, 1), noisy(100, 2), 'higher').verdict).toBe('UNCERTAIN');
  });
});

describe('compareSamples with several modes', () => {
  const bimodal = (low: number, high: number, shareHigh: number) =>
    Array.from({ length: 400 }, (_, i) => (i % 100 < shareHigh * 100 ? high : low) * (1 + 0.02 * Math.sin(i * 1.7)));

  it('is UNCERTAIN when either side has several modes and the difference stays within their spread', () => {
    // the same two modes in other proportions: the medians differ a lot, the machines do not
    const c = compareSamples(bimodal(36, 136, 0.4), bimodal(36, 136, 0.2), 'higher');
    expect(c.verdict).toBe('UNCERTAIN');
    expect(c.reason).toMatch(
      /multimodal samples \(candidate: 2 modes: 60% ≈ 3[56].*40% ≈ 13\d.*baseline: 2 modes: 80% ≈ 3[56].*\): the difference does not exceed the modes' spread/,
    );
  });

  it('still decides when the difference exceeds the modes on both sides', () => {
    const c = compareSamples(bimodal(360, 1360, 0.3), bimodal(36, 136, 0.3), 'higher');
    expect(c.verdict).toBe('FASTER');
    expect(c.reason).toMatch(/beyond the spread of the modes/);
  });
});

describe('aggregate and node variability', () => {
  it('pools records per case and site and finds the straggler node', () => {
    const recs = [1, 2, 3, 4, 5].map((i) =>
      syntheticRecord({ site: 'meluxina', node: `mel${i}`, median: i === 4 ? 800 : 1000, seed: i }),
    );
    const [c] = aggregate(recs);
    expect(c!.sites).toHaveLength(1);
    expect(c!.sites[0]!.nodes).toHaveLength(5);
    expect(c!.sites[0]!.stats!.n).toBe(150);
    const v = nodeVariability(c!.sites[0]!, 'higher')!;
    expect(v.nodes.filter((n) => n.straggler).map((n) => n.node)).toEqual(['mel4']);
  });

  it('keeps failed records visible with their reason', () => {
    const recs = [
      syntheticRecord({ site: 'vega', median: 1 }),
      syntheticRecord({ site: 'vega', median: 0, status: 'failed', error: 'CUDA out of memory' }),
    ];
    const s = aggregate(recs)[0]!.sites[0]!;
    expect(s.status).toMatchObject({ ok: 1, failed: 1 });
    expect(s.errors).toEqual(['failed: CUDA out of memory']);
  });
});

describe('accept', () => {
  const refs = referencesFileSchema.parse({
    references: [
      { benchmark: 'gemm', value: 1000, unit: 'GFLOP/s', tolerance: { rel: 0.1 } },
      { benchmark: 'gemm', device: 'A100', value: 15000, unit: 'GFLOP/s', tolerance: { rel: 0.05 } },
    ],
  }).references;

  it('uses the most specific reference and the metric direction', () => {
    const rows = accept(
      [
        syntheticRecord({ site: 's', node: 'n1', median: 15200, gpu: 'NVIDIA A100-SXM4-40GB' }),
        syntheticRecord({ site: 's', node: 'n2', median: 13000, gpu: 'NVIDIA A100-SXM4-40GB' }),
        syntheticRecord({ site: 't', node: 'c1', median: 950 }),
      ],
      refs,
    );
    expect(rows.map((r) => [r.node, r.verdict, r.reference?.value])).toEqual([
      ['n1', 'PASS', 15000],
      ['n2', 'FAIL', 15000],
      ['c1', 'PASS', 1000],
    ]);
  });

  it('judges each GPU of a whole-node run on its own: one slow card of four fails, and is the straggler', () => {
    const gpu = (node: string, worker: number, median: number) => {
      const r = syntheticRecord({ site: 's', node, median, gpu: 'NVIDIA A100-SXM4-40GB', seed: worker + 1 });
      return { ...r, slurm: { ...r.slurm, gpuWorker: worker, workers: 4 } };
    };
    const recs = [0, 1, 2, 3].flatMap((w) => [gpu('n1', w, 15200), gpu('n2', w, w === 2 ? 12000 : 15200)]);
    const rows = accept(recs, refs);
    // pooled per node, n2's median would still be 15200 and pass
    expect(rows.filter((r) => r.verdict === 'FAIL').map((r) => r.node)).toEqual(['n2/gpu2']);
    expect(rows).toHaveLength(8);
    const v = nodeVariability(aggregate(recs)[0]!.sites[0]!, 'higher')!;
    expect(v.nodes.filter((n) => n.straggler).map((n) => n.node)).toEqual(['n2/gpu2']);
  });

  it('fails a referenced case that did not run, and marks unreferenced ones', () => {
    const rows = accept(
      [
        syntheticRecord({ site: 's', median: 0, status: 'timeout', error: 'TIMEOUT' }),
        syntheticRecord({ site: 's', benchmark: 'conv2d', node: 'x', median: 5 }),
      ],
      refs,
    );
    expect(rows.find((r) => r.case.startsWith('gemm'))!.verdict).toBe('FAIL');
    expect(rows.find((r) => r.case.startsWith('conv2d'))!.verdict).toBe('NO REFERENCE');
  });
});

describe('rankSites', () => {
  it('ranks by the weighted criteria that every site has, and says which it left out', () => {
    const recs = [
      syntheticRecord({ site: 'a', median: 1000, watts: 300, seed: 1 }),
      syntheticRecord({ site: 'b', median: 2000, watts: 400, seed: 2 }),
    ];
    const [c] = aggregate(recs);
    const r = rankSites(
      c!,
      { a: { nodeHourCost: 4, gpusPerNode: 4 } },
      parseWeights('time=1,energy=1,cost=1'),
      2 * 2048 ** 3,
    );
    expect(r.sites.map((s) => s.site)).toEqual(['b', 'a']);
    expect(r.excluded.map((e) => e.criterion)).toEqual(['cost']);
    expect(Object.keys(r.weightsUsed)).toEqual(['time', 'energy']);
    expect(r.sites[1]!.versusTop).toBe('SLOWER');
    // b: twice as fast, 1.5× less energy per call (400 W × t/2 vs 300 W × t)
    expect(r.sites[1]!.values.energy! / r.sites[0]!.values.energy!).toBeCloseTo(1.5, 1);
  });

  it('adds billed energy to the cost only when every site has its price and an energy figure, and says which', () => {
    const recs = [
      syntheticRecord({ site: 'a', median: 1000, watts: 300, seed: 1 }),
      syntheticRecord({ site: 'b', median: 1000, watts: 300, seed: 2 }),
    ];
    const [c] = aggregate(recs);
    const work = 2 * 2048 ** 3;
    const base = rankSites(
      c!,
      { a: { nodeHourCost: 4, gpusPerNode: 4 }, b: { nodeHourCost: 4, gpusPerNode: 4 } },
      parseWeights('cost=1'),
      work,
    );
    const priced = rankSites(
      c!,
      {
        a: { nodeHourCost: 4, gpusPerNode: 4, energyPricePerKWh: 0.2 },
        b: { nodeHourCost: 4, gpusPerNode: 4, energyPricePerKWh: 0.4 },
      },
      parseWeights('cost=1'),
      work,
    );
    const cost = (r: typeof base, site: string) => r.sites.find((s) => s.site === site)!.values;
    for (const [site, price] of [
      ['a', 0.2],
      ['b', 0.4],
    ] as const) {
      const v = cost(priced, site);
      expect(v.cost! - cost(base, site).cost!).toBeCloseTo((v.energy! / 3.6e6) * price, 15);
    }
    expect(priced.note).toMatch(/cost = node-hour share × time \+ energy × energy price/);
    const half = rankSites(
      c!,
      { a: { nodeHourCost: 4, gpusPerNode: 4, energyPricePerKWh: 0.2 }, b: { nodeHourCost: 4, gpusPerNode: 4 } },
      parseWeights('cost=1'),
      work,
    );
    expect(cost(half, 'a').cost).toBe(cost(base, 'a').cost);
    expect(half.note).toMatch(/time only: no energy price or energy figure for b/);
  });

  it('does not rank an energy estimate against measurements, and says so', () => {
    const measured = syntheticRecord({ site: 'a', median: 1000, watts: 300, seed: 1 });
    const estimated = syntheticRecord({ site: 'b', median: 1000, watts: 400, seed: 2 });
    if (estimated.energy.status === 'measured') estimated.energy.method = 'estimate';
    const [c] = aggregate([measured, estimated]);
    const r = rankSites(
      c!,
      { a: { carbonGPerKWh: 100 }, b: { carbonGPerKWh: 100 } },
      parseWeights('time=1,energy=1,co2=1'),
      2 * 2048 ** 3,
    );
    expect(Object.keys(r.weightsUsed)).toEqual(['time']);
    expect(r.excluded.map((e) => e.reason)).toEqual([
      'no energy figure for b (an energy estimate from declared power is not ranked against measurements)',
      'no co2 figure for b (an energy estimate from declared power is not ranked against measurements)',
    ]);
  });

  it('rejects unknown criteria', () => {
    expect(() => parseWeights('speed=1')).toThrow(/Valid criteria: time, energy, cost, co2/);
  });
});

describe('mannWhitneyP with ties', () => {
  it('agrees with the rank sum of simple-statistics (average ranks for ties)', async () => {
    const ss = await import('simple-statistics');
    const a = [1, 2, 2, 3, 5, 5, 5, 8];
    const b = [2, 4, 5, 6, 7, 9, 9];
    // recompute the p-value from simple-statistics' rank sum with the same formula
    const r1 = ss.wilcoxonRankSum(a, b);
    const u = r1 - (8 * 9) / 2;
    const ties = 3 ** 3 - 3 + (4 ** 3 - 4) + (2 ** 3 - 2); // 2×3, 5×4, 9×2
    const variance = ((8 * 7) / 12) * (16 - ties / (15 * 14));
    const z = (Math.abs(u - 28) - 0.5) / Math.sqrt(variance);
    expect(mannWhitneyP(a, b)).toBeCloseTo(1 - ss.errorFunction(z / Math.SQRT2), 10); // 2·(1 − Φ(z))
  });
});

describe('compareEngines', () => {
  it('compares engines on the same benchmark and parameters at one site, and nothing else', () => {
    const ort = syntheticRecord({ site: 's', median: 100, backend: 'cpu', seed: 1 });
    const tfjs = {
      ...syntheticRecord({ site: 's', median: 25, backend: 'wasm', seed: 2 }),
      engine: { ...ort.engine, name: 'tfjs' as const, backend: 'wasm' },
    };
    const otherSite = syntheticRecord({ site: 't', median: 50, backend: 'cpu', seed: 3 });
    const [g, ...rest] = compareEngines([ort, tfjs, otherSite]);
    expect(rest).toEqual([]);
    expect(g!.site).toBe('s');
    expect(g!.engines.map((e) => [e.engine.split(' ')[0], e.verdict])).toEqual([
      ['onnxruntime/cpu', 'BEST'],
      ['tfjs/wasm', 'SLOWER'],
    ]);
  });
});

describe('energy per call', () => {
  it("uses the meters' own joules per call when the record has it", () => {
    const r = syntheticRecord({ site: 'a', median: 1000, watts: 300, seed: 1 });
    if (r.energy.status === 'measured') r.energy.joulesPerCall = 0.123;
    const s = aggregate([r])[0]!.sites[0]!;
    expect(s.energy!.joulesPerCall).toBe(0.123);
  });

  it('reports a latency per query and per kJ, never per watt, and shows coverage and scope', () => {
    const latency = {
      ...syntheticRecord({
        site: 'a',
        benchmark: 'infer-cnn',
        kind: 'inference',
        median: 4,
        watts: 200,
        params: { scenario: 'single-stream' },
      }),
      metric: { name: 'p90 latency', unit: 'ms', direction: 'lower' as const },
    };
    const gemm = syntheticRecord({ site: 'a', median: 1000, watts: 250 });
    const model = buildReportModel([latency, gemm]);
    const rows = model.energy.rows.map((r) => [
      r.case.split('/')[0],
      r.per,
      r.perWatt === null ? null : Math.round(r.perWatt),
      r.coverage,
      r.scope,
    ]);
    expect(rows).toEqual([
      ['gemm', 'call', 4, 1, []],
      ['infer-cnn', 'query', null, 1, []],
    ]);
  });
});

describe('whole nodes', () => {
  const gpu = (
    node: string,
    job: string,
    worker: number,
    median: number,
    extra: Partial<Parameters<typeof syntheticRecord>[0]> = {},
  ) => {
    const r = syntheticRecord({ site: 's', node, median, seed: worker + 1, ...extra });
    return { ...r, slurm: { ...r.slurm, jobId: job, arrayTaskId: 0, gpuWorker: worker, workers: 4 } };
  };

  it('sums the GPUs of a node for a rate, and gives no figure for a node with a GPU missing', () => {
    const recs = [0, 1, 2, 3].flatMap((w) => [
      gpu('n1', '7', w, 1000 + w),
      ...(w < 3
        ? [gpu('n2', '8', w, 1000)]
        : [gpu('n2', '8', w, 0, { status: 'failed', error: 'CUDA error: an illegal memory access' })]),
    ]);
    const [c] = wholeNodes(recs);
    expect(c!.figureName).toBe('node total (sum over GPUs)');
    const [n1, n2] = c!.runs;
    expect(n1).toMatchObject({ node: 'n1', gpus: 4, ok: 4 });
    expect(n1!.figure).toBeCloseTo(
      recs.filter((r) => r.slurm.jobId === '7').reduce((a, r) => a + r.stats!.median, 0),
      9,
    );
    expect(n2).toMatchObject({ node: 'n2', gpus: 4, ok: 3, figure: null });
    expect(n2!.problem).toBe(
      '3 of 4 GPUs gave a result (failed: CUDA error: an illegal memory access): no node figure',
    );
    expect(c!.typical).toBe(n1!.figure);
    // a GPU with two records (e.g. overlapping result folders) is still one GPU of four
    const again = wholeNodes([...recs.filter((r) => r.slurm.jobId === '7'), gpu('n1', '7', 0, 1000)])[0]!.runs[0]!;
    expect(again).toMatchObject({ gpus: 4, ok: 4, problem: null });
  });

  it('takes the slowest GPU for a time, and ignores records that are not whole-node runs', () => {
    const lower = { name: 'p99 latency', unit: 'ms', direction: 'lower' as const };
    const recs = [0, 1, 2, 3].map((w) => ({ ...gpu('n1', '9', w, w === 2 ? 12 : 10), metric: lower }));
    const [c] = wholeNodes([...recs, syntheticRecord({ site: 's', median: 5 })]);
    expect(c!.figureName).toBe('slowest GPU');
    expect(c!.runs[0]!.figure).toBeCloseTo(Math.max(...recs.map((r) => r.stats!.median)), 9);
    expect(wholeNodes([syntheticRecord({ site: 's', median: 5 })])).toEqual([]);
  });
});

describe('datasheet peaks', () => {
  it('know the A100, H100 and H200 variants by the names nvidia-smi gives, and no others', () => {
    const label = (name: string) => peaksForGpu(name)?.label ?? null;
    expect(label('NVIDIA A100-SXM4-40GB')).toBe('A100 40 GB');
    expect(label('NVIDIA A100-SXM4-80GB')).toBe('A100 SXM 80 GB');
    expect(label('NVIDIA H100 80GB HBM3')).toBe('H100 SXM 80 GB');
    expect(label('NVIDIA H100 PCIe')).toBe('H100 PCIe 80 GB');
    expect(label('NVIDIA H200')).toBe('H200 SXM 141 GB');
    // variants with other figures are not given a wrong row
    for (const other of ['NVIDIA H100 NVL', 'NVIDIA H200 NVL', 'NVIDIA GH200 480GB', 'NVIDIA L40S'])
      expect(label(other)).toBeNull();
    const h100 = peaksForGpu('NVIDIA H100 80GB HBM3')!;
    expect(peakFor('gemm', { dtype: 'fp16' }, 'GFLOP/s', h100)).toEqual({
      value: 989_400,
      what: 'FP16 tensor-core peak',
    });
    expect(peakFor('bandwidth', {}, 'GB/s', peaksForGpu('NVIDIA H200')!)).toEqual({
      value: 4800,
      what: 'memory bandwidth',
    });
  });

  it('put each kernel under its roof: min(peak, intensity × bandwidth), memory-bound for a small GEMM', () => {
    const gemm = (n: number, median: number) => {
      const r = syntheticRecord({ site: 's', params: { n, dtype: 'fp32' }, median, gpu: 'NVIDIA A100-SXM4-40GB' });
      return { ...r, work: { perCall: 2 * n ** 3, note: '2·n³', bytesPerCall: 3 * n * n * 4 } };
    };
    const rows = buildReportModel([gemm(64, 8000), gemm(2048, 15000)]).peaks.rows;
    const small = rows.find((r) => r.case.includes('n=64'))!;
    const large = rows.find((r) => r.case.includes('n=2048'))!;
    expect(small.intensity).toBeCloseTo(64 / 6, 9); // 2n³ FLOP over 3n² fp32 values
    expect(small).toMatchObject({ bound: 'memory' });
    expect(small.roof).toBeCloseTo((64 / 6) * 1555, 6); // below the 19.5 TFLOP/s peak
    expect(small.ofRoof).toBeCloseTo(small.median / small.roof!, 12);
    expect(large).toMatchObject({ bound: 'compute', roof: 19_500 });
  });
});
