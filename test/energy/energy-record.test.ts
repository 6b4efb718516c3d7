// From readings to the record's energy field; the estimate; a machine with no source.
import { describe, expect, it } from 'vitest';
import { energyRecord, openMeters } from '../../src/energy/index.js';
import { EstimateMeter } from '../../src/energy/estimate.js';
import type { MeterReading } from '../../src/energy/types.js';
import { runRecordSchema } from '../../src/results/index.js';

const reading = (
  source: MeterReading['source'],
  method: MeterReading['method'],
  domains: [MeterReading['domains'][number]['domain'], string, number, number?][],
): MeterReading => ({
  source,
  method,
  seconds: 2,
  domains: domains.map(([domain, device, joules, coverage]) => ({
    domain,
    device,
    joules,
    meanWatts: joules / 2,
    peakWatts: null,
    samples: 2,
    coverage: coverage ?? 1,
  })),
  telemetry: [],
  warnings: [],
});

const nowhere = {
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
  powercapRoot: '/nonexistent/powercap',
  pmCountersRoot: '/nonexistent/pm_counters',
  visibleDevices: undefined,
};

describe('energyRecord', () => {
  it('adds GPU and CPU domains, derives J per call and efficiency in the metric unit', () => {
    const e = energyRecord(
      [
        reading('nvml', 'counter', [
          ['gpu', 'gpu0', 600],
          ['gpu', 'gpu1', 400],
        ]),
        reading('nvidia-smi', 'sampled', []),
        reading('rapl', 'counter', [['cpu', 'package-0', 100]]),
      ],
      [{ source: 'pm_counters', reason: 'absent' }],
      { calls: 50, workPerCall: 2.2, metricUnit: 'GFLOP/s' },
    );
    expect(e).toMatchObject({
      status: 'measured',
      source: 'nvml + rapl',
      method: 'counter',
      joules: 1100,
      avgWatts: 550,
      coverage: 1,
      scope: ['gpu', 'cpu'],
      joulesPerCall: 22,
    });
    const eff = e.status === 'measured' ? e.efficiency! : [];
    expect(eff.map((x) => [x.name, x.unit])).toEqual([
      ['throughput per watt', 'GFLOP/s per W'],
      ['energy per work', 'J per GFLOP'],
    ]);
    expect(eff[0]!.value).toBeCloseTo(110 / 1100, 12); // 50 calls × 2.2 GFLOP per 1100 J
    expect(eff[1]!.value).toBeCloseTo(1100 / 110, 12);
  });

  it('uses a node reading alone for the total (it contains CPU and GPUs), with the weakest method and coverage', () => {
    const e = energyRecord(
      [
        reading('pm_counters', 'counter', [['node', 'node', 2000]]),
        reading('nvidia-smi', 'sampled', [['gpu', 'gpu0', 900, 0.8]]),
      ],
      [],
      { calls: 10, workPerCall: 1, metricUnit: 'GB/s' },
    );
    expect(e).toMatchObject({ joules: 2000, scope: ['node'], method: 'counter', coverage: 1 });
    expect(e.status === 'measured' && e.readings?.length).toBe(2);
    expect(e.status === 'measured' && e.efficiency?.[1]).toEqual({
      name: 'energy per work',
      value: 200,
      unit: 'J per GB',
    });
    const mixed = energyRecord(
      [reading('rapl', 'counter', [['cpu', 'p0', 10]]), reading('nvidia-smi', 'sampled', [['gpu', 'g0', 90, 0.8]])],
      [],
      { calls: 1 },
    );
    expect(mixed).toMatchObject({ method: 'sampled', coverage: 0.8, joules: 100, efficiency: [] });
  });

  it('gives training and inference figures per sample or per query, and per watt only for a rate', () => {
    const gpu = () => [reading('nvml', 'counter', [['gpu', 'gpu0', 500]])];
    const training = energyRecord(gpu(), [], {
      calls: 2000,
      metricUnit: 'samples/s',
      callUnit: { one: 'sample', many: 'samples' },
    });
    expect(training.status === 'measured' && training.efficiency).toEqual([
      { name: 'throughput per watt', value: 4, unit: 'samples/s per W' },
      { name: 'energy per sample', value: 0.25, unit: 'J per sample' },
      { name: 'samples per kJ', value: 4000, unit: 'samples per kJ' },
    ]);
    // SingleStream's figure is a latency: J per query and queries per kJ, no "ms per W"
    const latency = energyRecord(gpu(), [], {
      calls: 100,
      metricUnit: 'ms',
      callUnit: { one: 'query', many: 'queries' },
    });
    expect(latency.status === 'measured' && latency.efficiency?.map((x) => [x.name, x.value, x.unit])).toEqual([
      ['energy per query', 5, 'J per query'],
      ['queries per kJ', 200, 'queries per kJ'],
    ]);
  });

  it("gives each GPU worker of a whole-node run its share of node-wide readings, and all of its own GPU's", () => {
    const e = energyRecord(
      [reading('nvml', 'counter', [['gpu', 'gpu2', 600]]), reading('rapl', 'counter', [['cpu', 'package-0', 400]])],
      [],
      { calls: 10, sharedBy: 4 },
    );
    if (e.status !== 'measured') throw new Error('expected a measurement');
    expect(e.readings!.map((r) => [r.source, r.joules])).toEqual([
      ['nvml', 600],
      ['rapl', 100],
    ]);
    expect(e.joules).toBe(700);
    expect(e.readings![1]!.note).toMatch(/divided among the 4 GPU workers that ran at once/);
    // a node reading stands alone in the total: a quarter of it for this worker
    const node = energyRecord([reading('pm_counters', 'counter', [['node', 'node', 2000]])], [], {
      calls: 10,
      sharedBy: 4,
    });
    expect(node).toMatchObject({ joules: 500, avgWatts: 250 });
  });

  it('says unavailable with every reason when nothing measured — never 0 J', () => {
    const e = energyRecord([], [{ source: 'rapl', reason: '/sys/class/powercap absent' }], { calls: 10 });
    expect(e).toEqual({
      status: 'unavailable',
      reason: 'no energy source measured this window (rapl: /sys/class/powercap absent)',
      sources: [{ source: 'rapl', reason: '/sys/class/powercap absent' }],
    });
  });

  it('produces a field the run-record schema accepts', () => {
    const e = energyRecord([reading('rapl', 'counter', [['cpu', 'package-0', 100]])], [], {
      calls: 5,
      workPerCall: 1,
      metricUnit: 'GFLOP/s',
    });
    const energySchema = runRecordSchema.shape.energy;
    expect(energySchema.safeParse(e).success).toBe(true);
  });
});

describe('openMeters on a machine with no source', () => {
  it('returns no meter and a reason for every source', async () => {
    const { meters, unavailable } = await openMeters(nowhere);
    expect(meters).toEqual([]);
    expect(Object.fromEntries(unavailable.map((u) => [u.source, u.reason]))).toEqual({
      nvml: expect.stringMatching(/libnvidia-ml\.so\.1 cannot be loaded \(no NVIDIA driver/),
      rapl: '/nonexistent/powercap absent (no powercap on this machine)',
      pm_counters: '/nonexistent/pm_counters absent (not an HPE/Cray node)',
      'nvidia-smi': '/nonexistent/nvidia-smi not found on PATH (no NVIDIA driver tools)',
      estimate: 'no TDP declared',
    });
  });

  it('falls back to a declared TDP, labelled as an estimate', async () => {
    const { meters } = await openMeters({
      ...nowhere,
      estimate: { tdpWatts: 400, utilisation: 0.5, device: 'A100 (declared)' },
    });
    expect(meters.map((m) => [m.source, m.method])).toEqual([['estimate', 'estimate']]);
    await meters[0]!.start();
    const r = await meters[0]!.stop();
    expect(r.domains[0]).toMatchObject({ device: 'A100 (declared)', meanWatts: 200, peakWatts: null, samples: 0 });
    expect(r.domains[0]!.joules).toBeCloseTo(200 * r.seconds, 9);
    expect(r.warnings).toEqual(['energy is an estimate from a declared TDP and utilisation, not a measurement']);
    expect(energyRecord([r], [], { calls: 1 })).toMatchObject({ method: 'estimate', source: 'estimate' });
  });

  it('rejects a meaningless declaration', () => {
    expect(() => new EstimateMeter({ tdpWatts: 0, utilisation: 0.5 })).toThrow(/positive TDP/);
    expect(() => new EstimateMeter({ tdpWatts: 300, utilisation: 1.5 })).toThrow(/utilisation in \(0, 1\]/);
  });
});

describe('a reading of 0 J', () => {
  it('is no data: left out of the total and listed as unavailable, never reported as 0 J', () => {
    const stuck = energyRecord([reading('pm_counters', 'counter', [['node', 'node', 0]])], [], { calls: 10 });
    expect(stuck.status).toBe('unavailable');
    if (stuck.status === 'unavailable') {
      expect(stuck.reason).toMatch(/counter did not advance, so no data \(not 0 J\)/);
    }
    const mixed = energyRecord(
      [
        reading('rapl', 'counter', [
          ['cpu', 'p0', 12],
          ['memory', 'dram', 0],
        ]),
      ],
      [],
      { calls: 1 },
    );
    expect(mixed.status).toBe('measured');
    if (mixed.status === 'measured') {
      expect(mixed.joules).toBe(12);
      expect(mixed.scope).toEqual(['cpu']);
      expect(mixed.unavailable!.map((u) => u.source)).toEqual(['rapl']);
    }
  });
});
