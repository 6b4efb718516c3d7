// HPE/Cray node energy: /sys/cray/pm_counters/{energy,power,cpu_energy,memory_energy,accelN_energy,…}.
// Each file holds "N J" (or "N W"), and on current firmware a timestamp too: "N J T us" (HPE Cray EX docs).
// Counters are 64-bit joules since boot and do not wrap in practice.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CounterAccumulator, now, throttled } from './counter.js';
import { errorText, type DomainReading, type EnergyDomain, type EnergyMeter, type MeterReading } from './types.js';

export interface PmValue {
  value: number;
  unit: 'J' | 'W';
  /** Microseconds, when the file carries a timestamp. */
  timestampUs: number | null;
}

/** Parses one pm_counters file: "1234 J", "215 W", "1234 J 1712345678901234 us". */
export function parsePmCounter(text: string): PmValue {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(J|W)\b(?:\s+(\d+)\s*us)?/.exec(text);
  if (!m) throw new Error(`not a pm_counters value: ${JSON.stringify(text.trim().slice(0, 40))}`);
  return { value: Number(m[1]), unit: m[2] as 'J' | 'W', timestampUs: m[3] ? Number(m[3]) : null };
}

interface Channel {
  domain: EnergyDomain;
  device: string;
  energyPath: string;
  powerPath: string | null;
}

function domainOf(file: string): { domain: EnergyDomain; device: string } | null {
  if (file === 'energy') return { domain: 'node', device: 'node' };
  if (/^cpu\d*_energy$/.test(file)) return { domain: 'cpu', device: file.replace('_energy', '') };
  if (file === 'memory_energy') return { domain: 'memory', device: 'memory' };
  const accel = /^accel(\d+)_energy$/.exec(file);
  if (accel) return { domain: 'gpu', device: `accel${accel[1]}` };
  return null;
}

export function findPmCounters(root: string): { channels: Channel[]; problems: string[] } {
  let files: string[];
  try {
    files = readdirSync(root);
  } catch {
    return { channels: [], problems: [`${root} absent (not an HPE/Cray node)`] };
  }
  const channels: Channel[] = [];
  const problems: string[] = [];
  for (const file of files.sort()) {
    const d = domainOf(file);
    if (!d) continue;
    const energyPath = join(root, file);
    try {
      const v = parsePmCounter(readFileSync(energyPath, 'utf8'));
      if (v.unit !== 'J') throw new Error(`${energyPath} is in ${v.unit}, expected J`);
      const power = file.replace('_energy', '_power').replace(/^energy$/, 'power');
      channels.push({ ...d, energyPath, powerPath: files.includes(power) ? join(root, power) : null });
    } catch (err) {
      problems.push(`${energyPath}: ${errorText(err)}`);
    }
  }
  if (!channels.length && !problems.length) problems.push(`${root} has no energy counter files`);
  return { channels, problems };
}

export class PmCountersMeter implements EnergyMeter {
  readonly source = 'pm_counters' as const;
  readonly method = 'counter' as const;
  readonly domains: EnergyDomain[];
  private counters: CounterAccumulator[] = [];
  private peaks: (number | null)[] = [];
  private firstStamp: (number | null)[] = [];
  private lastStamp: (number | null)[] = [];
  private t0 = 0;
  readonly poll: () => void;

  constructor(private readonly channels: Channel[]) {
    this.domains = [...new Set(channels.map((c) => c.domain))];
    this.poll = throttled(0.1, () => this.readAll());
  }

  private readAll(): void {
    const t = now();
    this.channels.forEach((c, i) => {
      const e = parsePmCounter(readFileSync(c.energyPath, 'utf8'));
      this.counters[i]!.add(e.value, t);
      if (e.timestampUs !== null) {
        this.firstStamp[i] ??= e.timestampUs;
        this.lastStamp[i] = e.timestampUs;
      }
      if (c.powerPath) {
        const p = parsePmCounter(readFileSync(c.powerPath, 'utf8')).value;
        this.peaks[i] = Math.max(this.peaks[i] ?? 0, p);
      }
    });
  }

  async start(): Promise<void> {
    this.counters = this.channels.map(() => new CounterAccumulator(null, 1));
    this.peaks = this.channels.map(() => null);
    this.firstStamp = this.channels.map(() => null);
    this.lastStamp = this.channels.map(() => null);
    this.t0 = now();
    this.readAll();
  }

  async stop(): Promise<MeterReading> {
    this.readAll();
    const seconds = this.counters[0]?.result().seconds ?? now() - this.t0;
    const domains: DomainReading[] = this.channels.map((c, i) => {
      const r = this.counters[i]!.result();
      // The firmware's own timestamps say over which span the counter moved; prefer them to our clock.
      const a = this.firstStamp[i];
      const b = this.lastStamp[i];
      const span = a != null && b != null && b > a ? (b - a) / 1e6 : r.seconds;
      return {
        domain: c.domain,
        device: c.device,
        joules: r.joules,
        meanWatts: span > 0 ? r.joules / span : r.joules / Math.max(seconds, 1e-9),
        peakWatts: this.peaks[i] ?? null, // no power file: no honest peak (1 J steps make interval means jumpy)
        samples: r.reads,
        coverage: 1,
        note: `pm_counters ${c.energyPath.split('/').pop()} read ${r.reads} times (1 J resolution)${c.powerPath ? '; peak from the power file' : ''}`,
      };
    });
    const warnings = domains
      .filter((d) => d.joules < 10)
      .map(
        (d) =>
          `pm_counters ${d.device} moved only ${d.joules} J over the window: at 1 J resolution (updated ~10 times a second) this figure is uncertain; lengthen the run`,
      );
    return { source: this.source, method: this.method, seconds, domains, telemetry: [], warnings };
  }

  async close(): Promise<void> {}
}
