// fedbench submit: plan a campaign, put its files on every site (SFTP), and submit one job array per site
// (chunked to MaxArraySize; one per node for a node sweep). The journal is written before sbatch and after
// each job id, so an interrupted submit resumes without submitting anything twice.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, errorText } from '../errors.js';
import { CommandError, type Executor, type FileToWrite } from '../remote/index.js';
import { resolveWorkdir, type Site } from '../sites/index.js';
import { schedulerOf } from '../scheduler/index.js';
import type { Case, Suite } from '../suite/index.js';
import {
  JOURNAL_SCHEMA,
  journalFile,
  journalSaver,
  lockCampaign,
  readJournal,
  type Journal,
  type JournalJob,
  type SiteEntry,
} from './journal.js';
import { cancelNote } from './cancel.js';
import { arrayRanges, chunkTasksByWorld, oneCaseSuite, planCases, worldOfCase, worldRanges } from './plan.js';
import type { SitePool } from './pool.js';

export interface SubmitRequest {
  campaign: string;
  suite: Suite;
  cases: readonly Case[];
  sites: readonly Site[];
  campaignsDir: string;
  resultsDir: string;
  eachNode?: boolean;
  wholeNode?: boolean;
  /** Each case (every one of 2 nodes) once on every pair of the partition's nodes, one job per pair. */
  nodePairs?: boolean;
  casesPerTask?: number;
  /** Render and print the scripts; upload and submit nothing. */
  dryRun?: boolean;
  pool: SitePool;
  log?: (line: string) => void;
}

export interface RenderedScript {
  site: string;
  part: string;
  path: string;
  text: string;
}

export interface SubmitOutcome {
  journal: Journal;
  scripts: RenderedScript[];
  /** Sites that could not be submitted to, with the reason (also in the journal); badInput: the profile's fault (InputError). */
  errors: Array<{ site: string; message: string; badInput: boolean }>;
}

/** The start command on a compute node: the profile's, or the copy `fedbench deploy` installs; container prefix first. */
export function startCommand(site: Site, workdir: string): string[] {
  const cmd = site.fedbench.command ?? [site.fedbench.node, `${workdir}/fedbench/dist/cli/main.js`];
  return [...(site.fedbench.container ?? []), ...cmd];
}

function newJournal(req: SubmitRequest): Journal {
  const casesPerTask = req.casesPerTask ?? 1;
  const cases = planCases(req.cases);
  return {
    schema: JOURNAL_SCHEMA,
    name: req.campaign,
    createdAt: new Date().toISOString(),
    suite: { name: req.suite.name, file: req.suite.file },
    options: {
      eachNode: req.eachNode ?? false,
      wholeNode: req.wholeNode ?? false,
      casesPerTask,
      ...(req.nodePairs ? { nodePairs: true } : {}),
    },
    resultsDir: path.resolve(req.resultsDir),
    cases,
    tasks: chunkTasksByWorld(cases, casesPerTask),
    sites: {},
  };
}

async function planSite(
  site: Site,
  ex: Executor,
  j: Journal,
): Promise<{ entry: SiteEntry; scripts: RenderedScript[]; remoteDir: string; workdir: string; notes: string[] }> {
  const workdir = await resolveWorkdir(ex, site);
  const remoteDir = `${workdir}/campaigns/${j.name}`;
  const kind = schedulerOf(site);
  const maxArray = site.scheduler.maxArraySize ?? (await kind.on(ex).config()).maxArraySize ?? kind.defaultMaxArraySize;
  // where each set of arrays runs: anywhere (one set), on each node (a node sweep), on each pair of nodes
  let placements: Array<{ node: string | null; pair?: [string, string] }> = [{ node: null }];
  const notes: string[] = [];
  if (j.options.eachNode || j.options.nodePairs) {
    let nodes = await kind.on(ex).nodes(site.scheduler.partition);
    if (j.options.nodePairs) {
      // a pair's job on a node that is down or drained would wait for it forever: those nodes are left out, said so
      const states = await kind.on(ex).nodeStates(site.scheduler.partition);
      const out = states.filter((s) => !s.usable);
      if (out.length)
        notes.push(
          `node-pair sweep leaves out ${out.map((s) => `${s.node} (${s.state})`).join(', ')}: a job there could not start`,
        );
      nodes = states.filter((s) => s.usable).map((s) => s.node);
    }
    if (!nodes.length)
      throw new InputError(
        `scheduler.partition '${site.scheduler.partition}' (${site.file}) lists no nodes (sinfo), nothing to sweep`,
      );
    if (j.options.nodePairs && nodes.length < 2)
      throw new InputError(
        `--node-pairs needs two nodes or more that can run jobs; partition '${site.scheduler.partition}' of site ${site.name} has ${nodes.length} (sinfo)`,
      );
    placements = j.options.nodePairs
      ? nodePairs(nodes).map((pair) => ({ node: null, pair }))
      : nodes.map((node) => ({ node }));
  }
  const ranges = worldRanges(j.tasks, j.cases);
  await refuseWorlds(site, ex, j, ranges);
  const jobs: JournalJob[] = [];
  const scripts: RenderedScript[] = [];
  const fedbench = startCommand(site, workdir);
  for (const { node, pair } of placements) {
    const parts = ranges.flatMap(({ world, offset, count }) =>
      arrayRanges(count, maxArray).map((r) => ({ world, offset: offset + r.offset, count: r.count })),
    );
    parts.forEach(({ world, offset, count }, i) => {
      const where = node ? `${node}-` : pair ? `${pair.join('+')}-` : '';
      const part = `${where}${world ? `${world.nodes}x${world.perNode}-` : ''}${i}`;
      const name = jobName(`fb-${j.name}-${site.name}-${part}`);
      const script = kind.scriptPath(remoteDir, part);
      const text = kind.jobScript(site, {
        campaign: j.name,
        part,
        jobName: name,
        campaignDir: remoteDir,
        count,
        offset,
        ...(node ? { node } : {}),
        ...(pair ? { nodes: pair } : {}),
        wholeNode: j.options.wholeNode,
        ...(world ? { world } : {}),
        fedbench,
      });
      jobs.push({
        part,
        name,
        script,
        node,
        ...(pair ? { nodes: pair } : {}),
        wholeNode: j.options.wholeNode,
        ...(world ? { world } : {}),
        offset,
        count,
        jobId: null,
        cluster: null,
        submittedAt: null,
      });
      scripts.push({ site: site.name, part, path: script, text });
    });
  }
  return {
    entry: { profile: site.file, remoteDir, gpusPerNode: site.facts.gpu.perNode, jobs, error: null, progress: {} },
    scripts,
    remoteDir,
    workdir,
    notes,
  };
}

/** Job names stay under 120 characters and unique: a resumed submit finds its job by name. */
const JOB_NAME_MAX = 120;
function jobName(full: string): string {
  if (full.length <= JOB_NAME_MAX) return full;
  return `${full.slice(0, JOB_NAME_MAX - 9)}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;
}

/** Every unordered pair of the nodes, in the order given (sorted by name): n(n-1)/2 jobs of a node-pair sweep. */
export function nodePairs(nodes: readonly string[]): Array<[string, string]> {
  return nodes.flatMap((a, i) => nodes.slice(i + 1).map((b): [string, string] => [a, b]));
}

/**
 * A node-pair sweep runs cases of two nodes, and only those: refused before anything is planned, naming the case.
 * Such a case cannot also be a node sweep or whole-node run (each places its own jobs).
 */
export function refuseNodePairs(req: Pick<SubmitRequest, 'cases' | 'nodePairs' | 'eachNode' | 'wholeNode'>): void {
  if (!req.nodePairs) return;
  if (req.eachNode || req.wholeNode)
    throw new InputError(
      `--node-pairs places one job on each pair of nodes: it cannot run with ${req.eachNode ? '--each-node' : '--whole-node'}`,
    );
  for (const c of req.cases) {
    const w = worldOfCase(c);
    if (w?.nodes !== 2)
      throw new InputError(
        `case ${c.id} ${w ? `asks for ${w.nodes} node(s)` : 'runs as one process'}: --node-pairs runs cases of nodes: 2 (ranks on two nodes) once on every pair of the partition's nodes`,
      );
  }
}

/**
 * Cases of `nodes` × `gpusPerNode` the site cannot give, refused before anything is submitted: more nodes than the
 * partition has (sinfo), more ranks per node than its GPUs per node, or a shape a node sweep / whole nodes cannot take.
 */
async function refuseWorlds(
  site: Site,
  ex: Executor,
  j: Journal,
  ranges: ReturnType<typeof worldRanges>,
): Promise<void> {
  const worlds = ranges.flatMap((r) => (r.world ? [r.world] : []));
  if (!worlds.length) return;
  const caseOf = (w: { nodes: number; perNode: number }) =>
    j.cases.find((c) => {
      const cw = worldOfCase(c);
      return cw?.nodes === w.nodes && cw.perNode === w.perNode;
    })?.id ?? `${w.nodes} × ${w.perNode}`;
  if (j.options.wholeNode || j.options.eachNode)
    throw new InputError(
      `case ${caseOf(worlds[0]!)} sets nodes × gpusPerNode: it cannot run with ${j.options.wholeNode ? '--whole-node' : '--each-node'}, which place one process per GPU or one node per job`,
    );
  const partition = site.scheduler.partition;
  const have = (await schedulerOf(site).on(ex).nodes(partition)).length;
  const perNode = site.facts.gpu.perNode;
  for (const w of worlds) {
    if (w.nodes > have)
      throw new InputError(
        `case ${caseOf(w)} asks for ${w.nodes} nodes; partition '${partition}' of site ${site.name} has ${have} (sinfo)`,
      );
    if (perNode > 0 && w.perNode > perNode)
      throw new InputError(
        `case ${caseOf(w)} asks for ${w.perNode} ranks (GPUs) per node; site ${site.name}'s nodes have ${perNode} GPUs (${site.file})`,
      );
  }
}

/** Puts the campaign's files on the site: one suite file per case, task folders, the GPU worker, the scripts. */
async function upload(
  site: Site,
  ex: Executor,
  remoteDir: string,
  j: Journal,
  cases: readonly Case[],
  scripts: RenderedScript[],
): Promise<void> {
  await ex
    .exec(
      [
        'mkdir',
        '-p',
        '--',
        `${remoteDir}/logs`,
        `${remoteDir}/records`,
        ...j.tasks.map((_, t) => `${remoteDir}/tasks/${t}`),
      ],
      { readOnly: true },
    )
    .then((r) => {
      if (r.code !== 0) throw new CommandError(ex.where, ['mkdir', '-p', remoteDir], r);
    });
  const files: FileToWrite[] = [];
  j.tasks.forEach((caseIdx, t) => {
    for (const i of caseIdx)
      files.push({
        path: `${remoteDir}/tasks/${t}/${String(i).padStart(5, '0')}.yaml`,
        data: oneCaseSuite(cases[i]!),
        mode: 0o644,
      });
  });
  const helpers = schedulerOf(site).helperFiles({
    wholeNode: j.options.wholeNode,
    ranks: j.tasks.some((t) => worldOfCase(j.cases[t[0]!]!)),
  });
  for (const { name, ...file } of helpers) files.push({ path: `${remoteDir}/${name}`, ...file });
  for (const s of scripts) files.push({ path: s.path, data: s.text, mode: 0o644 });
  await ex.writeFiles(files);
}

export async function submitCampaign(req: SubmitRequest): Promise<SubmitOutcome> {
  const log = req.log ?? (() => undefined);
  const resuming = existsSync(journalFile(req.campaignsDir, req.campaign));
  const unlock = req.dryRun ? () => undefined : lockCampaign(req.campaignsDir, req.campaign);
  try {
    if (!resuming) refuseNodePairs(req);
    const j = resuming ? readJournal(req.campaignsDir, req.campaign) : newJournal(req);
    if (resuming) {
      // a resume keeps the campaign's own plan: a placement flag it was not planned with would be silently ignored
      const asked = { eachNode: '--each-node', wholeNode: '--whole-node', nodePairs: '--node-pairs' } as const;
      for (const [k, flag] of Object.entries(asked) as Array<[keyof typeof asked, string]>)
        if (req[k] && !j.options[k])
          throw new InputError(
            `campaign '${req.campaign}' exists and was planned without ${flag}; a resume keeps its plan: leave ${flag} out, or choose another --campaign name`,
          );
      const want = req.cases.map((c) => c.id).join('\n');
      if (j.cases.map((c) => c.id).join('\n') !== want || j.suite.name !== req.suite.name) {
        throw new InputError(
          `campaign '${req.campaign}' exists with other cases (suite ${j.suite.name}, ${j.cases.length} cases): choose another --campaign name`,
        );
      }
    }
    const save = journalSaver(req.campaignsDir, j);
    const scripts: RenderedScript[] = [];
    const errors: SubmitOutcome['errors'] = [];
    await Promise.all(
      req.sites.map(async (site) => {
        const ex = req.pool.get(site);
        try {
          let entry = j.sites[site.name];
          if (entry?.cancelled) {
            log(`${site.name}: ${cancelNote(entry.cancelled)}: nothing submitted`);
            return;
          }
          if (entry?.jobs.length && entry.jobs.every((x) => x.jobId)) {
            log(`${site.name}: already submitted (${entry.jobs.map((x) => x.jobId).join(', ')})`);
            return;
          }
          const planned = await planSite(site, ex, j);
          for (const note of planned.notes) log(`${site.name}: ${note}`);
          scripts.push(...planned.scripts);
          if (req.dryRun) return;
          if (!entry?.jobs.length) {
            await upload(site, ex, planned.remoteDir, j, req.cases, planned.scripts);
            entry = planned.entry;
            j.sites[site.name] = entry;
            await save();
          }
          entry.error = null;
          for (const job of entry.jobs) {
            if (job.jobId) continue;
            // a job this campaign may have submitted already (killed after sbatch, before the journal write): adopt it,
            // queued, running or ended; where the site cannot say, fail here rather than run its cases twice
            const adopted = job.sbatchAt
              ? await schedulerOf(site)
                  .on(ex)
                  .submittedJob(job.name, job.sbatchAt ?? j.createdAt)
              : null;
            let jobId = adopted;
            let cluster: string | null = null;
            if (!jobId) {
              job.sbatchAt = new Date().toISOString();
              await save();
              const submitted = await schedulerOf(site).on(ex).submit(job.script, { cwd: entry.remoteDir! });
              if ('refused' in submitted)
                throw new Error(
                  `sbatch refused ${job.script} (profile ${site.file}):\n  ${submitted.refused.replace(/\n/g, '\n  ')}`,
                );
              ({ jobId, cluster } = submitted);
              // the soak's fault injector (src/soak/) dies exactly here, a moment a random kill seldom hits
              if (process.env.FEDBENCH_FAULT === 'after-sbatch') process.kill(process.pid, 'SIGKILL');
            }
            job.jobId = jobId;
            job.cluster = cluster;
            job.submittedAt = new Date().toISOString();
            await save();
            log(
              `${site.name}: ${adopted ? 'adopted (submitted before fedbench was stopped)' : 'submitted'} job ${jobId} (${job.count} task(s)${job.node ? ` on ${job.node}` : job.nodes ? ` on ${job.nodes.join(' and ')}` : ''})`,
            );
          }
        } catch (err) {
          const message = errorText(err);
          errors.push({
            site: site.name,
            message: `site ${site.name}: ${message}`,
            badInput: err instanceof InputError,
          });
          if (!req.dryRun) {
            j.sites[site.name] ??= {
              profile: site.file,
              remoteDir: null,
              gpusPerNode: site.facts.gpu.perNode,
              jobs: [],
              error: null,
              progress: {},
            };
            j.sites[site.name]!.error = message;
            await save();
          }
        }
      }),
    );
    if (!req.dryRun) await save();
    return { journal: j, scripts, errors };
  } finally {
    unlock();
  }
}

/** For `status` and `collect`: the profile a journal's site was submitted with. */
export function profileOf(j: Journal, site: string): string {
  const e = j.sites[site];
  if (!e)
    throw new InputError(`campaign '${j.name}' has no site '${site}'. Its sites: ${Object.keys(j.sites).join(', ')}`);
  if (!existsSync(e.profile))
    throw new InputError(`site profile ${e.profile} (used to submit campaign '${j.name}') is gone`);
  return e.profile;
}
