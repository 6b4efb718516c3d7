// Slurm as a `SchedulerKind` (src/scheduler/contract.ts): what the registry hands federation for a Slurm site.
import type { SchedulerKind } from '../scheduler/contract.js';
import { slurmJob } from './job-env.js';
import { describeEnd, isTerminal, recordStatusFor, timeLimitSeconds } from './jobs.js';
import { renderArrayScript, template, TEMPLATES_DIR } from './render.js';
import { scheduler } from './scheduler.js';

/** Slurm's MaxArraySize when `scontrol show config` does not say (its documented default). */
const SLURM_DEFAULT_MAX_ARRAY = 1001;

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
