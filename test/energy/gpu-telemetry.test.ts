import { describe, expect, it } from 'vitest';
import { summariseGpu, throttleReasonNames } from '../../src/energy/gpu-telemetry.js';

const h100 = { index: 0, name: 'NVIDIA H100', maxSmClockMHz: 1980, powerLimitWatts: 700, otherProcesses: 0 };

describe('GPU telemetry', () => {
  it('decodes NVML throttle reason bits', () => {
    expect(throttleReasonNames(0x4n | 0x40n)).toEqual(['sw_power_cap', 'hw_thermal_slowdown']);
    expect(throttleReasonNames(0n)).toEqual([]);
  });

  it('warns when the SM clock fell below 75% of the maximum (nvbench rule), naming the throttle reasons', () => {
    const { telemetry, warnings } = summariseGpu(h100, [
      { smMHz: 1980, throttleMask: 0n },
      { smMHz: 1400, throttleMask: 0x20n, temperatureC: 88 },
    ]);
    expect(telemetry.smClockMHz).toEqual({ min: 1400, mean: 1690, max: 1980 });
    expect(telemetry.throttleReasons).toEqual(['sw_thermal_slowdown']);
    expect(warnings).toEqual([
      expect.stringMatching(
        /GPU 0 \(NVIDIA H100\) throttled: SM clock fell to 1400 MHz, 71% of its 1980 MHz maximum .*sw_thermal_slowdown/,
      ),
    ]);
  });

  it('does not count idle samples (low clock while waiting between calls) as throttling', () => {
    const { telemetry, warnings } = summariseGpu(h100, [
      { smMHz: 1980, throttleMask: 0n },
      { smMHz: 345, throttleMask: 0x1n },
    ]);
    expect(telemetry.smClockMHz?.min).toBe(1980);
    expect(telemetry.throttleReasons).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('keeps a clock at 75% or above quiet, and reports a shared GPU', () => {
    const { warnings } = summariseGpu({ ...h100, otherProcesses: 2 }, [{ smMHz: 1485 }]);
    expect(warnings).toEqual([
      'GPU 0 (NVIDIA H100) was shared: 2 other compute process(es) ran on it during the measurement',
    ]);
  });

  it('gives null, not zero, for figures the source did not report', () => {
    const { telemetry } = summariseGpu({ ...h100, maxSmClockMHz: null, otherProcesses: null }, [{}]);
    expect(telemetry).toMatchObject({
      smClockMHz: null,
      memClockMHz: null,
      temperatureC: null,
      utilisationPercent: null,
      otherProcesses: null,
    });
  });
});
