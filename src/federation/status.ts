// Where every task of a campaign stands, from the scheduler: sacct (array tasks, finished ones included),
// or squeue where the site has no accounting (then a task that left the queue has an unknown end).
import type { Executor } from '../remote/index.js';
import { parseSacct, parseSqueue, SACCT_ARGS, SQUEUE_ARGS, type TaskState } from '../slurm/index.js';
import { loadSite, type Site } from '../sites/index.js';
import type { Journal, SiteEntry } from './journal.js';

export interface SiteStates {
  /** By `ARRAYJOB_INDEX`. */
  tasks: Map<string, TaskState>;
  /** false: sacct is unavailable and only queued/running tasks are known. */
  accounting: boolean;
}

export async function siteStates(ex: Executor, entry: SiteEntry): Promise<SiteStates> {
  const ids = entry.jobs.map((x) => x.jobId).filter((x): x is string => Boolean(x));
  if (!ids.length) return { tasks: new Map(), accounting: true };
  const r = await ex.exec(['sacct', ...SACCT_ARGS, '-j', ids.join(',')], { readOnly: true });
  if (r.code === 0) return { tasks: parseSacct(r.stdout), accounting: true };
  if (!/accounting storage is disabled|slurmdbd/i.test(r.stderr)) {
    throw new Error(`${ex.where}: sacct failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  const q = await ex.exec(['squeue', ...SQUEUE_ARGS, '-j', ids.join(',')], { readOnly: true });
  // squeue lists the ids still known and exits 1 only when none is ("Invalid job id specified"): then every
  // task has ended. Any other failure (controller down) must not pass for "ended": nothing could be collected.
  if (q.code !== 0 && !/invalid job id/i.test(q.stderr)) {
    throw new Error(
      `${ex.where}: sacct is unavailable and squeue failed (exit ${q.code}): ${q.stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
  }
  return { tasks: parseSqueue(q.code === 0 ? q.stdout : ''), accounting: false };
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
    const s = states?.tasks.get(t.key)?.state ?? p?.state ?? (states && !states.accounting ? 'ENDED' : 'SUBMITTED');
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

/** The profiles a campaign's sites were submitted with (by name). */
export function journalSites(j: Journal): Map<string, Site> {
  return new Map(Object.entries(j.sites).map(([name, e]) => [name, loadSite(e.profile)]));
}
