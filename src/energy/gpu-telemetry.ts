// GPU state during the window (clocks, temperature, utilisation, throttling, other processes), summarised,
// with the warnings that make a figure suspect: nvbench's rule (SM clock below 75% of the maximum; nvbench's "default" clock is cudaDeviceProp::clockRate, the maximum boost) and a
// GPU shared with other processes.
import type { GpuTelemetry } from './types.js';
import { pct } from '../format.js';

/** nvmlClocksThrottleReason* bits (nvml.h); nvidia-smi prints the same mask as clocks_throttle_reasons.active. */
const THROTTLE_REASONS: [bigint, string][] = [
  [0x1n, 'gpu_idle'],
  [0x2n, 'applications_clocks_setting'],
  [0x4n, 'sw_power_cap'],
  [0x8n, 'hw_slowdown'],
  [0x10n, 'sync_boost'],
  [0x20n, 'sw_thermal_slowdown'],
  [0x40n, 'hw_thermal_slowdown'],
  [0x80n, 'hw_power_brake_slowdown'],
  [0x100n, 'display_clock_setting'],
];
const GPU_IDLE = 0x1n;

export function throttleReasonNames(mask: bigint): string[] {
  return THROTTLE_REASONS.filter(([bit]) => (mask & bit) !== 0n).map(([, name]) => name);
}

/** nvbench's default: a sample whose SM clock is under 75% of the reference clock is throttled. */
export const THROTTLE_THRESHOLD = 0.75;

export interface GpuSample {
  smMHz?: number;
  memMHz?: number;
  temperatureC?: number;
  utilisationPercent?: number;
  throttleMask?: bigint;
}

export interface GpuIdentity {
  index: number;
  name: string;
  uuid?: string;
  maxSmClockMHz: number | null;
  powerLimitWatts: number | null;
  otherProcesses: number | null;
}

const finite = (xs: (number | undefined)[]): number[] =>
  xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function summariseGpu(
  id: GpuIdentity,
  samples: readonly GpuSample[],
): { telemetry: GpuTelemetry; warnings: string[] } {
  // Samples taken while the GPU idled (between calls, host-side work) say nothing about clocks under load.
  const busy = samples.filter((s) => s.throttleMask === undefined || (s.throttleMask & GPU_IDLE) === 0n);
  const sm = finite(busy.map((s) => s.smMHz));
  const mem = finite(busy.map((s) => s.memMHz));
  const temp = finite(samples.map((s) => s.temperatureC));
  const util = finite(samples.map((s) => s.utilisationPercent));
  const mask = samples.reduce((m, s) => m | (s.throttleMask ?? 0n), 0n);
  const telemetry: GpuTelemetry = {
    index: id.index,
    name: id.name,
    ...(id.uuid ? { uuid: id.uuid } : {}),
    samples: samples.length,
    smClockMHz: sm.length ? { min: Math.min(...sm), mean: mean(sm), max: Math.max(...sm) } : null,
    memClockMHz: mem.length ? { min: Math.min(...mem), max: Math.max(...mem) } : null,
    maxSmClockMHz: id.maxSmClockMHz,
    temperatureC: temp.length ? { max: Math.max(...temp) } : null,
    utilisationPercent: util.length ? { mean: mean(util) } : null,
    powerLimitWatts: id.powerLimitWatts,
    throttleReasons: throttleReasonNames(mask & ~GPU_IDLE),
    otherProcesses: id.otherProcesses,
  };
  const warnings: string[] = [];
  const label = `GPU ${id.index} (${id.name})`;
  if (telemetry.smClockMHz && id.maxSmClockMHz) {
    const low = telemetry.smClockMHz.min;
    if (low < THROTTLE_THRESHOLD * id.maxSmClockMHz) {
      const why = telemetry.throttleReasons.length ? `; throttle reasons: ${telemetry.throttleReasons.join(', ')}` : '';
      warnings.push(
        `${label} throttled: SM clock fell to ${low} MHz, ${pct(low / id.maxSmClockMHz, 0)} of its ${id.maxSmClockMHz} MHz maximum (below ${THROTTLE_THRESHOLD * 100}%)${why}`,
      );
    }
  }
  if (id.otherProcesses)
    warnings.push(
      `${label} was shared: ${id.otherProcesses} other compute process(es) ran on it during the measurement`,
    );
  return { telemetry, warnings };
}
