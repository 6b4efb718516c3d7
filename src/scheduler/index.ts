// The scheduler registry: a site profile's `scheduler.kind` → its implementation. Federation reaches a site's batch
// system only through here; adding one is a folder implementing `SchedulerKind` (contract.ts) and a line below.
import { InputError } from '../errors.js';
import { slurmScheduler } from '../slurm/index.js';
import type { SchedulerKind } from './contract.js';

export { ENDED_UNKNOWN } from './contract.js';

const KINDS: ReadonlyMap<string, SchedulerKind> = new Map([[slurmScheduler.name, slurmScheduler]]);

/** The names `scheduler.kind` may take. */
export const SCHEDULER_KINDS: readonly string[] = [...KINDS.keys()];

/** What the registry reads of a site profile. */
export interface ScheduledSite {
  scheduler: { kind: string };
  /** The profile it came from, named in the error. */
  file?: string;
}

/** The scheduler of a site; an unknown kind is an InputError naming the profile and the kinds there are (the caller
 *  names the site). */
export function schedulerOf(site: ScheduledSite): SchedulerKind {
  const kind = KINDS.get(site.scheduler.kind);
  if (!kind)
    throw new InputError(
      `scheduler.kind '${site.scheduler.kind}'${site.file ? ` (${site.file})` : ''} is not one fedbench knows: ${SCHEDULER_KINDS.join(', ')}`,
    );
  return kind;
}

export type {
  ArrayJob,
  EndStatus,
  Partition,
  Scheduler,
  SchedulerConfig,
  SchedulerKind,
  SiteStates,
  Submitted,
  TaskPhase,
  TaskState,
} from './contract.js';
