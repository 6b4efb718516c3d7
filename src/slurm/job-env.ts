// The environment a Slurm job gives its processes: the one place fedbench names the SLURM_* variables it reads or
// keeps in a record's `system.env`. Imports nothing, so any layer may read it without loading the scheduler adapter.

/** The job's variables fedbench keeps, by what they say. */
export const SLURM_JOB_VARIABLES = {
  jobId: 'SLURM_JOB_ID',
  jobName: 'SLURM_JOB_NAME',
  cluster: 'SLURM_CLUSTER_NAME',
  partition: 'SLURM_JOB_PARTITION',
  nodeList: 'SLURM_JOB_NODELIST',
  gpus: 'SLURM_JOB_GPUS',
  gpusOnNode: 'SLURM_GPUS_ON_NODE',
  arrayJobId: 'SLURM_ARRAY_JOB_ID',
  arrayTaskId: 'SLURM_ARRAY_TASK_ID',
  ntasks: 'SLURM_NTASKS',
  procId: 'SLURM_PROCID',
  localId: 'SLURM_LOCALID',
  cpusPerTask: 'SLURM_CPUS_PER_TASK',
  stepId: 'SLURM_STEP_ID',
  /** The compute node, as slurmd names it. */
  nodeName: 'SLURMD_NODENAME',
} as const;

export type SlurmJobField = keyof typeof SLURM_JOB_VARIABLES;
/** The job's variables as read: each one set (even empty) by its field name. */
export type SlurmJobEnv = Partial<Record<SlurmJobField, string>>;

type Env = Readonly<Record<string, string | undefined>>;

const NAMES = new Set<string>(Object.values(SLURM_JOB_VARIABLES));

/** The job's variables in `env` (this process's by default, or a record's `system.env`); empty outside a job. */
export function slurmJob(env: Env = process.env): SlurmJobEnv {
  const out: SlurmJobEnv = {};
  for (const [field, name] of Object.entries(SLURM_JOB_VARIABLES) as Array<[SlurmJobField, string]>) {
    const v = env[name];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** Whether `env` is a Slurm job's (it has a job id). */
export function inSlurmJob(env: Env = process.env): boolean {
  return Boolean(env[SLURM_JOB_VARIABLES.jobId]);
}

/** Whether a record keeps this variable (`system.env`). */
export function isSlurmJobVariable(name: string): boolean {
  return NAMES.has(name);
}

/** Variables that differ between the tasks of one job (ids and ranks): not provenance of the machine. */
export function isPerTaskVariable(name: string): boolean {
  return /^SLURM_(JOB_ID|ARRAY|PROCID|LOCALID|STEP)/.test(name);
}
