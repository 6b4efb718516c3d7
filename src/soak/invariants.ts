// What must hold after any faults once fedbench has been run again as a user would (issue 23): every case ended
// exactly once with its reason, no record lost or doubled (files and database alike), no job left at a site, a clean
// re-collect gives the same records, and no file at home that looks complete but is not.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Journal } from '../federation/index.js';
import { runRecordSchema, type RunRecord } from '../results/index.js';

export interface Violation {
  invariant: string;
  campaign: string;
  detail: string;
}

/** Every file under `dir` (relative paths). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** The records at home, by path; a `.json` file that is not a valid record is a violation (it looks complete). */
export function homeRecords(j: Journal, out: Violation[]): Map<string, RunRecord> {
  const records = new Map<string, RunRecord>();
  for (const rel of filesUnder(j.resultsDir)) {
    if (!rel.endsWith('.json')) continue;
    const file = path.join(j.resultsDir, rel);
    try {
      records.set(rel, runRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
    } catch (err) {
      out.push({
        invariant: 'no corrupt file at home',
        campaign: j.name,
        detail: `${file}: ${String(err).slice(0, 200)}`,
      });
    }
  }
  return records;
}

// a case past its time limit is `timeout`: failed, with that reason
const ENDED = new Set(['ok', 'failed', 'skipped', 'timeout', 'cancelled']);

/** Each planned (site, array task, case) has exactly one record, ended, with a reason unless ok. */
export function checkEndedOnce(j: Journal, records: Map<string, RunRecord>, out: Violation[]): number {
  const want = new Map<string, number>();
  for (const [site, entry] of Object.entries(j.sites)) {
    if (!entry.jobs.length && !entry.cancelled)
      out.push({
        invariant: 'every case ended once',
        campaign: j.name,
        detail: `site ${site} was never submitted to: ${entry.error}`,
      });
    for (const job of entry.jobs)
      for (let i = 0; i < job.count; i++) {
        const key = job.jobId ? `${job.jobId}_${i}` : `unsubmitted-${job.part}_${i}`;
        if (!job.jobId && !entry.cancelled) {
          out.push({
            invariant: 'every case ended once',
            campaign: j.name,
            detail: `${site} job ${job.part} was never submitted`,
          });
          continue;
        }
        for (const c of j.tasks[job.offset + i]!) want.set(`${site}/${key}|${j.cases[c]!.id}`, 0);
      }
  }
  for (const [rel, r] of records) {
    const [site, key] = rel.split(path.sep);
    const k = `${site}/${key}|${r.case}`;
    if (!want.has(k)) {
      out.push({
        invariant: 'every case ended once',
        campaign: j.name,
        detail: `${rel}: a record of no planned case (${k})`,
      });
      continue;
    }
    want.set(k, want.get(k)! + 1);
    if (!ENDED.has(r.status))
      out.push({ invariant: 'every case ended once', campaign: j.name, detail: `${rel}: status ${r.status}` });
    if (r.status !== 'ok' && !r.error)
      out.push({
        invariant: 'every case ended once',
        campaign: j.name,
        detail: `${rel}: ${r.status} without a reason`,
      });
  }
  for (const [k, n] of want)
    if (n !== 1)
      out.push({
        invariant: 'every case ended once',
        campaign: j.name,
        detail: `${k}: ${n === 0 ? 'no record' : `${n} records`}`,
      });
  return want.size;
}

/** A task's folder as slurm/templates/array.sbatch renames it when the task starts again. */
const SUPERSEDED_RUN = /^\d+_\d+\.before-restart-\d+$/;

/** Every valid record a job left on the site is at home (by id); ids are unique at home. */
export function checkNoneLostOrDoubled(j: Journal, records: Map<string, RunRecord>, out: Violation[]): void {
  const ids = new Map<string, string>();
  for (const [rel, r] of records) {
    const was = ids.get(r.id);
    if (was) out.push({ invariant: 'no record doubled', campaign: j.name, detail: `id ${r.id} in ${was} and ${rel}` });
    ids.set(r.id, rel);
  }
  for (const [site, entry] of Object.entries(j.sites)) {
    if (!entry.remoteDir) continue;
    const dir = path.join(entry.remoteDir, 'records');
    for (const rel of filesUnder(dir)) {
      if (!rel.endsWith('.json')) continue;
      // an earlier run of a task that ran again: set aside by the job script, its cases ran anew (checked above)
      if (SUPERSEDED_RUN.test(rel.split(path.sep)[0]!)) continue;
      let r: RunRecord;
      try {
        r = runRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, rel), 'utf8')));
      } catch {
        continue; // a file the soak corrupted (or a job's write cut short): collect quarantines it
      }
      if (!ids.has(r.id))
        out.push({
          invariant: 'no record lost',
          campaign: j.name,
          detail: `${site}:${path.join(dir, rel)} (${r.case}) is not at home`,
        });
    }
  }
}

/** The database holds exactly the records on disk. */
export function checkDatabase(
  j: Journal,
  records: Map<string, RunRecord>,
  inDb: readonly RunRecord[],
  out: Violation[],
): void {
  const disk = new Set([...records.values()].map((r) => r.id));
  const db = new Set(inDb.map((r) => r.id));
  for (const id of disk)
    if (!db.has(id))
      out.push({
        invariant: 'database = records on disk',
        campaign: j.name,
        detail: `${id} on disk, not in the database`,
      });
  for (const id of db)
    if (!disk.has(id))
      out.push({
        invariant: 'database = records on disk',
        campaign: j.name,
        detail: `${id} in the database, not on disk`,
      });
  if (inDb.length !== db.size)
    out.push({
      invariant: 'database = records on disk',
      campaign: j.name,
      detail: `${inDb.length - db.size} duplicate row(s)`,
    });
}

/** What collect wrote equals what a clean collect of the same jobs writes (cancel's own records aside). */
export function checkRecollect(
  j: Journal,
  records: Map<string, RunRecord>,
  clean: Map<string, RunRecord>,
  out: Violation[],
): void {
  const mine = (m: Map<string, RunRecord>) =>
    [...m.keys()].filter((k) => !k.split(path.sep)[1]!.startsWith('unsubmitted-')).sort();
  const a = mine(records);
  const b = mine(clean);
  for (const k of a)
    if (!clean.has(k))
      out.push({ invariant: 'report = clean re-collect', campaign: j.name, detail: `${k} only after the soak` });
  for (const k of b)
    if (!records.has(k))
      out.push({
        invariant: 'report = clean re-collect',
        campaign: j.name,
        detail: `${k} only in the clean re-collect`,
      });
  for (const k of a)
    if (clean.has(k) && !isDeepStrictEqual(records.get(k), clean.get(k)))
      out.push({
        invariant: 'report = clean re-collect',
        campaign: j.name,
        detail: `${k} differs: ${firstDifference(records.get(k), clean.get(k))}`,
      });
}

function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, at ? `${at}.${k}` : k);
    }
  }
  return `${at || '(root)'}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
}
