// Where every task of a campaign stands, from the site's scheduler (scheduler/): every array task, finished ones
// included where the site keeps accounting; else only queued ones (then a task that left the queue has an unknown end).
import type { Executor } from '../remote/index.js';
import { ENDED_UNKNOWN, type ScheduledSite, schedulerOf, type SiteStates } from '../scheduler/index.js';
import { loadSite, type Site } from '../sites/index.js';
import type { Journal, SiteEntry } from './journal.js';

export type { SiteStates };

/** Where the site's submitted tasks stand (its scheduler's accounting, or its queue without accounting). */
export async function siteStates(
  site: ScheduledSite,
  ex: Pick<Executor, 'exec' | 'where'>,
  entry: SiteEntry,
): Promise<SiteStates> {
  return schedulerOf(site)
    .on(ex)
    .states(entry.jobs.map((x) => x.jobId).filter((x): x is string => Boolean(x)));
}

export interface TaskRef {
  key: string;
  jobId: string;
  arrayIndex: number;
  task: number;
  job: Journal['sites'][string]['jobs'][number];
}

/** Every submitted array task of a site. */
export function taskRefs(entry: SiteEntry): TaskRef[] {
  return entry.jobs.flatMap((job) =>
    job.jobId
      ? Array.from({ length: job.count }, (_, i) => ({
          key: `${job.jobId}_${i}`,
          jobId: job.jobId!,
          arrayIndex: i,
          task: job.offset + i,
          job,
        }))
      : [],
  );
}

export interface SiteStatus {
  site: string;
  error: string | null;
  jobs: string[];
  tasks: number;
  /** State → count (PENDING, RUNNING, COMPLETED, …; ENDED where only squeue answers and the task left the queue). */
  states: Record<string, number>;
  collected: number;
}

export function summarise(site: string, entry: SiteEntry, states: SiteStates | null, error: string | null): SiteStatus {
  const refs = taskRefs(entry);
  const counts: Record<string, number> = {};
  let collected = 0;
  for (const t of refs) {
    const p = entry.progress[t.key];
    if (p?.done) collected++;
    const s =
      states?.tasks.get(t.key)?.state ?? p?.state ?? (states && !states.accounting ? ENDED_UNKNOWN : 'SUBMITTED');
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return {
    site,
    error: error ?? entry.error,
    jobs: entry.jobs.map((x) => x.jobId ?? `(not submitted: ${x.part})`),
    tasks: refs.length,
    states: counts,
    collected,
  };
}

/** The profile one of a campaign's sites was submitted with. */
export function journalSite(j: Journal, name: string): Site {
  return loadSite(j.sites[name]!.profile);
}

/** The profiles a campaign's sites were submitted with (by name). */
export function journalSites(j: Journal): Map<string, Site> {
  return new Map(Object.entries(j.sites).map(([name, e]) => [name, loadSite(e.profile)]));
}
