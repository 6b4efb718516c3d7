// Campaigns launched (or followed) from the server: fedbench's own submit for profiles on disk, in-process; then
// every few seconds the scheduler is asked where each task stands, the state is pushed to every page following the
// campaign (server-sent events: each event the whole state, numbered, so a late or reconnecting page misses nothing
// it needs), and ended tasks are collected. Collected records go into the server's open database handle: a
// separate `fedbench collect` would wait on the embedded database's lock for as long as the server runs.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError, errorText } from '../errors.js';
import os from 'node:os';
import {
  campaignsDir as defaultCampaignsDir,
  cancelCampaign,
  collectCampaign,
  journalFile,
  journalSite,
  journalSites,
  lockCampaign,
  readJournal,
  SitePool,
  siteStates,
  submitCampaign,
  taskRefs,
  CAMPAIGN_NAME,
  printable,
  schedulerOf,
  type CancelOutcome,
  type Journal,
  type RenderedScript,
  type SchedulerKind,
  type TaskState,
} from '../federation/index.js';
import { readRecords } from '../results/index.js';
import { loadSites, siteNames, type Site } from '../sites/index.js';
import { builtinSuites, BUILTIN_SUITES_DIR, loadSuite } from '../suite/index.js';
import type { ServeDb } from './context.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export const launchSchema = z.strictObject({
  suite: z.string().regex(NAME, 'a suite name: letters, digits and . _ -'),
  sites: z
    .array(z.string().regex(NAME, 'a site name: letters, digits and . _ -'))
    .min(1, 'choose at least one site')
    .max(32),
  bench: z.array(z.string().max(200)).max(100).optional(),
  campaign: z.string().regex(CAMPAIGN_NAME, 'letters, digits and . _ - (up to 80)').optional(),
  eachNode: z.boolean().optional(),
  wholeNode: z.boolean().optional(),
  nodePairs: z.boolean().optional(),
  timeLimit: z
    .string()
    .regex(/^(?:\d+-)?\d{1,4}(?::\d{2}){0,2}$/, 'a Slurm time limit: MM, HH:MM:SS or D-HH:MM:SS')
    .optional(),
  casesPerTask: z.number().int().min(1).max(1000).optional(),
});
export type LaunchRequest = z.infer<typeof launchSchema>;

export type TaskPhase = 'pending' | 'running' | 'ended' | 'collected';

export interface TaskView {
  key: string;
  task: number;
  cases: string[];
  state: string;
  phase: TaskPhase;
  node: string | null;
  /** Why a task failed or waits (Slurm's reason, how it ended). */
  reason: string | null;
  records: number;
}

export interface SiteView {
  site: string;
  jobs: string[];
  error: string | null;
  tasks: TaskView[];
  counts: Record<TaskPhase, number>;
}

export interface CampaignView {
  campaign: string;
  suite: string;
  /** Event number: each event carries the whole state. */
  seq: number;
  at: string;
  sites: SiteView[];
  complete: boolean;
  /** What the last round could not do (a site unreachable, collect held by another process). */
  problems: string[];
  log: string[];
}

type Listener = (v: CampaignView) => void;

interface Followed {
  view: CampaignView | null;
  listeners: Set<Listener>;
  timer: NodeJS.Timeout | null;
  running: boolean;
  stopped: boolean;
  log: string[];
  /** The last state the scheduler gave for each task (site → task key), kept to say how a collected task ended. */
  last: Map<string, Map<string, TaskState>>;
}

export interface LauncherOptions {
  sitesDir: string;
  campaignsDir?: string;
  resultsDir: string;
  benchmarksDir: string;
  db: ServeDb;
  /** Between scheduler polls. */
  pollMs?: number;
  warn?: (line: string) => void;
}

export class Launcher {
  private readonly followed = new Map<string, Followed>();
  private readonly pool = new SitePool();
  readonly campaignsDir: string;
  private closed = false;
  /** Told after collected records went into the database. */
  onIngest: () => void = () => undefined;

  constructor(private readonly o: LauncherOptions) {
    this.campaignsDir = defaultCampaignsDir(o.campaignsDir);
  }

  /** Suite names a launch may use: the built-in ones and those in the benchmarks folder. */
  suites(): string[] {
    return [...new Set([...builtinSuites(this.o.benchmarksDir), ...builtinSuites(BUILTIN_SUITES_DIR)])].sort();
  }

  private suite(name: string) {
    if (!this.suites().includes(name))
      throw new InputError(`unknown suite '${name}'. Suites: ${this.suites().join(', ')}`);
    return loadSuite(
      name,
      builtinSuites(this.o.benchmarksDir).includes(name) ? this.o.benchmarksDir : BUILTIN_SUITES_DIR,
    );
  }

  private sites(req: LaunchRequest): Site[] {
    const known = siteNames(this.o.sitesDir);
    for (const s of req.sites)
      if (!known.includes(s)) throw new InputError(`unknown site '${s}'. Sites: ${known.join(', ') || '(none)'}`);
    const sites = loadSites(req.sites, this.o.sitesDir);
    if (req.timeLimit) {
      for (const s of sites) {
        schedulerOf(s).timeLimitSeconds(req.timeLimit); // throws on what the site's scheduler would not take
        s.scheduler.timeLimit = req.timeLimit;
      }
    }
    return sites;
  }

  private async submit(req: LaunchRequest, dryRun: boolean) {
    const suite = this.suite(req.suite);
    const cases = req.bench?.length
      ? suite.cases.filter((c) => req.bench!.includes(c.benchmark.id) || req.bench!.includes(c.id))
      : suite.cases;
    if (!cases.length) throw new InputError(`suite '${req.suite}' has no case of ${req.bench!.join(', ')}`);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const campaign = req.campaign ?? `${suite.name}-${stamp}`;
    if (!dryRun && existsSync(journalFile(this.campaignsDir, campaign)))
      throw new InputError(`campaign '${campaign}' exists already: choose another name`);
    const outcome = await submitCampaign({
      campaign,
      suite,
      cases,
      sites: this.sites(req),
      campaignsDir: this.campaignsDir,
      resultsDir: path.join(this.o.resultsDir, campaign),
      eachNode: Boolean(req.eachNode),
      wholeNode: Boolean(req.wholeNode),
      nodePairs: Boolean(req.nodePairs),
      casesPerTask: req.casesPerTask ?? 1,
      dryRun,
      pool: this.pool,
    });
    return { campaign, cases: cases.length, outcome };
  }

  /** The job scripts a launch would submit, rendered; nothing is uploaded or submitted. */
  async dryRun(req: LaunchRequest): Promise<{
    campaign: string;
    cases: number;
    scripts: RenderedScript[];
    errors: Array<{ site: string; message: string }>;
  }> {
    const { campaign, cases, outcome } = await this.submit(req, true);
    return {
      campaign,
      cases,
      scripts: outcome.scripts,
      errors: outcome.errors.map((e) => ({ site: e.site, message: printable(e.message) })),
    };
  }

  /** Submits for real, then follows the campaign until every task is collected. */
  async launch(req: LaunchRequest): Promise<{ campaign: string; errors: Array<{ site: string; message: string }> }> {
    const { campaign, outcome } = await this.submit(req, false);
    this.follow(campaign);
    return { campaign, errors: outcome.errors.map((e) => ({ site: e.site, message: printable(e.message) })) };
  }

  /**
   * Cancels a campaign's queued and running jobs at every site (federation's cancel: journalled first, idempotent),
   * then follows it so that collect records every case that will not run.
   */
  async cancel(name: string): Promise<CancelOutcome> {
    const j = this.journal(name);
    // a round that is collecting holds the campaign's lock: let it finish first (it is bounded by collect's work)
    const f = this.followed.get(name);
    for (let i = 0; f?.running && i < 300; i++) await new Promise((r) => setTimeout(r, 100));
    const out = await cancelCampaign({
      journal: j,
      campaignsDir: this.campaignsDir,
      site: (site) => journalSite(j, site),
      pool: this.pool,
      by: `${os.userInfo().username}@${os.hostname()} (fedbench serve)`,
    });
    if (f) void this.round(name, f);
    else this.follow(name);
    return out;
  }

  /** Journals in the campaigns folder, the newest first. */
  journals(): Journal[] {
    const dir = this.campaignsDir;
    if (!existsSync(dir)) return [];
    const out: Journal[] = [];
    for (const name of readJournalNames(dir))
      try {
        out.push(readJournal(dir, name));
      } catch {
        /* not a journal: listed nowhere */
      }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  journal(name: string): Journal {
    if (!CAMPAIGN_NAME.test(name)) throw new InputError(`bad campaign name '${name}'`);
    return readJournal(this.campaignsDir, name);
  }

  /** Starts following a campaign (idempotent); a complete one is polled once. */
  follow(name: string): void {
    if (this.closed || this.followed.has(name)) return;
    this.journal(name); // exists, or InputError
    const f: Followed = {
      view: null,
      listeners: new Set(),
      timer: null,
      running: false,
      stopped: false,
      log: [],
      last: new Map(),
    };
    this.followed.set(name, f);
    void this.round(name, f);
  }

  /** The current state, and every later one until the returned function is called. */
  subscribe(name: string, listener: Listener): () => void {
    this.follow(name);
    const f = this.followed.get(name)!;
    f.listeners.add(listener);
    if (f.view) listener(f.view);
    return () => f.listeners.delete(listener);
  }

  current(name: string): CampaignView | null {
    return this.followed.get(name)?.view ?? null;
  }

  private async round(name: string, f: Followed): Promise<void> {
    if (f.running || f.stopped) return;
    f.running = true;
    try {
      const view = await this.poll(name, f);
      view.seq = (f.view?.seq ?? 0) + 1;
      f.view = view;
      for (const l of f.listeners) l(view);
      if (view.complete) f.stopped = true;
    } catch (err) {
      this.o.warn?.(`campaign ${name}: ${errorText(err)}`);
    } finally {
      f.running = false;
      if (!f.stopped && !this.closed) f.timer = setTimeout(() => void this.round(name, f), this.o.pollMs ?? 3000);
    }
  }

  /** One look at the scheduler, and a collect when tasks have ended that are not collected yet. */
  private async poll(name: string, f: Followed): Promise<CampaignView> {
    const problems: string[] = [];
    let j = this.journal(name);
    const sites = journalSites(j);
    const states = new Map<string, Map<string, TaskState> | null>();
    await Promise.all(
      Object.entries(j.sites).map(async ([s, entry]) => {
        if (!entry.jobs.some((x) => x.jobId) || taskRefs(entry).every((t) => entry.progress[t.key]?.done))
          return void states.set(s, null);
        try {
          const st = await siteStates(sites.get(s)!, this.pool.get(sites.get(s)!), entry);
          states.set(s, st.tasks);
        } catch (err) {
          states.set(s, null);
          problems.push(`${s}: ${printable(errorText(err))}`);
        }
      }),
    );
    const toCollect = Object.entries(j.sites).some(([s, e]) =>
      taskRefs(e).some((t) => {
        const st = states.get(s)?.get(t.key);
        return !e.progress[t.key]?.done && st !== undefined && hasEnded(schedulerOf(sites.get(s)!), st.state);
      }),
    );
    if (toCollect) {
      let unlock: (() => void) | null = null;
      try {
        unlock = lockCampaign(this.campaignsDir, name);
      } catch (err) {
        problems.push(printable(errorText(err)));
      }
      if (unlock)
        try {
          const o = await collectCampaign({
            journal: j,
            campaignsDir: this.campaignsDir,
            sites,
            pool: this.pool,
            log: (line) => f.log.push(printable(line)),
          });
          for (const e of o.errors) problems.push(printable(e.message));
          for (const q of o.quarantined) f.log.push(`rejected ${q.site} ${q.task}/${q.file}: ${q.reason}`);
          if (o.landed + o.synthesized > 0 && existsSync(j.resultsDir)) {
            const { records } = await readRecords(j.resultsDir);
            await this.o.db.ingest(records, j.resultsDir);
            this.onIngest();
          }
          j = this.journal(name);
        } finally {
          unlock();
        }
    }
    f.log.splice(0, Math.max(0, f.log.length - 50));
    for (const [site, tasks] of states) {
      if (!tasks) continue;
      const kept = f.last.get(site) ?? new Map<string, TaskState>();
      for (const [k, t] of tasks) kept.set(k, t);
      f.last.set(site, kept);
    }
    return view(j, f.last, problems, f.log, (s) => schedulerOf(sites.get(s)!));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.followed.values()) {
      f.stopped = true;
      if (f.timer) clearTimeout(f.timer);
      f.listeners.clear();
    }
    await this.pool.close();
  }
}

function readJournalNames(dir: string): string[] {
  return (existsSync(dir) ? readdirSync(dir) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .filter((n) => CAMPAIGN_NAME.test(n));
}

/** The scheduler will not change this state (or the task left the queue of a site without accounting). */
const hasEnded = (kind: SchedulerKind, state: string) => kind.phase(state) === 'ended';

function phaseOf(kind: SchedulerKind, state: string, collected: boolean): TaskPhase {
  return collected ? 'collected' : kind.phase(state);
}

function view(
  j: Journal,
  states: ReadonlyMap<string, ReadonlyMap<string, TaskState> | null>,
  problems: string[],
  log: string[],
  kindOf: (site: string) => SchedulerKind,
): CampaignView {
  const sites = Object.entries(j.sites)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, entry]): SiteView => {
      const tasks = taskRefs(entry).map((t): TaskView => {
        const p = entry.progress[t.key];
        const st = states.get(s)?.get(t.key);
        // a collected task's end as collect recorded it; else what the scheduler said last
        const state = p?.done ? p.state : (st?.state ?? p?.state ?? 'SUBMITTED');
        const kind = kindOf(s);
        const phase = phaseOf(kind, state, Boolean(p?.done));
        const ended = hasEnded(kind, state);
        const failed = (ended && !kind.completed(state)) || Boolean(p?.synthesized);
        const endOf = st && hasEnded(kind, st.state) ? st : null;
        return {
          key: t.key,
          task: t.task,
          cases: (j.tasks[t.task] ?? []).map((i) => j.cases[i]?.id ?? String(i)),
          state,
          phase,
          node: st?.node ?? null,
          reason: failed
            ? endOf
              ? printable(kind.describeEnd(endOf))
              : p?.synthesized
                ? `${p.synthesized} case(s) wrote no record (see their records)`
                : null
            : phase === 'pending' && st?.reason && st.reason !== 'None'
              ? printable(st.reason)
              : null,
          records: p ? p.records + p.synthesized : 0,
        };
      });
      const counts: Record<TaskPhase, number> = { pending: 0, running: 0, ended: 0, collected: 0 };
      for (const t of tasks) counts[t.phase]++;
      return {
        site: s,
        jobs: entry.jobs.map((x) => x.jobId ?? `(not submitted: ${x.part})`),
        error: entry.error ? printable(entry.error) : null,
        tasks,
        counts,
      };
    });
  const complete = sites.every(
    (s) => s.error !== null || (s.tasks.length > 0 && s.counts.collected === s.tasks.length),
  );
  return {
    campaign: j.name,
    suite: j.suite.name,
    seq: 0,
    at: new Date().toISOString(),
    sites,
    complete,
    problems,
    log: [...log],
  };
}
