// Chooses the meters for this machine: per domain the most direct source present (a counter before sampled
// power, sampled power before an estimate), every source not used listed with its reason.
import { inSlurmJob, slurmJob } from '../slurm/job-env.js';
import { EstimateMeter } from './estimate.js';
import { NvidiaSmiMeter, nvidiaSmiUnavailableReason } from './nvidia-smi-meter.js';
import { NvmlMeter, nvmlUnavailableReason } from './nvml-meter.js';
import { PmCountersMeter, findPmCounters } from './pm-counters.js';
import { RaplMeter, findRaplZones } from './rapl.js';
import {
  DEFAULT_PATHS,
  errorText,
  type EnergyDomain,
  type EnergyMeter,
  type EnergyOptions,
  type EnergySource,
  type SourceUnavailable,
} from './types.js';

export interface OpenedMeters {
  meters: EnergyMeter[];
  unavailable: SourceUnavailable[];
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 100;

function resolved(o: EnergyOptions) {
  return {
    powercapRoot: o.powercapRoot ?? DEFAULT_PATHS.powercapRoot,
    pmCountersRoot: o.pmCountersRoot ?? DEFAULT_PATHS.pmCountersRoot,
    nvmlLibrary: o.nvmlLibrary ?? DEFAULT_PATHS.nvmlLibrary,
    nvidiaSmi: o.nvidiaSmi ?? DEFAULT_PATHS.nvidiaSmi,
    intervalMs: Math.min(o.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS, DEFAULT_SAMPLE_INTERVAL_MS),
    visible: 'visibleDevices' in o ? o.visibleDevices : process.env.CUDA_VISIBLE_DEVICES,
    exclude: new Set<EnergySource>(o.exclude ?? []),
    crossCheck: o.crossCheck ?? process.env.FEDBENCH_ENERGY_CROSSCHECK === '1',
  };
}

/** The same meter, its readings marked as a cross-check (kept beside the total, not in it). */
function asCrossCheck(meter: EnergyMeter): EnergyMeter {
  return {
    source: meter.source,
    method: meter.method,
    domains: meter.domains,
    start: () => meter.start(),
    ...(meter.poll ? { poll: () => meter.poll!() } : {}),
    stop: async () => ({ ...(await meter.stop()), crossCheck: true }),
    close: () => meter.close(),
  };
}

export async function openMeters(options: EnergyOptions = {}): Promise<OpenedMeters> {
  const o = resolved(options);
  const meters: EnergyMeter[] = [];
  const unavailable: SourceUnavailable[] = [];
  const covered = new Set<EnergyDomain>();
  const skip = (source: EnergySource): boolean => {
    if (o.exclude.has(source)) unavailable.push({ source, reason: 'excluded by configuration' });
    return o.exclude.has(source);
  };

  // GPU: NVML's energy counter, else nvidia-smi's sampled power.
  if (!skip('nvml')) {
    try {
      meters.push(NvmlMeter.open(o.nvmlLibrary, o.visible));
      covered.add('gpu');
    } catch (err) {
      unavailable.push({ source: 'nvml', reason: nvmlUnavailableReason(o.nvmlLibrary, err) });
    }
  }

  // CPU and memory: RAPL.
  if (!skip('rapl')) {
    const rapl = findRaplZones(o.powercapRoot);
    if (rapl.zones.length) {
      const meter = new RaplMeter(rapl.zones);
      meters.push(meter);
      for (const d of meter.domains) covered.add(d);
    }
    if (rapl.problems.length) unavailable.push({ source: 'rapl', reason: rapl.problems.join('; ') });
  }

  // HPE/Cray: the node always (nothing else measures it); CPU, memory and accelerators where still uncovered.
  if (!skip('pm_counters')) {
    const pm = findPmCounters(o.pmCountersRoot);
    const channels = pm.channels.filter((c) => c.domain === 'node' || !covered.has(c.domain));
    if (channels.length) {
      const meter = new PmCountersMeter(channels);
      meters.push(meter);
      for (const d of meter.domains) covered.add(d);
    }
    if (pm.problems.length) unavailable.push({ source: 'pm_counters', reason: pm.problems.join('; ') });
  }

  if (!covered.has('gpu') && !skip('nvidia-smi')) {
    try {
      meters.push(await NvidiaSmiMeter.open(o.nvidiaSmi, o.intervalMs, o.visible));
      covered.add('gpu');
    } catch (err) {
      unavailable.push({ source: 'nvidia-smi', reason: nvidiaSmiUnavailableReason(o.nvidiaSmi, err) });
    }
  } else if (covered.has('gpu') && o.crossCheck && !o.exclude.has('nvidia-smi')) {
    try {
      meters.push(asCrossCheck(await NvidiaSmiMeter.open(o.nvidiaSmi, o.intervalMs, o.visible)));
    } catch (err) {
      unavailable.push({
        source: 'nvidia-smi',
        reason: `cross-check: ${nvidiaSmiUnavailableReason(o.nvidiaSmi, err)}`,
      });
    }
  } else if (covered.has('gpu')) {
    unavailable.push({ source: 'nvidia-smi', reason: 'not needed: a GPU energy counter is in use' });
  }

  if (!meters.length && !skip('estimate')) {
    if (options.estimate) {
      try {
        meters.push(new EstimateMeter(options.estimate));
      } catch (err) {
        unavailable.push({ source: 'estimate', reason: errorText(err) });
      }
    } else {
      unavailable.push({ source: 'estimate', reason: 'no TDP declared' });
    }
  }
  return { meters, unavailable };
}

export interface EnergySourceStatus {
  source: EnergySource;
  present: boolean;
  /** Would be used by a run on this machine. */
  used: boolean;
  detail: string;
}

/** Every source, whether this machine offers it and why not, for `fedbench info`. Starts no sampler. */
export async function energySources(options: EnergyOptions = {}): Promise<EnergySourceStatus[]> {
  const o = resolved(options);
  const opened = await openMeters(options);
  const used = new Map(opened.meters.map((m) => [m.source as EnergySource, m]));
  await Promise.all(opened.meters.map((m) => m.close()));
  const reason = (s: EnergySource): string | undefined => opened.unavailable.find((u) => u.source === s)?.reason;
  const status = (source: EnergySource, detail: string): EnergySourceStatus => {
    const m = used.get(source);
    return m
      ? { source, present: true, used: true, detail: `${detail}; ${m.method}, domains ${m.domains.join(', ')}` }
      : { source, present: false, used: false, detail: reason(source) ?? 'not probed' };
  };
  const list = [
    status('nvml', o.nvmlLibrary),
    status('rapl', o.powercapRoot),
    status('pm_counters', o.pmCountersRoot),
    status('nvidia-smi', o.nvidiaSmi),
  ];
  // nvidia-smi is only opened when no GPU counter is; say whether it would work as the fallback.
  const smi = list[3]!;
  if (!smi.used && used.has('nvml')) {
    try {
      await NvidiaSmiMeter.open(o.nvidiaSmi, o.intervalMs, o.visible);
      Object.assign(smi, { present: true, detail: `${o.nvidiaSmi} works; not used (NVML's counter is preferred)` });
    } catch (err) {
      smi.detail = nvidiaSmiUnavailableReason(o.nvidiaSmi, err);
    }
  }
  const inSlurm = inSlurmJob();
  list.push({
    source: 'sacct',
    present: inSlurm,
    used: false,
    detail: inSlurm
      ? `job ${slurmJob().jobId}: its ConsumedEnergy is read after the job (post-hoc, whole job; needs AcctGatherEnergyType)`
      : 'not in a Slurm job (post-hoc job energy from sacct applies to submitted jobs)',
  });
  list.push(
    used.has('estimate')
      ? { source: 'estimate', present: true, used: true, detail: 'declared TDP × utilisation (not a measurement)' }
      : {
          source: 'estimate',
          present: Boolean(options.estimate),
          used: false,
          detail: options.estimate ? 'declared, not needed: a source measures' : 'no TDP declared',
        },
  );
  return list;
}
