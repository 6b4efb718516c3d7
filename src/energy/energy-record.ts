// From meter readings to the record's `energy` field: totals that never double-count (a node reading
// contains CPU, memory and GPUs), energy per call, and efficiency in the metric's own unit.
import { unavailableEnergy } from '../results/new-record.js';
import type { EnergyReading, MeasuredEnergy } from '../results/record.js';
import type { EnergyDomain, EnergyMethod, MeterReading, SourceUnavailable } from './types.js';

/** Most to least direct. */
const METHOD_ORDER: EnergyMethod[] = ['counter', 'sampled', 'scheduler', 'estimate'];

export interface MeasuredWork {
  /** Calls of the workload inside the window. */
  calls: number;
  /** Work of one call in the metric's units of work (GFLOP for a metric in GFLOP/s); omit if unknown. */
  workPerCall?: number;
  /** The metric's unit, e.g. "GFLOP/s", "GB/s". */
  metricUnit?: string;
  /** What one call is when the work has no other measure (a sample, a query): each call is one of them. */
  callUnit?: { one: string; many: string };
  /** GPU workers of a whole-node run measuring at once: node-wide readings (RAPL, pm_counters) are shared. */
  sharedBy?: number;
}

/** Sources whose readings cover the whole node rather than the GPUs visible to this process. */
const NODE_WIDE = new Set(['rapl', 'pm_counters']);

export function energyRecord(
  meterReadings: readonly MeterReading[],
  givenUnavailable: readonly SourceUnavailable[],
  work: MeasuredWork,
): EnergyReading {
  const n = work.sharedBy && work.sharedBy > 1 ? work.sharedBy : 1;
  // In a whole-node run every GPU worker reads the same node-wide counters over the same time: each takes 1/N,
  // so the workers' records add up to the node once (NVML and nvidia-smi see only the worker's own GPU).
  const share = <
    T extends { source: string; joules: number; meanWatts: number; peakWatts: number | null; note?: string },
  >(
    r: T,
  ): T =>
    n > 1 && NODE_WIDE.has(r.source)
      ? {
          ...r,
          joules: r.joules / n,
          meanWatts: r.meanWatts / n,
          peakWatts: r.peakWatts === null ? null : r.peakWatts / n,
          note: `${r.note ? `${r.note}; ` : ''}the node's reading divided among the ${n} GPU workers that ran at once (whole-node run)`,
        }
      : r;
  const all = meterReadings.flatMap((m) =>
    m.domains.map((d) => ({
      ...share({ source: m.source, method: m.method, seconds: m.seconds, ...d }),
      ...(m.crossCheck
        ? { note: `${d.note ? `${d.note}; ` : ''}cross-check over the same window, not in the total` }
        : {}),
      crossCheck: m.crossCheck === true,
    })),
  );
  // A device under load never uses 0 J: a counter that did not move (or a plugin that reports 0) has no data.
  const unavailable = [
    ...givenUnavailable,
    ...all
      .filter((r) => !(r.joules > 0))
      .map((r) => ({
        source: r.source,
        reason: `${r.device}: ${r.joules} J over the ${r.seconds.toFixed(2)} s window — the ${r.method === 'counter' ? 'counter did not advance' : 'power readings were 0'}, so no data (not 0 J)`,
      })),
  ];
  const readings = all.filter((r) => r.joules > 0).map(({ seconds: _seconds, crossCheck: _c, ...r }) => r);
  const counted = all
    .filter((r) => r.joules > 0 && !r.crossCheck)
    .map(({ seconds: _seconds, crossCheck: _c, ...r }) => r);
  if (!counted.length) {
    const why = unavailable.map((u) => `${u.source}: ${u.reason}`).join('; ');
    return unavailableEnergy(`no energy source measured this window${why ? ` (${why})` : ''}`, [...unavailable]);
  }
  const node = counted.filter((r) => r.domain === 'node');
  const inTotal = node.length ? node : counted;
  const scope = [...new Set(inTotal.map((r) => r.domain))] as EnergyDomain[];
  const joules = inTotal.reduce((a, r) => a + r.joules, 0);
  const windowSeconds = Math.max(...meterReadings.filter((m) => !m.crossCheck).map((m) => m.seconds));
  const method = METHOD_ORDER[Math.max(...inTotal.map((r) => METHOD_ORDER.indexOf(r.method)))]!;
  const efficiency: MeasuredEnergy['efficiency'] = [];
  const totalWork = work.workPerCall !== undefined ? work.calls * work.workPerCall : 0;
  if (totalWork > 0 && joules > 0 && work.metricUnit) {
    // A rate per watt is work per joule: (work / s) / (J / s).
    const workUnit = work.metricUnit.replace(/\/s$/, '');
    efficiency.push({ name: 'throughput per watt', value: totalWork / joules, unit: `${work.metricUnit} per W` });
    efficiency.push({ name: 'energy per work', value: joules / totalWork, unit: `J per ${workUnit}` });
  } else if (work.callUnit && work.calls > 0 && joules > 0) {
    // Samples or queries: per watt only where the metric is their rate (a latency per watt means nothing).
    const { one, many } = work.callUnit;
    if (work.metricUnit === `${many}/s`)
      efficiency.push({ name: 'throughput per watt', value: work.calls / joules, unit: `${many}/s per W` });
    efficiency.push({ name: `energy per ${one}`, value: joules / work.calls, unit: `J per ${one}` });
    efficiency.push({ name: `${many} per kJ`, value: (1000 * work.calls) / joules, unit: `${many} per kJ` });
  }
  const energy: MeasuredEnergy = {
    status: 'measured',
    source: [...new Set(inTotal.map((r) => r.source))].join(' + '),
    method,
    joules,
    avgWatts: joules / windowSeconds,
    coverage: Math.min(...inTotal.map((r) => r.coverage)),
    scope,
    windowSeconds,
    calls: work.calls,
    joulesPerCall: work.calls > 0 ? joules / work.calls : null,
    efficiency,
    readings,
    telemetry: meterReadings.filter((m) => !m.crossCheck).flatMap((m) => m.telemetry),
    unavailable: [...unavailable],
  };
  return energy;
}
