export {
  SLURM_JOB_VARIABLES,
  slurmJob,
  inSlurmJob,
  isSlurmJobVariable,
  isPerTaskVariable,
  type SlurmJobEnv,
  type SlurmJobField,
} from './job-env.js';
export {
  renderArrayScript,
  directives,
  gpuDirective,
  fill,
  template,
  checkScriptPath,
  TEMPLATES_DIR,
  type ArrayJob,
} from './render.js';
export {
  parseSacct,
  parseSqueue,
  parseSbatch,
  expandArrayIndices,
  isTerminal,
  baseState,
  recordStatusFor,
  describeEnd,
  timeLimitSeconds,
  SACCT_ARGS,
  SACCT_FIELDS,
  SQUEUE_ARGS,
  type TaskState,
  type TerminalState,
} from './jobs.js';
export {
  scheduler,
  parseSinfoPartitions,
  parseMaxArraySize,
  SINFO_PARTITION_FORMAT,
  type Scheduler,
  type SiteStates,
  type Partition,
  type SlurmConfig,
  type Submitted,
} from './scheduler.js';
export {
  sacctEnergy,
  parseSacctSteps,
  parseSlurmElapsed,
  SACCT_ENERGY_ARGS,
  type SacctEnergy,
  type SacctStep,
} from './sacct-energy.js';
export { slurmScheduler } from './kind.js';
