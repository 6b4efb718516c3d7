// fedbench cancel: stops a campaign that should not run on. The intent is written to the journal first (who, when,
// which sites), then the site's queued and running jobs are cancelled through the scheduler adapter; cases whose job
// was never submitted get a `cancelled` record at once, and `collect` gives every case Slurm cancelled its record
// saying who cancelled it. Records already collected are left alone. Idempotent: a cancel killed half-way, or run
// twice, ends the same — the journal says the site is cancelled, so submit never resubmits it and a second cancel
// only cancels what is still queued.
import path from 'node:path';
import { errorText, InputError } from '../errors.js';
import { newRecord, unknownSystem, writeJsonAtomic, recordFileName, type RunRecord } from '../results/index.js';
import { schedulerOf } from '../scheduler/index.js';
import type { Site } from '../sites/index.js';
import { journalSaver, lockCampaign, type Journal, type SiteEntry } from './journal.js';
import type { SitePool } from './pool.js';
import { siteStates } from './status.js';

export interface CancelRequest {
  journal: Journal;
  campaignsDir: string;
  /** A site's profile, loaded only for sites with jobs to stop (a campaign of unsubmitted jobs needs none). */
  site: (name: string) => Site;
  pool: SitePool;
  /** Only these sites (default: every site of the campaign). */
  only?: readonly string[];
  /** Who cancels (user@host), for the journal and the records. */
  by: string;
  log?: (line: string) => void;
}

export interface SiteCancel {
  site: string;
  /** Jobs scancel was asked to stop (they had tasks still pending or running). */
  cancelledJobs: string[];
  /** Cases that were never submitted, now recorded as cancelled. */
  neverSubmitted: number;
  error: string | null;
}

export interface CancelOutcome {
  sites: SiteCancel[];
  /** When the campaign's cancel was first asked for (a repeated cancel keeps the first). */
  at: Record<string, { by: string; at: string }>;
}

/** The words every cancelled case's record carries: who and when. */
export function cancelNote(c: NonNullable<SiteEntry['cancelled']>): string {
  return `cancelled by ${c.by} at ${c.at} (fedbench cancel)`;
}

export async function cancelCampaign(req: CancelRequest): Promise<CancelOutcome> {
  const j = req.journal;
  const names = req.only?.length ? [...req.only] : Object.keys(j.sites);
  for (const n of names)
    if (!j.sites[n])
      throw new InputError(`campaign '${j.name}' has no site '${n}'. Its sites: ${Object.keys(j.sites).join(', ')}`);
  const log = req.log ?? (() => undefined);
  const unlock = lockCampaign(req.campaignsDir, j.name);
  try {
    const save = journalSaver(req.campaignsDir, j);
    // Write-ahead: once this is on disk, nothing submits these sites again, whatever happens next.
    const at = new Date().toISOString();
    for (const n of names) j.sites[n]!.cancelled ??= { by: req.by, at };
    await save();
    const out: CancelOutcome = { sites: [], at: {} };
    for (const n of names) out.at[n] = j.sites[n]!.cancelled!;
    await Promise.all(
      names.map(async (name) => {
        const entry = j.sites[name]!;
        const result: SiteCancel = { site: name, cancelledJobs: [], neverSubmitted: 0, error: null };
        out.sites.push(result);
        try {
          result.neverSubmitted = await recordNeverSubmitted(j, name, entry, save);
          const submitted = entry.jobs.filter((x) => x.jobId);
          if (!submitted.length) return;
          const site = req.site(name);
          const ex = req.pool.get(site);
          const kind = schedulerOf(site);
          const states = await siteStates(site, ex, entry);
          // a job still has work to stop when one of its tasks is queued or running, or (no accounting) still listed
          const live = submitted
            .map((x) => x.jobId!)
            .filter((id) =>
              [...states.tasks.values()].some((t) => t.arrayJobId === id && kind.phase(t.state) !== 'ended'),
            );
          if (live.length) await kind.on(ex).cancel(live);
          result.cancelledJobs = live;
          log(
            `${name}: ${live.length ? `cancelled job(s) ${live.join(', ')}` : 'no job still queued or running'}${result.neverSubmitted ? `; ${result.neverSubmitted} case(s) never submitted, recorded as cancelled` : ''}`,
          );
        } catch (err) {
          result.error = `site ${name}: ${errorText(err)}`;
        }
      }),
    );
    out.sites.sort((a, b) => a.site.localeCompare(b.site));
    return out;
  } finally {
    unlock();
  }
}

/**
 * Cases of jobs that were never submitted (a submit cut short, a site that refused a job) will not run: each gets a
 * `cancelled` record now, marked collected in the journal so it is written once.
 */
async function recordNeverSubmitted(
  j: Journal,
  site: string,
  entry: SiteEntry,
  save: () => Promise<void>,
): Promise<number> {
  let written = 0;
  const note = cancelNote(entry.cancelled!);
  for (const job of entry.jobs.filter((x) => !x.jobId)) {
    for (let i = 0; i < job.count; i++) {
      const key = `unsubmitted-${job.part}_${i}`;
      if (entry.progress[key]?.done) continue;
      const task = job.offset + i;
      const records: RunRecord[] = j.tasks[task]!.map((index) => {
        const c = j.cases[index]!;
        const now = new Date().toISOString();
        return newRecord({
          id: `cancelled-${site}-${job.part}-${i}-${c.index}`,
          campaign: j.name,
          suite: c.suite,
          case: c.id,
          startedAt: now,
          finishedAt: now,
          status: 'cancelled',
          error: `never submitted to site ${site}: ${note}`,
          benchmark: { id: c.benchmark.id, kind: c.benchmark.kind, workload: c.benchmark.workload, params: c.params },
          engine: { name: c.engine, requested: c.backend ? [c.backend] : [] },
          metric: c.metric,
          energy: { status: 'unavailable', reason: 'the case never ran' },
          system: unknownSystem('the case never ran', null),
          site,
        });
      });
      for (const r of records) await writeJsonAtomic(path.join(j.resultsDir, site, key, recordFileName(r)), r);
      entry.progress[key] = {
        state: 'CANCELLED',
        done: true,
        records: 0,
        synthesized: records.length,
        quarantined: 0,
        at: new Date().toISOString(),
      };
      await save();
      written += records.length;
    }
  }
  return written;
}
