// The vocabulary every energy source speaks: a meter is started and stopped around the measured window
// and answers with one reading per domain and device it covers.

export type EnergySource = 'nvml' | 'nvidia-smi' | 'rapl' | 'pm_counters' | 'sacct' | 'estimate';
/** counter: a hardware energy counter read at both ends; sampled: power integrated over samples;
 *  scheduler: the batch system's accounting; estimate: declared power × time, nothing measured. */
export type EnergyMethod = 'counter' | 'sampled' | 'scheduler' | 'estimate';
/** What a reading covers. `node` contains all the others (Cray pm_counters), so totals never add to it. */
export type EnergyDomain = 'gpu' | 'cpu' | 'memory' | 'node';

export interface DomainReading {
  domain: EnergyDomain;
  /** Which one, e.g. "gpu0 NVIDIA H100 (GPU-…)", "package-0", "node". */
  device: string;
  joules: number;
  meanWatts: number;
  /** Highest power seen; null when the source gives energy only and nothing was sampled. */
  peakWatts: number | null;
  /** Power or energy readings taken inside the window (2 for a counter read at start and stop). */
  samples: number;
  /** Fraction of the window the readings cover (1 for a counter). */
  coverage: number;
  note?: string;
}

/** Clocks, temperature, utilisation and throttling of one GPU during the window. */
export interface GpuTelemetry {
  index: number;
  name: string;
  uuid?: string;
  samples: number;
  smClockMHz: { min: number; mean: number; max: number } | null;
  memClockMHz: { min: number; max: number } | null;
  /** Reference for the throttle rule: the GPU's maximum SM clock. */
  maxSmClockMHz: number | null;
  temperatureC: { max: number } | null;
  utilisationPercent: { mean: number } | null;
  powerLimitWatts: number | null;
  /** Active throttle reasons seen at any sample, by name (GPU idle excluded). */
  throttleReasons: string[];
  /** Compute processes on this GPU other than this one (null when the source cannot tell). */
  otherProcesses: number | null;
}

export interface MeterReading {
  source: EnergySource;
  method: EnergyMethod;
  /** Wall-clock length of the window, seconds. */
  seconds: number;
  domains: DomainReading[];
  telemetry: GpuTelemetry[];
  warnings: string[];
}

export interface EnergyMeter {
  readonly source: EnergySource;
  readonly method: EnergyMethod;
  /** Domains this meter will report; fixed when the meter is opened. */
  readonly domains: readonly EnergyDomain[];
  start(): Promise<void>;
  /** Optional in-window poll, called between measurement samples (the event loop is blocked during them):
   *  counters that can wrap, and in-process telemetry, use it. Must be cheap and must not throw. */
  poll?(): void;
  stop(): Promise<MeterReading>;
  /** Releases everything (child processes, library handles). Safe to call twice and after a failed start. */
  close(): Promise<void>;
}

export interface SourceUnavailable {
  source: EnergySource;
  reason: string;
}

/** Where each source looks; every path can be pointed elsewhere (tests use temp folders and stubs). */
export interface EnergyOptions {
  powercapRoot?: string;
  pmCountersRoot?: string;
  /** Path or soname of the NVML library. */
  nvmlLibrary?: string;
  /** nvidia-smi executable (name on PATH or path). */
  nvidiaSmi?: string;
  /** nvidia-smi sampling period, ms (≤ 100 by design). */
  sampleIntervalMs?: number;
  /** CUDA_VISIBLE_DEVICES as seen by the workload; GPUs outside it are not metered. */
  visibleDevices?: string;
  /** Declared power for an estimate, used only when no source measures anything. */
  estimate?: { tdpWatts: number; utilisation: number; device?: string };
  /** Sources not to use even if present. */
  exclude?: EnergySource[];
}

export const DEFAULT_PATHS = {
  powercapRoot: '/sys/class/powercap',
  pmCountersRoot: '/sys/cray/pm_counters',
  nvmlLibrary: 'libnvidia-ml.so.1',
  nvidiaSmi: 'nvidia-smi',
} as const;

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}
