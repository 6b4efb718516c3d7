// Energy sources. This version has no meter yet: every record says so, with what this machine offers,
// instead of a 0 that would read as a measurement.
import { existsSync } from 'node:fs';
import type { EnergyReading } from '../results/record.js';

export interface EnergySourceStatus {
  source: string;
  present: boolean;
  detail: string;
}

/** What the machine exposes, whether or not fedbench can read it yet. */
export function energySources(hasNvidiaGpu: boolean): EnergySourceStatus[] {
  const rapl = '/sys/class/powercap/intel-rapl:0/energy_uj';
  const cray = '/sys/cray/pm_counters/energy';
  return [
    { source: 'nvml', present: hasNvidiaGpu, detail: hasNvidiaGpu ? 'NVIDIA GPU present' : 'no NVIDIA GPU (nvidia-smi found none)' },
    { source: 'rapl', present: existsSync(rapl), detail: existsSync(rapl) ? rapl : `${rapl} absent (no powercap RAPL on this machine)` },
    { source: 'pm_counters', present: existsSync(cray), detail: existsSync(cray) ? cray : `${cray} absent (not an HPE/Cray node)` },
  ];
}

export function unavailableEnergy(hasNvidiaGpu: boolean): EnergyReading {
  const seen = energySources(hasNvidiaGpu)
    .map((s) => `${s.source}: ${s.detail}`)
    .join('; ');
  return { status: 'unavailable', reason: `energy meters are not implemented in this version of fedbench; this machine offers ${seen}` };
}
