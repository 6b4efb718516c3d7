// The vocabulary every energy source speaks: a meter is started and stopped around the measured window
// and answers with one reading per domain and device it covers.

import type {
  EnergyDomain,
  EnergyDomainReading,
  EnergyMethod,
  GpuTelemetry,
  SourceUnavailable as RecordSourceUnavailable,
} from '../results/record.js';

// Methods, domains, readings and telemetry are the record's (its schema is their one definition); what is
// the energy module's own is which meters exist and how they behave.
export type { EnergyDomain, EnergyMethod, GpuTelemetry };

/** fedbench's own meters (the record's `source` is any text: a scheduler's figure, several sources joined). */
export type EnergySource = 'nvml' | 'nvidia-smi' | 'rapl' | 'pm_counters' | 'sacct' | 'estimate';

/** One domain on one device as a meter reads it; the record adds the meter's source and method. */
export type DomainReading = Omit<EnergyDomainReading, 'source' | 'method'>;

export interface MeterReading {
  source: EnergySource;
  method: EnergyMethod;
  /** Wall-clock length of the window, seconds. */
  seconds: number;
  domains: DomainReading[];
  telemetry: GpuTelemetry[];
  warnings: string[];
  /** A second source for domains already measured, read over the same window to compare with: never in the total. */
  crossCheck?: boolean;
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

/** A meter not used, and why (the record's, named by one of fedbench's sources). */
export type SourceUnavailable = RecordSourceUnavailable & { source: EnergySource };

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
  /** Also sample nvidia-smi while NVML's counter measures the GPUs, over the same window, as a cross-check kept
   *  beside the total (not in it). Default: FEDBENCH_ENERGY_CROSSCHECK=1 in the environment. */
  crossCheck?: boolean;
}

export const DEFAULT_PATHS = {
  powercapRoot: '/sys/class/powercap',
  pmCountersRoot: '/sys/cray/pm_counters',
  nvmlLibrary: 'libnvidia-ml.so.1',
  nvidiaSmi: 'nvidia-smi',
} as const;

export { errorText } from '../errors.js';
