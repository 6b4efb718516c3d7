// Meters attached to a real measured case (onnxruntime CPU GEMM), with GPU sources from the stand-ins:
// the energy window is the sampling window, and the record carries readings, totals and derived figures.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, measure, mergeRules } from '../../src/measure/index.js';
import { runRecordSchema } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { systemInfo } from '../../src/system/index.js';
import type { Case } from '../../src/suite/index.js';
import { WORKLOADS } from '../../src/workloads/index.js';
import { fakeNvidiaSmi, fakeNvml, liveInGroup, samplersIn, tempDir } from './helpers.js';

const rules = mergeRules(DEFAULT_RULES, {
  minSamples: 5,
  minSeconds: 0.3,
  maxSeconds: 0.6,
  warmup: { minSeconds: 0.01, maxSeconds: 0.1 },
});
const gemm = WORKLOADS.gemm!;
const gemmCase: Case = {
  id: 'gemm/onnxruntime:cpu/energy',
  suite: 'test',
  benchmark: { id: 'gemm', workload: 'gemm', description: gemm.description },
  workload: gemm,
  engine: 'onnxruntime',
  backend: 'cpu',
  params: { n: 64, dtype: 'fp32' },
  rules,
  seed: 1,
};
const elsewhere = { powercapRoot: '/nonexistent', pmCountersRoot: '/nonexistent', visibleDevices: undefined };

afterEach(() => {
  delete process.env.FAKE_SMI_PIDFILE;
});

describe('measure: sampling-window hooks', () => {
  it('calls start after warm-up and end after the last sample, awaiting both', async () => {
    const events: string[] = [];
    let calls = 0;
    const m = await measure(() => void calls++, {
      rules: mergeRules(rules, { maxSeconds: 0.2, minSeconds: 0.05 }),
      onSamplingStart: async () => {
        events.push(`start after ${calls} calls`);
        await new Promise((r) => setTimeout(r, 10));
        events.push('started');
      },
      onSample: (n) => events.length < 4 && events.push(`sample ${n}`),
      onSamplingEnd: () => events.push('end'),
    });
    expect(events.slice(0, 3)).toEqual([`start after ${m.warmup.iterations} calls`, 'started', 'sample 1']);
    expect(events.at(-1)).toBe('end');
  });
});

describe('runCase with energy meters', () => {
  it('records NVML counter energy over the measured window, with per-call and efficiency figures', async () => {
    const r = await runCase(gemmCase, {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
      energy: { ...elsewhere, nvmlLibrary: fakeNvml(), nvidiaSmi: '/nonexistent' },
    });
    expect(r.status, r.error).toBe('ok');
    expect(() => runRecordSchema.parse(r)).not.toThrow();
    const e = r.energy;
    if (e.status !== 'measured') throw new Error(`expected measured energy, got: ${e.reason}`);
    const calls = r.iterationSeconds.length * r.measurement!.callsPerSample;
    // The stand-in's counters move 1 J per GPU between the start and stop reads.
    expect(e).toMatchObject({ source: 'nvml', method: 'counter', joules: 2, coverage: 1, scope: ['gpu'], calls });
    expect(e.joulesPerCall).toBeCloseTo(2 / calls, 12);
    const gflop = (2 * 64 ** 3) / 1e9;
    expect(e.efficiency).toEqual([
      { name: 'throughput per watt', value: expect.closeTo((calls * gflop) / 2, 9), unit: 'GFLOP/s per W' },
      { name: 'energy per work', value: expect.closeTo(2 / (calls * gflop), 9), unit: 'J per GFLOP' },
    ]);
    // Meters start before the first timed sample and stop after the last one: never a shorter window.
    expect(e.windowSeconds).toBeGreaterThanOrEqual(r.measurement!.samplingSeconds);
    expect(e.telemetry?.map((t) => t.index)).toEqual([0, 1]);
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/GPU 1 \(Fake GPU B\) throttled/),
        expect.stringMatching(/GPU 1 \(Fake GPU B\) was shared/),
      ]),
    );
    expect(e.unavailable?.map((u) => u.source)).toEqual(['rapl', 'pm_counters', 'nvidia-smi']);
  });

  it('cross-checks NVML with nvidia-smi over the same window, keeping the sampled figure out of the total', async () => {
    const { binary } = fakeNvidiaSmi();
    const r = await runCase(gemmCase, {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
      energy: { ...elsewhere, nvmlLibrary: fakeNvml(), nvidiaSmi: binary, crossCheck: true },
    });
    expect(r.status, r.error).toBe('ok');
    const e = r.energy;
    if (e.status !== 'measured') throw new Error(`expected measured energy, got: ${e.reason}`);
    // the total is NVML's counter alone (1 J per GPU), as without the cross-check
    expect(e).toMatchObject({ source: 'nvml', method: 'counter', joules: 2, scope: ['gpu'] });
    const smi = e.readings!.filter((x) => x.source === 'nvidia-smi');
    expect(smi.length).toBeGreaterThan(0);
    for (const x of smi) {
      expect(x.note).toMatch(/cross-check over the same window, not in the total/);
      expect(x.meanWatts).toBeCloseTo(250, 6); // the constructed GPU's constant power
    }
    expect(e.telemetry?.map((t) => t.index)).toEqual([0, 1]); // once per GPU, from NVML
  });

  it('records sampled nvidia-smi power over the window and leaves no sampler behind', async () => {
    const pidFile = join(tempDir(), 'samplers');
    process.env.FAKE_SMI_PIDFILE = pidFile;
    const { binary } = fakeNvidiaSmi();
    const r = await runCase(gemmCase, {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
      energy: { ...elsewhere, nvmlLibrary: '/nonexistent/libnvidia-ml.so.1', nvidiaSmi: binary },
    });
    expect(r.status, r.error).toBe('ok');
    const e = r.energy;
    if (e.status !== 'measured') throw new Error(`expected measured energy, got: ${e.reason}`);
    expect(e).toMatchObject({ source: 'nvidia-smi', method: 'sampled', scope: ['gpu'] });
    // One constructed GPU at a constant 250 W: the sampled integral is 250 W × window.
    expect(e.avgWatts).toBeCloseTo(250, 6);
    expect(e.coverage).toBeGreaterThan(0);
    for (const s of samplersIn(pidFile)) expect(liveInGroup(s.pgrp)).toEqual([]);
  });

  it('says unavailable, with the reasons, on a machine with no source', async () => {
    const r = await runCase(gemmCase, {
      campaign: 't',
      system: await systemInfo(),
      threads: 1,
      energy: { ...elsewhere, nvmlLibrary: '/nonexistent/libnvidia-ml.so.1', nvidiaSmi: '/nonexistent/nvidia-smi' },
    });
    expect(r.status).toBe('ok');
    expect(r.energy).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(
        /^no energy source measured this window \(nvml: .*; rapl: .*; pm_counters: .*; nvidia-smi: .*; estimate: no TDP declared\)$/,
      ),
    });
  });
});
