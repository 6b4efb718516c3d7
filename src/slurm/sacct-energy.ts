// Slurm's own energy figure for a job, read after the fact: a pure parser of
//   sacct -P -n --format=JobID,State,Elapsed,ConsumedEnergyRaw -j JOB
// Energy appears on the `.batch` step line, not on the allocation line; plugins that have no data print 0 or
// nothing, which means "no data", not 0 J.

export const SACCT_ENERGY_ARGS = ['-P', '-n', '--format=JobID,State,Elapsed,ConsumedEnergyRaw'];

export interface SacctStep {
  jobId: string;
  state: string;
  elapsedSeconds: number | null;
  /** null when the line has no energy figure (empty or 0). */
  joules: number | null;
}

export type SacctEnergy =
  | {
      status: 'measured';
      step: string;
      joules: number;
      elapsedSeconds: number | null;
      meanWatts: number | null;
      state: string;
    }
  | { status: 'unavailable'; reason: string };

/** Slurm durations: [D-]HH:MM:SS, MM:SS, MM:SS.mmm. */
export function parseSlurmElapsed(text: string): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return null;
  const [, d, h, mi, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mi) * 60 + Number(s);
}

export function parseSacctSteps(output: string): SacctStep[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [jobId = '', state = '', elapsed = '', energy = ''] = line.split('|');
      const j = Number(energy.trim());
      return {
        jobId,
        state,
        elapsedSeconds: parseSlurmElapsed(elapsed),
        joules: energy.trim() !== '' && Number.isFinite(j) && j > 0 ? j : null,
      };
    });
}

/** The job's energy from its `.batch` step (or, failing that, the one step with a figure). */
export function sacctEnergy(output: string, jobId?: string): SacctEnergy {
  const steps = parseSacctSteps(output).filter((s) => !jobId || s.jobId === jobId || s.jobId.startsWith(`${jobId}.`));
  if (!steps.length)
    return { status: 'unavailable', reason: jobId ? `sacct lists no step of job ${jobId}` : 'sacct printed no job' };
  const batch = steps.find((s) => s.jobId.endsWith('.batch') && s.joules !== null);
  const withEnergy = steps.filter((s) => s.joules !== null);
  const step = batch ?? (withEnergy.length === 1 ? withEnergy[0] : undefined);
  if (!step) {
    return {
      status: 'unavailable',
      reason: withEnergy.length
        ? `several steps report energy (${withEnergy.map((s) => s.jobId).join(', ')}) and none is .batch`
        : 'sacct reports no energy for this job (ConsumedEnergyRaw empty or 0: no AcctGatherEnergyType plugin or no data)',
    };
  }
  const e = step.elapsedSeconds;
  return {
    status: 'measured',
    step: step.jobId,
    joules: step.joules!,
    elapsedSeconds: e,
    meanWatts: e && e > 0 ? step.joules! / e : null,
    state: step.state,
  };
}
