// fedbench collect: brings every result of a campaign home. For each array task that has ended, its records
// are downloaded (SFTP), validated, joined with the scheduler's view (state, elapsed, exit code, node,
// ConsumedEnergyRaw) and written under RESULTS/<site>/<job>_<index>/; a case that wrote no record gets one
// that says why (failed / timeout / cancelled, with Slurm's state and the job log's last lines).
// Idempotent and resumable: local names follow remote names, a task is marked collected in the journal only
// after all its files are written, and every write is atomic — kill it anywhere, run it again.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { wholeNodes } from '../analysis/index.js';
import { schedulerEnergy, schedulerEnergyReplaces } from '../energy/index.js';
import { errorText } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import {
  claimedRunSchema,
  detailsOf,
  newRecord,
  runRecordSchema,
  unavailableEnergy,
  unknownSystem,
  upgradeRecord,
  writeJsonAtomic,
  type RunRecord,
  type SlurmInfo,
} from '../results/index.js';
import { printable, type Executor, type TreeSnapshot } from '../remote/index.js';
import { ENDED_UNKNOWN, schedulerOf, type SchedulerKind, type TaskState } from '../scheduler/index.js';
import type { Site } from '../sites/index.js';
import { ONE_NODE_ENERGY_WARNING } from '../workloads/ranks/index.js';
import { cancelNote } from './cancel.js';
import { journalSaver, type Journal, type PlannedCase, type SiteEntry } from './journal.js';
import type { SitePool } from './pool.js';
import { siteStates, taskRefs, type TaskRef } from './status.js';

/** A record is a few hundred kB at most (raw samples); anything far larger is not one. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface Quarantined {
  site: string;
  task: string;
  file: string;
  reason: string;
}

/** A whole-node run's figure, by the report's own rule (analysis/ `wholeNodes`). */
export interface NodeFigure {
  site: string;
  node: string;
  case: string;
  /** GPU workers that gave a result, of `gpus`. */
  workers: number;
  gpus: number;
  /** Sum of the GPUs' medians for a rate, the slowest GPU's for a time; null when a GPU gave no result. */
  figure: number | null;
  /** What `figure` is: 'node total (sum over GPUs)' or 'slowest GPU'. */
  figureName: string;
  unit: string;
  /** Why there is no figure. */
  problem: string | null;
}

export interface CollectOutcome {
  landed: number;
  synthesized: number;
  quarantined: Quarantined[];
  /** Tasks not ended yet, per site. */
  pending: Record<string, number>;
  errors: Array<{ site: string; message: string }>;
  nodeFigures: NodeFigure[];
  /** Every task of every reachable site is collected. */
  complete: boolean;
}

export interface CollectRequest {
  journal: Journal;
  campaignsDir: string;
  /** Loaded profiles of the journal's sites (by name). */
  sites: ReadonlyMap<string, Site>;
  pool: SitePool;
  log?: (line: string) => void;
  /** Called after each task is collected (tests use it to drop connections or stop mid-way). */
  afterTask?: (site: string, key: string) => Promise<void> | void;
  /** Ended tasks whose records are fetched together (one round trip on the openssh transport). Default 32. */
  tasksPerFetch?: number;
}

/** A local file name for a remote one: safe characters, at most ~170 bytes, its extension kept (`.json` records stay records). */
const safeName = (name: string) => {
  const ext = /(?<=.)\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? '';
  const stem = name.slice(0, name.length - ext.length);
  const clean = stem
    .replace(/[^A-Za-z0-9._=-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 150);
  return clean === stem ? name : `${clean}.${createHash('sha256').update(name).digest('hex').slice(0, 8)}${ext}`;
};

/**
 * The record's `slurm` field. Without accounting, sacct says nothing after a job ends: cluster, partition and node then
 * come from what squeue saw while the task ran, or from the job's own SLURM_* variables that its record kept.
 */
function slurmFields(
  kind: SchedulerKind,
  entry: SiteEntry,
  ref: TaskRef,
  st: TaskState,
  worker: number | null,
  jobEnv: Record<string, string> = {},
): SlurmInfo {
  const seen = entry.seen?.[ref.key];
  const job = kind.jobPlacement(jobEnv);
  return {
    cluster: st.cluster ?? ref.job.cluster ?? job.cluster ?? null,
    partition: st.partition ?? seen?.partition ?? job.partition ?? null,
    jobId: ref.jobId,
    arrayTaskId: ref.arrayIndex,
    task: ref.task,
    node: st.node ?? seen?.node ?? job.node ?? null,
    state: st.state === ENDED_UNKNOWN ? `${ENDED_UNKNOWN} (no accounting)` : st.state,
    elapsed: st.elapsedSeconds,
    exitCode: st.exitCode,
    start: st.start,
    end: st.end,
    consumedEnergyJ: st.consumedEnergyJ,
    energyScope: 'whole array task: every case it ran and fedbench start-up',
    ...(st.energyNote ? { energyNote: st.energyNote } : {}),
    ...(worker !== null ? { gpuWorker: worker, workers: entry.gpusPerNode } : {}),
  };
}

/** A record for a case that never wrote one: the job ended first. */
function missingRecord(
  kind: SchedulerKind,
  j: Journal,
  site: string,
  c: PlannedCase,
  ref: TaskRef,
  st: TaskState,
  worker: number | null,
  logTail: string,
  entry: SiteEntry,
): RunRecord {
  const status = kind.completed(st.state) ? 'failed' : kind.endStatus(st.state);
  const cancelled = status === 'cancelled' && entry.cancelled ? `, ${cancelNote(entry.cancelled)}` : '';
  const why = kind.completed(st.state)
    ? 'the job completed but wrote no record for this case'
    : `the job ended ${kind.describeEnd(st)}${cancelled} before this case wrote a record`;
  const at = st.end ?? st.start ?? new Date().toISOString();
  return newRecord({
    id: `slurm-${site}-${ref.key}-${c.index}${worker !== null ? `-gpu${worker}` : ''}`,
    campaign: j.name,
    suite: c.suite,
    case: c.id,
    startedAt: st.start ?? at,
    finishedAt: at,
    status,
    error: `Slurm job ${ref.key} at site ${site}: ${why}.${logTail ? ` Job log (last lines): ${logTail}` : ''}`,
    benchmark: { id: c.benchmark.id, kind: c.benchmark.kind, workload: c.benchmark.workload, params: c.params },
    // the engine never started here, as far as anyone knows
    engine: { name: c.engine, requested: c.backend ? [c.backend] : [] },
    metric: c.metric,
    energy: unavailableEnergy('the case did not run to the end of a measurement'),
    system: unknownSystem('the case wrote no record', st.node),
    site,
    slurm: slurmFields(kind, entry, ref, st, worker),
  });
}

/** Why a downloaded file is not a record of this task, or null if it is one. */
function rejectReason(
  j: Journal,
  expected: Map<string, PlannedCase>,
  data: Buffer,
): { reason: string } | { record: RunRecord } {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (err) {
    return { reason: `not JSON: ${errorText(err)}` };
  }
  // an older version fedbench reads is upgraded first, as every reader does
  const parsed = runRecordSchema.safeParse(upgradeRecord(json));
  if (!parsed.success)
    return {
      reason: `not a ${claimedRunSchema(json)} record: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    };
  const r = parsed.data;
  if (r.campaign !== j.name) return { reason: `belongs to campaign '${r.campaign}', not '${j.name}'` };
  const c = expected.get(r.case);
  if (!c) return { reason: `case '${r.case}' is not one this task ran (${[...expected.keys()].join(', ')})` };
  if (r.suite !== c.suite) return { reason: `suite '${r.suite}' is not '${c.suite}'` };
  return { record: r };
}

export async function collectCampaign(req: CollectRequest): Promise<CollectOutcome> {
  const j = req.journal;
  const log = req.log ?? (() => undefined);
  const save = journalSaver(req.campaignsDir, j);
  const out: CollectOutcome = {
    landed: 0,
    synthesized: 0,
    quarantined: [],
    pending: {},
    errors: [],
    nodeFigures: [],
    complete: true,
  };
  const quarantineDir = path.join(req.campaignsDir, `${j.name}.quarantine`);

  await Promise.all(
    Object.entries(j.sites).map(async ([siteName, entry]) => {
      const site = req.sites.get(siteName);
      if (!site || !entry.remoteDir || !entry.jobs.some((x) => x.jobId)) {
        if (entry.error)
          out.errors.push({ site: siteName, message: `site ${siteName} was not submitted to: ${entry.error}` });
        return;
      }
      const ex = req.pool.get(site);
      try {
        const refs = taskRefs(entry).filter((t) => !entry.progress[t.key]?.done);
        if (!refs.length) return;
        const states = await siteStates(site, ex, entry);
        const stateOf = (ref: TaskRef): TaskState | undefined =>
          states.tasks.get(ref.key) ??
          // no accounting: a task that left the queue has ended, how is unknown
          (states.accounting
            ? undefined
            : {
                key: ref.key,
                arrayJobId: ref.jobId,
                arrayIndex: ref.arrayIndex,
                state: ENDED_UNKNOWN,
                exitCode: '',
                elapsedSeconds: null,
                start: null,
                end: null,
                node: null,
                reason: 'sacct unavailable: end state unknown',
                partition: null,
                cluster: null,
                consumedEnergyJ: null,
                energyNote: null,
              });
        const hasEnded = (st: TaskState | undefined): boolean =>
          st !== undefined && schedulerOf(site).phase(st.state) === 'ended';
        // ended tasks' records fetched in batches (one session each on the openssh transport), a batch when first needed
        const ended = refs.filter((ref) => hasEnded(stateOf(ref))).map((r) => r.key);
        const perFetch = req.tasksPerFetch ?? 32;
        const batchOf = new Map(ended.map((key, i) => [key, Math.floor(i / perFetch)]));
        const recordsDir = `${entry.remoteDir}/records`;
        let files: Pick<Executor, 'readDir' | 'readFile'> = ex;
        let fetched = -1;
        for (const ref of refs) {
          const st = stateOf(ref);
          const batch = batchOf.get(ref.key);
          if (batch !== undefined && batch !== fetched) {
            const keys = ended.slice(batch * perFetch, (batch + 1) * perFetch);
            files = snapshotReader(ex, recordsDir, keys, await ex.readTree(recordsDir, keys, MAX_RECORD_BYTES));
            fetched = batch;
          }
          if (!st || !hasEnded(st)) {
            if (st && !states.accounting && (st.partition || st.node)) {
              const was = entry.seen?.[ref.key];
              if (was?.partition !== st.partition || was?.node !== st.node) {
                entry.seen = { ...entry.seen, [ref.key]: { partition: st.partition, node: st.node } };
                await save();
              }
            }
            out.pending[siteName] = (out.pending[siteName] ?? 0) + 1;
            out.complete = false;
            continue;
          }
          const r = await collectTask(req, site, entry, files, ref, st, quarantineDir, out);
          entry.progress[ref.key] = { state: st.state, done: true, ...r, at: new Date().toISOString() };
          await save();
          log(
            `${siteName}: ${ref.key} ${st.state}: ${r.records} record(s)${r.synthesized ? `, ${r.synthesized} for cases that did not run` : ''}${r.quarantined ? `, ${r.quarantined} quarantined` : ''}`,
          );
          await req.afterTask?.(siteName, ref.key);
        }
      } catch (err) {
        out.complete = false;
        out.errors.push({
          site: siteName,
          message: `site ${siteName}: ${errorText(err)}`,
        });
      }
    }),
  );
  return out;
}

/** readDir and readFile served from a snapshot of `dir`'s task folders; anything else from the site itself. */
function snapshotReader(
  ex: Executor,
  dir: string,
  subdirs: readonly string[],
  snap: TreeSnapshot,
): Pick<Executor, 'readDir' | 'readFile'> {
  const held = new Set(subdirs);
  const inside = (p: string) => {
    const rel = p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : null;
    return rel !== null && held.has(rel.split('/')[0]!) ? rel : null;
  };
  return {
    readDir: async (p) => {
      const rel = inside(p);
      return rel === null ? ex.readDir(p) : (snap.entries.get(rel) ?? []);
    },
    readFile: async (p, maxBytes) => {
      const rel = inside(p);
      const bytes = rel === null ? undefined : snap.contents.get(rel);
      return bytes && bytes.length <= maxBytes ? bytes : ex.readFile(p, maxBytes);
    },
  };
}

async function collectTask(
  req: CollectRequest,
  site: Site,
  entry: SiteEntry,
  ex: Pick<Executor, 'readDir' | 'readFile'>,
  ref: TaskRef,
  st: TaskState,
  quarantineDir: string,
  out: CollectOutcome,
): Promise<{ records: number; synthesized: number; quarantined: number }> {
  const j = req.journal;
  const expected = new Map(j.tasks[ref.task]!.map((i) => [j.cases[i]!.id, j.cases[i]!]));
  const remote = `${entry.remoteDir}/records/${ref.key}`;
  const local = path.join(j.resultsDir, site.name, ref.key);
  const workers = ref.job.wholeNode ? Array.from({ length: entry.gpusPerNode }, (_, i) => i) : [null];
  const seen = new Set<string>();
  const counts = { records: 0, synthesized: 0, quarantined: 0 };
  /** Every record of a GPU worker (whole-node run), for the node's figure. */
  const perGpu: RunRecord[] = [];

  const quarantine = async (sub: string, name: string, reason: string, data: Buffer | null) => {
    const dir = path.join(quarantineDir, site.name, ref.key, sub);
    const base = `${safeName(name)}.rejected`;
    await writeJsonAtomic(path.join(dir, `${base}.why.json`), {
      site: site.name,
      task: ref.key,
      remote: `${remote}/${sub ? `${sub}/` : ''}${name}`,
      reason,
    });
    if (data) await writeFileAtomic(path.join(dir, base), data);
    out.quarantined.push({
      site: site.name,
      task: ref.key,
      file: `${sub ? `${sub}/` : ''}${name}`,
      reason: printable(reason),
    });
    counts.quarantined++;
  };

  for (const worker of workers) {
    const sub = worker === null ? '' : `gpu${worker}`;
    const dir = sub ? `${remote}/${sub}` : remote;
    const candidates: Array<{ name: string; data: Buffer; record: RunRecord }> = [];
    for (const e of await ex.readDir(dir)) {
      if (e.name.endsWith('.tmp')) continue; // an atomic write the job did not finish
      if (worker === null && e.kind === 'dir' && /^gpu\d+$/.test(e.name)) continue;
      if (e.kind !== 'file') {
        await quarantine(
          sub,
          e.name,
          `not a regular file (${e.kind === 'dir' ? 'a folder' : 'a link or special file'}): not read`,
          null,
        );
        continue;
      }
      if (!e.name.endsWith('.json')) {
        await quarantine(sub, e.name, 'not a record file (*.json): not read', null);
        continue;
      }
      if (e.size > MAX_RECORD_BYTES) {
        await quarantine(
          sub,
          e.name,
          `${e.size} bytes, over the ${MAX_RECORD_BYTES}-byte limit for a record: not read`,
          null,
        );
        continue;
      }
      const data = await ex.readFile(`${dir}/${e.name}`, MAX_RECORD_BYTES);
      const verdict = rejectReason(j, expected, data);
      if ('reason' in verdict) {
        await quarantine(sub, e.name, verdict.reason, data);
        continue;
      }
      candidates.push({ name: e.name, data, record: verdict.record });
    }
    // one record per case: a task that ran again (requeued) may have left an earlier run's; the last run's is kept
    candidates.sort((a, b) => b.record.finishedAt.localeCompare(a.record.finishedAt) || a.name.localeCompare(b.name));
    for (const { name, data, record: found } of candidates) {
      if (seen.has(`${found.case}|${sub}`)) {
        await quarantine(
          sub,
          name,
          `a second record of case '${found.case}' in this task (finished ${found.finishedAt}): the task ran it again (requeued?); the later one is kept`,
          data,
        );
        continue;
      }
      const record: RunRecord = {
        ...found,
        site: site.name,
        slurm: slurmFields(schedulerOf(site), entry, ref, st, worker, found.system.env),
      };
      // a task that ran one case alone: the scheduler's energy for the job is that case's (start-up included);
      // a measurement, it replaces nothing measured but does replace an estimate from declared power — and the one
      // node's meters of a multi-node case, since the scheduler accounts every node of the job
      const nodes = detailsOf(record, 'command')?.ranks?.nodes ?? [];
      if (
        schedulerEnergyReplaces(record.energy, nodes.length) &&
        st.consumedEnergyJ !== null &&
        expected.size === 1 &&
        worker === null &&
        st.elapsedSeconds !== null
      ) {
        record.energy = schedulerEnergy(
          {
            joules: st.consumedEnergyJ,
            elapsedSeconds: st.elapsedSeconds,
            device: nodes.length > 1 ? nodes.join(',') : (st.node ?? 'job'),
          },
          found.energy,
          nodes,
        );
        record.warnings = record.warnings.filter((w) => !w.startsWith(ONE_NODE_ENERGY_WARNING));
      }
      runRecordSchema.parse(record);
      await writeJsonAtomic(path.join(local, sub, safeName(name)), record);
      seen.add(`${record.case}|${sub}`);
      counts.records++;
      out.landed++;
      if (worker !== null) perGpu.push(record);
    }
  }

  let logTail: string | null = null;
  for (const worker of workers) {
    const sub = worker === null ? '' : `gpu${worker}`;
    for (const c of expected.values()) {
      if (seen.has(`${c.id}|${sub}`)) continue;
      logTail ??= await jobLogTail(ex, schedulerOf(site).logPath(entry.remoteDir!, ref.key));
      const record = missingRecord(schedulerOf(site), j, site.name, c, ref, st, worker, logTail, entry);
      await writeJsonAtomic(path.join(local, sub, `missing.${String(c.index).padStart(5, '0')}.json`), record);
      if (worker !== null) perGpu.push(record);
      counts.synthesized++;
      out.synthesized++;
    }
  }
  // the report's rule, on the records just written: a node with a GPU missing has no figure
  for (const c of wholeNodes(perGpu))
    for (const run of c.runs)
      if (run.ok > 0)
        out.nodeFigures.push({
          site: site.name,
          node: run.node,
          case: c.case,
          workers: run.ok,
          gpus: run.gpus,
          figure: run.figure,
          figureName: c.figureName,
          unit: c.unit,
          problem: run.problem === null ? null : printable(run.problem),
        });
  return counts;
}

async function jobLogTail(ex: Pick<Executor, 'readFile'>, file: string): Promise<string> {
  try {
    const lines = (await ex.readFile(file, 4 * 1024 * 1024))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .slice(-40);
    // the first error line says most (a stack trace follows it), then how the log ends
    const firstError = lines.find((l) => /\berror\b/i.test(l));
    const tail = lines.slice(-4);
    const picked = firstError && !tail.includes(firstError) ? [firstError, '…', ...tail] : tail;
    return printable(picked.map((l) => l.trim()).join(' | ')).slice(-1500);
  } catch {
    return '';
  }
}
