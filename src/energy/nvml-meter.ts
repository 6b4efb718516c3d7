// GPU energy from NVML's total-energy counter (mJ since driver load, Volta and newer), read at both ends of
// the window; power, clocks, temperature, utilisation and throttle reasons polled between samples.
import { CounterAccumulator, now, throttled } from './counter.js';
import { summariseGpu, type GpuIdentity, type GpuSample } from './gpu-telemetry.js';
import { NVML_CLOCK_MEM, NVML_CLOCK_SM, NvmlLibrary, type NvmlDevice } from './nvml-library.js';
import { errorText, type DomainReading, type EnergyMeter, type MeterReading } from './types.js';
import { selectVisible } from './visible-devices.js';

/** The counter updates every 20–100 ms: shorter windows carry a large relative error. */
const SHORT_WINDOW_SECONDS = 1;

interface MeteredGpu {
  handle: NvmlDevice;
  id: GpuIdentity;
  counter: CounterAccumulator;
  power: number[];
  samples: GpuSample[];
  otherPids: Set<number>;
}

/** Runs an optional telemetry call; a GPU that lacks one (NOT_SUPPORTED) simply has no such figure. */
function maybe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export class NvmlMeter implements EnergyMeter {
  readonly source = 'nvml' as const;
  readonly method = 'counter' as const;
  readonly domains = ['gpu'] as const;
  private t0 = 0;
  readonly poll: () => void;

  private constructor(
    private readonly nvml: NvmlLibrary,
    private readonly gpus: MeteredGpu[],
  ) {
    this.poll = throttled(0.1, () => {
      for (const g of this.gpus) this.sample(g, false);
    });
  }

  /** Opens NVML and checks every visible GPU has the energy counter; throws with the reason otherwise. */
  static open(libraryPath: string, visibleDevices: string | undefined): NvmlMeter {
    const nvml = NvmlLibrary.open(libraryPath);
    try {
      const listed = Array.from({ length: nvml.deviceCount() }, (_, index) => {
        const handle = nvml.device(index);
        return { index, handle, uuid: maybe(() => nvml.uuid(handle)) };
      });
      const visible = selectVisible(listed, visibleDevices);
      if (!visible.length)
        throw new Error(
          listed.length
            ? `none of the ${listed.length} GPU(s) NVML lists is in CUDA_VISIBLE_DEVICES=${visibleDevices}`
            : 'NVML lists no GPU',
        );
      const gpus = visible.map(({ index, handle, uuid }): MeteredGpu => {
        nvml.totalEnergyMj(handle); // NOT_SUPPORTED before Volta: fail at open so the fallback takes over
        const limit = maybe(() => nvml.powerLimitMw(handle));
        return {
          handle,
          id: {
            index,
            name: maybe(() => nvml.name(handle)) ?? 'unknown',
            ...(uuid ? { uuid } : {}),
            maxSmClockMHz: maybe(() => nvml.maxClockMHz(handle, NVML_CLOCK_SM)) ?? null,
            powerLimitWatts: limit === undefined ? null : limit / 1000,
            otherProcesses: null,
          },
          counter: new CounterAccumulator(null, 1e-3),
          power: [],
          samples: [],
          otherPids: new Set(),
        };
      });
      return new NvmlMeter(nvml, gpus);
    } catch (err) {
      nvml.close();
      throw err;
    }
  }

  private sample(g: MeteredGpu, withProcesses: boolean): void {
    const n = this.nvml;
    const h = g.handle;
    const power = maybe(() => n.powerMw(h));
    if (power !== undefined) g.power.push(power / 1000);
    const s: GpuSample = {};
    const sm = maybe(() => n.clockMHz(h, NVML_CLOCK_SM));
    const mem = maybe(() => n.clockMHz(h, NVML_CLOCK_MEM));
    const temp = maybe(() => n.temperatureC(h));
    const util = maybe(() => n.utilisationPercent(h));
    const mask = maybe(() => n.throttleMask(h));
    if (sm !== undefined) s.smMHz = sm;
    if (mem !== undefined) s.memMHz = mem;
    if (temp !== undefined) s.temperatureC = temp;
    if (util !== undefined) s.utilisationPercent = util;
    if (mask !== undefined) s.throttleMask = mask;
    g.samples.push(s);
    if (withProcesses) {
      const pids = maybe(() => n.computePids(h));
      if (pids) {
        for (const pid of pids) if (pid !== process.pid) g.otherPids.add(pid);
      } else {
        g.id.otherProcesses = null; // this NVML cannot list processes: unknown, not zero
      }
    }
  }

  async start(): Promise<void> {
    for (const g of this.gpus) {
      g.counter = new CounterAccumulator(null, 1e-3);
      g.power = [];
      g.samples = [];
      g.otherPids = new Set();
      g.id.otherProcesses = 0;
      this.sample(g, true);
    }
    // One timestamp for every GPU's first read, as for the last: the window is the same for all.
    this.t0 = now();
    for (const g of this.gpus) g.counter.add(this.nvml.totalEnergyMj(g.handle), this.t0);
  }

  async stop(): Promise<MeterReading> {
    const t = now();
    for (const g of this.gpus) g.counter.add(this.nvml.totalEnergyMj(g.handle), t);
    const seconds = t - this.t0;
    for (const g of this.gpus) this.sample(g, true);
    const warnings: string[] = [];
    const telemetry = [];
    const domains: DomainReading[] = [];
    for (const g of this.gpus) {
      const r = g.counter.result();
      if (g.id.otherProcesses !== null) g.id.otherProcesses = g.otherPids.size;
      const summary = summariseGpu(g.id, g.samples);
      telemetry.push(summary.telemetry);
      warnings.push(...summary.warnings);
      domains.push({
        domain: 'gpu',
        device: `gpu${g.id.index} ${g.id.name}${g.id.uuid ? ` (${g.id.uuid})` : ''}`,
        joules: r.joules,
        meanWatts: r.joules / Math.max(r.seconds, 1e-9),
        peakWatts: g.power.length ? Math.max(...g.power) : null,
        samples: r.reads,
        coverage: 1,
        note: `NVML total-energy counter; peak of ${g.power.length} power readings taken between samples`,
      });
    }
    if (seconds < SHORT_WINDOW_SECONDS)
      warnings.push(
        `energy window of ${seconds.toFixed(3)} s is short for NVML's energy counter (updated every 20–100 ms): expect an error of several percent`,
      );
    return { source: this.source, method: this.method, seconds, domains, telemetry, warnings };
  }

  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nvml.close();
  }
}

export function nvmlUnavailableReason(libraryPath: string, err: unknown): string {
  const text = errorText(err);
  if (/cannot open shared object|Failed to load shared library|not found/i.test(text))
    return `${libraryPath} cannot be loaded (no NVIDIA driver on this machine): ${text.split('\n')[0]}`;
  return `NVML (${libraryPath}): ${text.split('\n')[0]}`;
}
