// The scheduler's own energy figure for a job (Slurm's ConsumedEnergyRaw, parsed by slurm/) as the record's
// `energy` field: a measurement of the whole job, which replaces nothing measured but does replace an estimate.
import type { EnergyReading } from '../results/record.js';

export interface JobEnergy {
  /** The job's energy as the scheduler accounted it. */
  joules: number;
  /** The job's elapsed time (whole seconds for sacct). */
  elapsedSeconds: number;
  /** Where it ran (a node name), for the reading's device. */
  device: string;
}

const SOURCE = 'slurm sacct ConsumedEnergyRaw';

/**
 * Whether the record's energy may be replaced by the scheduler's: nothing measured, or only an estimate — or a job
 * of several nodes (`nodes`), whose meters fedbench read on one node only while the scheduler accounts every node.
 */
export function schedulerEnergyReplaces(energy: EnergyReading, nodes = 1): boolean {
  return nodes > 1 || energy.status === 'unavailable' || (energy.status === 'measured' && energy.method === 'estimate');
}

/**
 * The record's `energy` from the job's figure, saying what it replaced (`before`, the record's own); `nodes`: every
 * node of a multi-node job, whose whole figure this is.
 */
export function schedulerEnergy(job: JobEnergy, before: EnergyReading, nodes: readonly string[] = []): EnergyReading {
  // sacct counts whole seconds: a job under 1 s shows 0, and its mean power over 1 s is a lower bound
  const seconds = Math.max(job.elapsedSeconds, 1);
  const short =
    job.elapsedSeconds < 1
      ? "; the job took under 1 s (sacct's resolution), so its mean power over 1 s is a lower bound"
      : '';
  return {
    status: 'measured',
    source: SOURCE,
    method: 'scheduler',
    joules: job.joules,
    avgWatts: job.joules / seconds,
    coverage: 1,
    scope: ['node'],
    windowSeconds: seconds,
    readings: [
      {
        source: SOURCE,
        method: 'scheduler',
        domain: 'node',
        device: job.device,
        joules: job.joules,
        meanWatts: job.joules / seconds,
        peakWatts: null,
        samples: 1,
        coverage: 1,
        note: `the whole job as Slurm accounted it${nodes.length > 1 ? `, on every node (${nodes.join(', ')})` : ''}: start-up, verification and warm-up included, not only the measured window${short}`,
      },
    ],
    unavailable: [
      {
        source: 'fedbench meters',
        reason:
          before.status === 'unavailable'
            ? before.reason
            : before.method !== 'estimate' && nodes.length > 1
              ? `read on ${nodes[0]} only, where fedbench ran (${before.joules.toFixed(1)} J), not on the job's other ${nodes.length - 1} node(s): replaced by the scheduler's figure for every node`
              : `only an estimate from declared power (${before.joules.toFixed(1)} J), replaced by the scheduler's measurement`,
      },
    ],
  };
}
