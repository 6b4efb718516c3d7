// CPU package and DRAM energy from Linux powercap (RAPL): /sys/class/powercap/intel-rapl:N[/…:M]/energy_uj.
// The counters wrap at max_energy_range_uj; energy_uj is root-only on kernels since 5.10 (PLATYPUS mitigation).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CounterAccumulator, now, throttled } from './counter.js';
import { errorText, type DomainReading, type EnergyDomain, type EnergyMeter, type MeterReading } from './types.js';

interface RaplZone {
  path: string;
  domain: EnergyDomain;
  device: string;
  maxUj: number;
}

const ZONE = /^intel-rapl:\d+(:\d+)?$/;

function readNumber(path: string): number {
  const v = Number(readFileSync(path, 'utf8').trim());
  if (!Number.isFinite(v)) throw new Error(`${path} does not hold a number`);
  return v;
}

/** Package and DRAM zones that can be read; `core`, `uncore` (inside the package) and `psys` are left out. */
export function findRaplZones(root: string): { zones: RaplZone[]; problems: string[] } {
  let entries: string[];
  try {
    entries = readdirSync(root).filter((e) => ZONE.test(e));
  } catch {
    return { zones: [], problems: [`${root} absent (no powercap on this machine)`] };
  }
  if (!entries.length)
    return { zones: [], problems: [`${root} has no intel-rapl zones (no RAPL on this CPU or driver not loaded)`] };
  const zones: RaplZone[] = [];
  const problems: string[] = [];
  // Subzones appear both nested (intel-rapl:0/intel-rapl:0:0) and as top-level links; the top level is enough.
  for (const entry of entries.sort()) {
    const dir = join(root, entry);
    try {
      const name = readFileSync(join(dir, 'name'), 'utf8').trim();
      const pkg = /^package-(\d+)$/.exec(name);
      let domain: EnergyDomain;
      let device: string;
      if (pkg) [domain, device] = ['cpu', name];
      else if (name === 'dram') [domain, device] = ['memory', `package-${entry.split(':')[1]} dram`];
      else continue;
      readNumber(join(dir, 'energy_uj')); // fails here, at open, rather than in the measured window
      zones.push({ path: join(dir, 'energy_uj'), domain, device, maxUj: readNumber(join(dir, 'max_energy_range_uj')) });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push(
        e.code === 'EACCES'
          ? `${join(dir, 'energy_uj')} not readable (root-only since Linux 5.10; ask for read access or use Slurm's energy accounting)`
          : `${dir}: ${errorText(err)}`,
      );
    }
  }
  if (!zones.length && !problems.length) problems.push(`${root}: no package or dram RAPL zone`);
  return { zones, problems };
}

export class RaplMeter implements EnergyMeter {
  readonly source = 'rapl' as const;
  readonly method = 'counter' as const;
  readonly domains: EnergyDomain[];
  private counters: CounterAccumulator[] = [];
  private t0 = 0;
  readonly poll: () => void;

  constructor(private readonly zones: RaplZone[]) {
    this.domains = [...new Set(zones.map((z) => z.domain))];
    // A wrap needs minutes at the least; reading every 100 ms at most keeps the cost invisible.
    this.poll = throttled(0.1, () => this.readAll());
  }

  private readAll(): void {
    const t = now();
    for (const [i, z] of this.zones.entries()) this.counters[i]?.add(readNumber(z.path), t);
  }

  async start(): Promise<void> {
    this.counters = this.zones.map((z) => new CounterAccumulator(z.maxUj, 1e-6));
    this.t0 = now();
    this.readAll();
  }

  async stop(): Promise<MeterReading> {
    this.readAll();
    // The window is from the first read to the last: exactly what the counters span.
    const seconds = this.counters[0]?.result().seconds ?? now() - this.t0;
    const domains: DomainReading[] = this.zones.map((z, i) => {
      const r = this.counters[i]!.result();
      return {
        domain: z.domain,
        device: z.device,
        joules: r.joules,
        meanWatts: r.joules / Math.max(r.seconds, 1e-9),
        peakWatts: r.peakIntervalWatts,
        samples: r.reads,
        coverage: 1,
        note: `RAPL counter read ${r.reads} times${r.wraps ? `, wrapped ${r.wraps}×` : ''}; peak is the highest mean between two reads`,
      };
    });
    return { source: this.source, method: this.method, seconds, domains, telemetry: [], warnings: [] };
  }

  async close(): Promise<void> {}
}
