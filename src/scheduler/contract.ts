// What federation asks of a site's batch scheduler, whichever it is: submit a job array, follow its tasks, cancel
// them, read the partitions; render the job script; say how a task's end reads. Slurm (`src/slurm/`) is the one
// implementation today; a second scheduler is a folder that implements `SchedulerKind` and one line in the registry
// (`index.ts`). Types only: the implementations import this file, and nothing else of `scheduler/`.
import type { Executor, FileToWrite } from '../remote/index.js';
import type { Site } from '../sites/index.js';

/** One array task (or plain job) as the scheduler last reported it. */
export interface TaskState {
  /** `123_4`: array job id and index. */
  key: string;
  arrayJobId: string;
  arrayIndex: number | null;
  /** The scheduler's word (`RUNNING`, `CANCELLED`, …), or `ENDED_UNKNOWN` where it left the queue and nothing says how. */
  state: string;
  exitCode: string;
  elapsedSeconds: number | null;
  start: string | null;
  end: string | null;
  node: string | null;
  reason: string | null;
  partition: string | null;
  cluster: string | null;
  consumedEnergyJ: number | null;
  energyNote: string | null;
}

export interface SiteStates {
  /** By `ARRAYJOB_INDEX`. */
  tasks: Map<string, TaskState>;
  /** false: accounting is unavailable and only queued/running tasks are known. */
  accounting: boolean;
}

/** A partition (queue) of the site. */
export interface Partition {
  name: string;
  /** The scheduler's availability: `up`, `down`, `drain`, `inact`. */
  state: string;
  nodes: number;
  /** Generic resources as the scheduler prints them, e.g. `gpu:a100:4(S:0-1)` or `(null)`. */
  gres: string;
  /** The cluster's default partition. */
  isDefault: boolean;
}

/** What fedbench reads from the controller's configuration. */
export interface SchedulerConfig {
  /** null when the controller did not answer or states no limit. */
  maxArraySize: number | null;
}

export type Submitted = { jobId: string; cluster: string | null } | { refused: string };

/** The commands to one site's scheduler, through that site's executor. */
export interface Scheduler {
  /** Submits SCRIPT, run in `cwd`: the job id (and cluster), or what the scheduler said when it refused. */
  submit(script: string, opts: { cwd: string }): Promise<Submitted>;
  /**
   * The id of a job with this name submitted since `since` (an ISO time), queued, running or ended. null only when
   * the scheduler answered and knows none; throws when it could not answer, so a caller never submits a second copy
   * of a job it could not look for.
   */
  submittedJob(name: string, since: string): Promise<string | null>;
  /** Every task of these jobs, finished ones included; active tasks only where accounting is off. */
  states(jobIds: readonly string[]): Promise<SiteStates>;
  /** Queued and running tasks of these jobs; none when the controller knows none of the ids. */
  queue(jobIds: readonly string[]): Promise<Map<string, TaskState>>;
  /** Cancels jobs (`123`) or array tasks (`123_4`). Throws CommandError when the scheduler refuses. */
  cancel(ids: readonly string[]): Promise<void>;
  /** Every partition. Throws CommandError when the scheduler cannot list them. */
  partitions(): Promise<Partition[]>;
  /** The nodes of a partition, sorted. Throws CommandError when the scheduler cannot list them. */
  nodes(partition: string): Promise<string[]>;
  /** The nodes of a partition with their state, sorted; `usable`: a job placed on it can start (not down or drained). */
  nodeStates(partition: string): Promise<Array<{ node: string; state: string; usable: boolean }>>;
  /** The controller's configuration, read once per adapter. */
  config(): Promise<SchedulerConfig>;
}

/** One job array of a campaign at a site: what its job script runs. */
export interface ArrayJob {
  campaign: string;
  /** Which part of the campaign at this site (arrays are chunked to the array limit; node sweeps add one per node). */
  part: string;
  jobName: string;
  campaignDir: string;
  /** Array indices 0..count-1 map to tasks offset..offset+count-1. */
  count: number;
  offset: number;
  /** The one node of a node sweep. */
  node?: string;
  /** The two nodes of a node-pair sweep's job (cases of 2 nodes), one job per pair. */
  nodes?: string[];
  /** Every GPU of the node, one worker each. */
  wholeNode: boolean;
  /** Each task one allocation of `nodes` × `perNode` ranks (one per GPU). */
  world?: { nodes: number; perNode: number };
  /** The start command on the compute node, already resolved (deploy dir, container prefix). */
  fedbench: string[];
}

/** How a case that wrote no record ended, from its task's end state. */
export type EndStatus = 'failed' | 'timeout' | 'cancelled';

/** fedbench's own word for a task that left the queue of a site without accounting: it ended, how is unknown. */
export const ENDED_UNKNOWN = 'ENDED';

/** Where a task stands, in the words federation and the server use. */
export type TaskPhase = 'pending' | 'running' | 'ended';

/** A kind of batch scheduler: the profile's `scheduler.kind` names one. */
export interface SchedulerKind {
  readonly name: string;
  /** Its commands on the site reached through `ex` (one adapter, and one cached configuration, per executor). */
  on(ex: Pick<Executor, 'exec' | 'where'>): Scheduler;
  /** The array limit to plan with when neither the profile nor the controller states one. */
  readonly defaultMaxArraySize: number;
  /** The job script of one array. Throws InputError on a name or path the script could not carry safely. */
  jobScript(site: Site, job: ArrayJob): string;
  /** Helper scripts the job scripts call, written into the campaign's folder on the site (`name` relative to it). */
  helperFiles(needs: { wholeNode: boolean; ranks: boolean }): Array<Omit<FileToWrite, 'path'> & { name: string }>;
  /** The scheduler will not change this state any more (`ENDED_UNKNOWN` is fedbench's word, not one of its own). */
  isTerminal(state: string): boolean;
  /** Pending, running or ended (a terminal state, or `ENDED_UNKNOWN`). */
  phase(state: string): TaskPhase;
  /** An end that ran the job script to its end (Slurm's COMPLETED): a case with no record then failed on its own. */
  completed(state: string): boolean;
  /** What keeps the profile's partition from running its jobs (down, no GPUs, not the profile's GPU type). */
  partitionProblems(site: Site, partition: Partition): string[];
  /** The path of a job script in the campaign's folder on the site. */
  scriptPath(campaignDir: string, part: string): string;
  /** The log an array task writes (its job script's output), by task key. */
  logPath(campaignDir: string, taskKey: string): string;
  /** What a case that wrote no record is, given its task's terminal state. */
  endStatus(state: string): EndStatus;
  /** The end of a task in words: state, reason, time and node. */
  describeEnd(t: TaskState): string;
  /** A time limit in the profile's notation, in seconds. Throws Error on one the scheduler would not take. */
  timeLimitSeconds(limit: string): number;
  /** Cluster, partition and node of a job, from the environment its record kept. */
  jobPlacement(env: Record<string, string>): { cluster?: string; partition?: string; node?: string };
}
