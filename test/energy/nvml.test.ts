// The NVML path through koffi, against a stand-in library with NVML's C API compiled here with cc
// (fixtures/fake-nvml.c). Its figures are CONSTRUCTED (see that file), not recorded from a GPU.
import { describe, expect, it } from 'vitest';
import { energySources, openMeters } from '../../src/energy/index.js';
import { NvmlLibrary } from '../../src/energy/nvml-library.js';
import { NvmlMeter } from '../../src/energy/nvml-meter.js';
import { fakeNvidiaSmi, fakeNvml } from './helpers.js';

const nothingElse = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  nvidiaSmi: '/nonexistent/nvidia-smi',
  visibleDevices: undefined,
};

describe('NVML through koffi (stand-in library)', () => {
  const lib = fakeNvml();

  it('binds the C API: counts, names, counters, clocks and processes', () => {
    const nvml = NvmlLibrary.open(lib);
    try {
      expect(nvml.deviceCount()).toBe(2);
      const d1 = nvml.device(1);
      expect(nvml.name(d1)).toBe('Fake GPU B');
      expect(nvml.uuid(d1)).toBe('GPU-fake-0001');
      const e = nvml.totalEnergyMj(d1);
      expect(nvml.totalEnergyMj(d1) - e).toBe(1000);
      expect(nvml.powerMw(d1)).toBe(100000);
      expect(nvml.throttleMask(d1)).toBe(4n);
      expect(nvml.utilisationPercent(d1)).toBe(60);
      expect(nvml.computePids(d1)).toEqual([process.pid, 4242]);
      expect(() => nvml.device(5)).toThrow(/nvmlDeviceGetHandleByIndex_v2 failed: Unknown Error \(NVML error 2\)/);
    } finally {
      nvml.close();
    }
  });

  it('reads each GPU’s energy counter at both ends of the window, with telemetry and warnings', async () => {
    const meter = NvmlMeter.open(lib, undefined);
    await meter.start();
    meter.poll(); // the first poll always samples; it must not move the energy counter
    const r = await meter.stop();
    await meter.close();
    expect(r).toMatchObject({ source: 'nvml', method: 'counter' });
    // The stand-in advances each counter by 1000 mJ per read: one read at start, one at stop.
    expect(r.domains.map((d) => [d.device, d.joules, d.samples, d.coverage, d.peakWatts])).toEqual([
      ['gpu0 Fake GPU A (GPU-fake-0000)', 1, 2, 1, 250],
      ['gpu1 Fake GPU B (GPU-fake-0001)', 1, 2, 1, 100],
    ]);
    expect(r.domains[0]!.meanWatts).toBeCloseTo(1 / r.seconds, 6);
    expect(r.telemetry[1]).toMatchObject({
      index: 1,
      name: 'Fake GPU B',
      smClockMHz: { min: 900, max: 900 },
      maxSmClockMHz: 1980,
      temperatureC: { max: 83 },
      powerLimitWatts: 700,
      throttleReasons: ['sw_power_cap'],
      otherProcesses: 1,
    });
    expect(r.telemetry[0]).toMatchObject({ otherProcesses: 0, throttleReasons: [] });
    expect(r.warnings).toEqual([
      expect.stringMatching(/^GPU 1 \(Fake GPU B\) throttled: SM clock fell to 900 MHz, 45% of its 1980 MHz maximum/),
      'GPU 1 (Fake GPU B) was shared: 1 other compute process(es) ran on it during the measurement',
      expect.stringMatching(/is short for NVML's energy counter/),
    ]);
  });

  it('meters only visible GPUs', async () => {
    const meter = NvmlMeter.open(lib, '1');
    await meter.start();
    const r = await meter.stop();
    await meter.close();
    expect(r.domains.map((d) => d.device)).toEqual(['gpu1 Fake GPU B (GPU-fake-0001)']);
  });

  it('is preferred to nvidia-smi by openMeters and reported by energySources', async () => {
    const { binary } = fakeNvidiaSmi();
    const { meters, unavailable } = await openMeters({ ...nothingElse, nvmlLibrary: lib, nvidiaSmi: binary });
    expect(meters.map((m) => `${m.source}/${m.method}`)).toEqual(['nvml/counter']);
    expect(unavailable).toContainEqual({ source: 'nvidia-smi', reason: 'not needed: a GPU energy counter is in use' });
    await Promise.all(meters.map((m) => m.close()));
    const sources = await energySources({ ...nothingElse, nvmlLibrary: lib, nvidiaSmi: binary });
    expect(sources.find((s) => s.source === 'nvml')).toMatchObject({ present: true, used: true });
    expect(sources.find((s) => s.source === 'nvidia-smi')).toMatchObject({
      present: true,
      used: false,
      detail: expect.stringMatching(/works; not used/),
    });
    expect(sources.find((s) => s.source === 'rapl')).toMatchObject({
      present: false,
      detail: '/nonexistent absent (no powercap on this machine)',
    });
  });

  it('falls back to nvidia-smi when the GPU has no energy counter (pre-Volta: NOT_SUPPORTED)', async () => {
    const old = fakeNvml(['NO_ENERGY']);
    const { binary } = fakeNvidiaSmi();
    const { meters, unavailable } = await openMeters({ ...nothingElse, nvmlLibrary: old, nvidiaSmi: binary });
    expect(meters.map((m) => m.source)).toEqual(['nvidia-smi']);
    expect(unavailable.find((u) => u.source === 'nvml')?.reason).toMatch(
      /nvmlDeviceGetTotalEnergyConsumption failed: Not Supported \(NVML error 3\)/,
    );
    await Promise.all(meters.map((m) => m.close()));
  });
});
