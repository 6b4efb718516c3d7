// GPU power sampled by `nvidia-smi --query-gpu=… -lms N` in a child process, integrated over the window.
// A child, because the workload blocks this process's event loop (onnxruntime's run() is synchronous in
// effect): the child writes straight into a file, so no sample waits for us. Power readings on A100/H100
// cover only part of the time (and `power.draw` is a 1 s average on recent drivers), hence `coverage`.
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSampler, type SamplerProcess } from './sampler-process.js';
import { summariseGpu, type GpuIdentity, type GpuSample } from './gpu-telemetry.js';
import { integratePower, type PowerSample } from './integrate.js';
import { errorText, type DomainReading, type EnergyMeter, type GpuTelemetry, type MeterReading } from './types.js';
import { selectVisible } from './visible-devices.js';
import { smiNumber } from './smi-fields.js';
import { pct } from '../format.js';

const run = promisify(execFile);

export const SAMPLE_FIELDS = [
  'timestamp',
  'index',
  'POWER',
  'clocks.sm',
  'clocks.mem',
  'temperature.gpu',
  'utilization.gpu',
  'clocks_throttle_reasons.active',
];
const LIST_FIELDS = 'index,name,uuid,clocks.max.sm,power.limit';

export interface SmiSample extends GpuSample {
  /** Wall-clock seconds since the epoch. */
  t: number;
  index: number;
  watts?: number;
}

/** nvidia-smi prints local time as "YYYY/MM/DD HH:MM:SS.mmm"; this process shares its time zone. */
export function parseSmiTimestamp(text: string): number {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, ms] = m;
  return new Date(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, +(ms ?? '0').padEnd(3, '0')).getTime() / 1000;
}

/** Parses lines of `--query-gpu=<SAMPLE_FIELDS> --format=csv,noheader,nounits`; incomplete lines are skipped. */
export function parseSmiSamples(text: string): SmiSample[] {
  const out: SmiSample[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',').map((x) => x.trim());
    if (f.length < SAMPLE_FIELDS.length) continue;
    const t = parseSmiTimestamp(f[0]!);
    const index = smiNumber(f[1]);
    if (!Number.isFinite(t) || index === undefined) continue;
    const s: SmiSample = { t, index };
    const [watts, sm, mem, temp, util] = [
      smiNumber(f[2]),
      smiNumber(f[3]),
      smiNumber(f[4]),
      smiNumber(f[5]),
      smiNumber(f[6]),
    ];
    if (watts !== undefined) s.watts = watts;
    if (sm !== undefined) s.smMHz = sm;
    if (mem !== undefined) s.memMHz = mem;
    if (temp !== undefined) s.temperatureC = temp;
    if (util !== undefined) s.utilisationPercent = util;
    if (/^0x[0-9a-f]+$/i.test(f[7] ?? '')) s.throttleMask = BigInt(f[7]!);
    out.push(s);
  }
  return out;
}

/** Parses `--query-compute-apps=pid,gpu_uuid --format=csv,noheader`. */
export function parseComputeApps(text: string): { pid: number; uuid: string }[] {
  return text
    .split('\n')
    .map((l) => l.split(',').map((x) => x.trim()))
    .filter((f) => f.length >= 2 && /^\d+$/.test(f[0]!))
    .map((f) => ({ pid: Number(f[0]), uuid: f[1]! }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class NvidiaSmiMeter implements EnergyMeter {
  readonly source = 'nvidia-smi' as const;
  readonly method = 'sampled' as const;
  readonly domains = ['gpu'] as const;
  private child: SamplerProcess | null = null;
  private dir: string | null = null;
  private t0 = 0;
  private otherPids = new Map<number, Set<number>>();

  private constructor(
    private readonly binary: string,
    private readonly intervalMs: number,
    private readonly gpus: GpuIdentity[],
    private readonly powerField: string,
  ) {}

  /** Lists the visible GPUs and finds a power field they report; throws with the reason otherwise. */
  static async open(binary: string, intervalMs: number, visibleDevices: string | undefined): Promise<NvidiaSmiMeter> {
    const { stdout } = await run(binary, [`--query-gpu=${LIST_FIELDS}`, '--format=csv,noheader,nounits'], {
      timeout: 15_000,
    });
    const listed = stdout
      .split('\n')
      .map((l) => l.split(',').map((x) => x.trim()))
      .filter((f) => f.length >= 5 && smiNumber(f[0]) !== undefined)
      .map((f): GpuIdentity => {
        const limit = smiNumber(f[4]);
        return {
          index: smiNumber(f[0])!,
          name: f[1]!,
          uuid: f[2]!,
          maxSmClockMHz: smiNumber(f[3]) ?? null,
          powerLimitWatts: limit ?? null,
          otherProcesses: null,
        };
      });
    const gpus = selectVisible(listed, visibleDevices);
    if (!gpus.length)
      throw new Error(
        listed.length
          ? `none of the ${listed.length} GPU(s) is in CUDA_VISIBLE_DEVICES=${visibleDevices}`
          : 'nvidia-smi lists no GPU',
      );
    // power.draw.instant (driver 530+) is the instantaneous reading; power.draw may be a 1 s average.
    for (const field of ['power.draw.instant', 'power.draw']) {
      const probe = await run(binary, [`--query-gpu=${field}`, '--format=csv,noheader,nounits'], {
        timeout: 15_000,
      }).catch(() => null);
      if (probe?.stdout.split('\n').some((l) => smiNumber(l) !== undefined))
        return new NvidiaSmiMeter(binary, intervalMs, gpus, field);
    }
    throw new Error('nvidia-smi reports no power reading (power.draw is [N/A]) for these GPUs');
  }

  private async computeApps(): Promise<void> {
    try {
      const { stdout } = await run(this.binary, ['--query-compute-apps=pid,gpu_uuid', '--format=csv,noheader'], {
        timeout: 15_000,
      });
      for (const app of parseComputeApps(stdout)) {
        const gpu = this.gpus.find((g) => g.uuid === app.uuid);
        if (gpu && app.pid !== process.pid) this.otherPids.get(gpu.index)?.add(app.pid);
      }
    } catch {
      for (const g of this.gpus) this.otherPids.delete(g.index); // cannot tell: unknown, not zero
    }
  }

  private samplesFile(): string {
    return join(this.dir!, 'samples.csv');
  }

  private read(): SmiSample[] {
    try {
      return parseSmiSamples(readFileSync(this.samplesFile(), 'utf8'));
    } catch {
      return [];
    }
  }

  /** Waits (event loop free: before or after the window) until every GPU has a sample after `t`. */
  private async waitForSamplesAfter(t: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const samples = this.read();
      if (this.gpus.every((g) => samples.some((s) => s.index === g.index && s.t > t && s.watts !== undefined)))
        return true;
      if (!this.child || this.child.exited() || Date.now() > deadline) return false;
      await sleep(Math.min(20, this.intervalMs));
    }
  }

  async start(): Promise<void> {
    await this.close();
    this.otherPids = new Map(this.gpus.map((g) => [g.index, new Set<number>()]));
    await this.computeApps();
    this.dir = mkdtempSync(join(tmpdir(), 'fedbench-nvidia-smi-'));
    const out = openSync(this.samplesFile(), 'w');
    const err = openSync(join(this.dir, 'stderr.txt'), 'w');
    const fields = SAMPLE_FIELDS.map((f) => (f === 'POWER' ? this.powerField : f)).join(',');
    try {
      this.child = await startSampler(
        this.binary,
        [
          `--query-gpu=${fields}`,
          '--format=csv,noheader,nounits',
          '-lms',
          String(this.intervalMs),
          '-i',
          this.gpus.map((g) => g.index).join(','),
        ],
        out,
        err,
      );
    } finally {
      closeSync(out);
      closeSync(err);
    }
    // The window opens only once the sampler is producing, so its start is covered.
    if (!(await this.waitForSamplesAfter(0, 10_000))) {
      const why = readFileSync(join(this.dir, 'stderr.txt'), 'utf8').trim().split('\n')[0];
      await this.close();
      throw new Error(`nvidia-smi sampler produced no power samples${why ? `: ${why}` : ''}`);
    }
    this.t0 = Date.now() / 1000;
  }

  async stop(): Promise<MeterReading> {
    const t1 = Date.now() / 1000;
    // One more sample after the end lets the trapezoid reach the window's edge.
    await this.waitForSamplesAfter(t1, Math.max(1000, 5 * this.intervalMs));
    await this.child?.stop();
    this.child = null;
    const samples = this.read();
    await this.computeApps();
    const maxGap = Math.max(0.5, (5 * this.intervalMs) / 1000);
    const domains: DomainReading[] = [];
    const telemetry: GpuTelemetry[] = [];
    const warnings: string[] = [];
    for (const g of this.gpus) {
      const mine = samples.filter((s) => s.index === g.index);
      const power: PowerSample[] = mine.filter((s) => s.watts !== undefined).map((s) => ({ t: s.t, watts: s.watts! }));
      const integrated = integratePower(power, this.t0, t1, maxGap);
      const device = `gpu${g.index} ${g.name}${g.uuid ? ` (${g.uuid})` : ''}`;
      const pids = this.otherPids.get(g.index);
      const summary = summariseGpu(
        { ...g, otherProcesses: pids ? pids.size : null },
        mine.filter((s) => s.t >= this.t0 && s.t <= t1),
      );
      telemetry.push(summary.telemetry);
      warnings.push(...summary.warnings);
      if (!integrated) {
        warnings.push(
          `nvidia-smi: no power samples covered the window on ${device}; its energy is missing from the totals`,
        );
        continue;
      }
      domains.push({
        domain: 'gpu',
        device,
        joules: integrated.joules,
        meanWatts: integrated.meanWatts,
        peakWatts: integrated.peakWatts,
        samples: integrated.samples,
        coverage: integrated.coverage,
        note: `nvidia-smi ${this.powerField} every ${this.intervalMs} ms, trapezoid rule${integrated.coverage < 1 ? `, scaled from ${pct(integrated.coverage, 0)} coverage` : ''}`,
      });
    }
    this.removeFiles();
    return { source: this.source, method: this.method, seconds: t1 - this.t0, domains, telemetry, warnings };
  }

  private removeFiles(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    await child?.stop();
    this.removeFiles();
  }
}

export function nvidiaSmiUnavailableReason(binary: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === 'ENOENT') return `${binary} not found on PATH (no NVIDIA driver tools)`;
  return `${binary}: ${(e.stderr || errorText(err)).split('\n')[0]}`;
}
