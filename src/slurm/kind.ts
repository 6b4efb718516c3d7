// Slurm as a `SchedulerKind` (src/scheduler/contract.ts): what the registry hands federation for a Slurm site.
import { ENDED_UNKNOWN, type SchedulerKind } from '../scheduler/contract.js';
import { slurmJob } from './job-env.js';
import { baseState, describeEnd, isTerminal, recordStatusFor, timeLimitSeconds } from './jobs.js';
import { renderArrayScript, template, TEMPLATES_DIR } from './render.js';
import { scheduler } from './scheduler.js';

/** Slurm's MaxArraySize when `scontrol show config` does not say (its documented default). */
const SLURM_DEFAULT_MAX_ARRAY = 1001;
/** States of a task that has a node and runs, or is paused there (squeue's and sacct's words). */
const RUNNING = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'STOPPED']);

export const slurmScheduler: SchedulerKind = {
  name: 'slurm',
  on: scheduler,
  defaultMaxArraySize: SLURM_DEFAULT_MAX_ARRAY,
  jobScript: (site, job) => renderArrayScript(site, job),
  helperFiles: ({ wholeNode, ranks }) => [
    ...(wholeNode ? [{ name: 'gpu-worker.sh', data: template('gpu-worker.sh', TEMPLATES_DIR), mode: 0o755 }] : []),
    ...(ranks ? [{ name: 'rank-env.sh', data: template('rank-env.sh', TEMPLATES_DIR), mode: 0o755 }] : []),
  ],
  isTerminal,
  phase: (state) =>
    isTerminal(state) || state === ENDED_UNKNOWN ? 'ended' : RUNNING.has(baseState(state)) ? 'running' : 'pending',
  completed: (state) => baseState(state) === 'COMPLETED',
  // array.sbatch writes its output to logs/%A_%a.out: the task key is JOB_TASK
  scriptPath: (campaignDir, part) => `${campaignDir}/job-${part}.sbatch`,
  logPath: (campaignDir, taskKey) => `${campaignDir}/logs/${taskKey}.out`,
  partitionProblems: (site, p) => {
    const name = site.scheduler.partition;
    const type = site.scheduler.gpus.type;
    const out: string[] = [];
    if (p.state !== 'up') out.push(`partition '${name}' is ${p.state}`);
    if (!/gpu/.test(p.gres)) out.push(`partition '${name}' shows no GPUs (gres: ${p.gres || 'none'})`);
    else if (type && !p.gres.includes(`gpu:${type}`))
      out.push(`partition '${name}' has no GPU of type '${type}' (gres: ${p.gres})`);
    return out;
  },
  endStatus: recordStatusFor,
  describeEnd,
  timeLimitSeconds,
  jobPlacement: (env) => {
    const job = slurmJob(env);
    return {
      ...(job.cluster !== undefined ? { cluster: job.cluster } : {}),
      ...(job.partition !== undefined ? { partition: job.partition } : {}),
      ...(job.nodeName !== undefined ? { node: job.nodeName } : {}),
    };
  },
};
