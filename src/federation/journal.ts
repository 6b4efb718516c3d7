// The campaign journal: what was planned and submitted where, and what has been collected. One JSON file
// per campaign, rewritten atomically after every step, so a campaign survives fedbench being killed at any point.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { benchmarkKindSchema, engineNameSchema, metricSchema, writeJsonAtomic } from '../results/index.js';

export const JOURNAL_SCHEMA = 'fedbench.campaign/1';

export const plannedCaseSchema = z.object({
  index: z.number().int(),
  id: z.string(),
  suite: z.string(),
  benchmark: z.object({
    id: z.string(),
    workload: z.string(),
    kind: benchmarkKindSchema,
  }),
  engine: engineNameSchema,
  backend: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  metric: metricSchema,
});
export type PlannedCase = z.infer<typeof plannedCaseSchema>;

export const jobSchema = z.object({
  part: z.string(),
  name: z.string(),
  script: z.string(),
  node: z.string().nullable(),
  /** A node-pair sweep's job: the two nodes it runs on. */
  nodes: z.array(z.string()).optional(),
  wholeNode: z.boolean(),
  /** Cases of `nodes` × `gpusPerNode`: each array task is one allocation of that shape, ranks started by srun. */
  world: z.object({ nodes: z.number().int(), perNode: z.number().int() }).optional(),
  /** Array index i runs task offset + i. */
  offset: z.number().int(),
  count: z.number().int(),
  jobId: z.string().nullable(),
  cluster: z.string().nullable(),
  submittedAt: z.string().nullable(),
  /**
   * Written before sbatch runs (write-ahead): a job with it and no jobId may be on the site already (fedbench killed
   * between sbatch's answer and the journal write), so a resumed submit looks for it by name before submitting.
   */
  sbatchAt: z.string().optional(),
});
export type JournalJob = z.infer<typeof jobSchema>;

export const taskProgressSchema = z.object({
  state: z.string(),
  done: z.boolean(),
  records: z.number().int(),
  synthesized: z.number().int(),
  quarantined: z.number().int(),
  at: z.string(),
});
export type TaskProgress = z.infer<typeof taskProgressSchema>;

export const siteEntrySchema = z.object({
  profile: z.string(),
  remoteDir: z.string().nullable(),
  gpusPerNode: z.number().int(),
  jobs: z.array(jobSchema),
  /** Why the site could not be submitted to (connection, sbatch's refusal), if so. */
  error: z.string().nullable(),
  /** By `ARRAYJOB_INDEX`. */
  progress: z.record(z.string(), taskProgressSchema),
  /** Set by `fedbench cancel` before it cancels anything (write-ahead): who and when; nothing is submitted here again. */
  cancelled: z.object({ by: z.string(), at: z.string() }).optional(),
  /** Where squeue saw each task run (kept for sites without accounting, where nothing tells it after the job ends). */
  seen: z.record(z.string(), z.object({ partition: z.string().nullable(), node: z.string().nullable() })).optional(),
});
export type SiteEntry = z.infer<typeof siteEntrySchema>;

export const journalSchema = z.object({
  schema: z.literal(JOURNAL_SCHEMA),
  name: z.string(),
  createdAt: z.string(),
  suite: z.object({ name: z.string(), file: z.string() }),
  options: z.object({
    eachNode: z.boolean(),
    wholeNode: z.boolean(),
    casesPerTask: z.number().int(),
    /** Each case (of 2 nodes) once on every pair of the partition's nodes. */
    nodePairs: z.boolean().optional(),
  }),
  /** Where collected records land (one folder per site below it). */
  resultsDir: z.string(),
  cases: z.array(plannedCaseSchema),
  /** tasks[t] = indices of the cases that task t runs. */
  tasks: z.array(z.array(z.number().int())),
  sites: z.record(z.string(), siteEntrySchema),
});
export type Journal = z.infer<typeof journalSchema>;

export const CAMPAIGN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export function checkCampaignName(name: string): string {
  if (!CAMPAIGN_NAME.test(name))
    throw new InputError(
      `bad campaign name '${name}': letters, digits and . _ - (up to 80, starting with a letter or digit)`,
    );
  return name;
}

/** `--campaigns-dir`, else $FEDBENCH_CAMPAIGNS, else ./campaigns. */
export function campaignsDir(dir?: string): string {
  return path.resolve(dir ?? process.env.FEDBENCH_CAMPAIGNS ?? 'campaigns');
}

export function journalFile(dir: string, name: string): string {
  return path.join(dir, `${checkCampaignName(name)}.json`);
}

export function readJournal(dir: string, name: string): Journal {
  const file = journalFile(dir, name);
  if (!existsSync(file)) throw new InputError(`no campaign '${name}' in ${dir} (no ${path.basename(file)})`);
  const parsed = journalSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new InputError(
      `${file}: not a campaign journal: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

export async function saveJournal(dir: string, j: Journal): Promise<void> {
  await writeJsonAtomic(journalFile(dir, j.name), journalSchema.parse(j));
}

/** Journal writes queued one after another: sites work in parallel on one journal object, and the file must end up with all of it. */
export function journalSaver(dir: string, j: Journal): () => Promise<void> {
  let chain = Promise.resolve();
  return () => (chain = chain.then(() => saveJournal(dir, j)));
}

/** The newest campaign in the folder, for commands given none. */
export function latestCampaign(dir: string): string {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (!files.length)
    throw new InputError(`no campaign in ${dir}: submit one first (fedbench submit --suite S --sites A,B)`);
  const newest = files.map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t)[0]!;
  return newest.f.slice(0, -'.json'.length);
}

/**
 * One writer per campaign: a lock file holding the PID. A lock left by a killed fedbench (its PID gone) is
 * taken over, so resuming after `kill -9` needs nothing by hand.
 */
export function lockCampaign(dir: string, name: string): () => void {
  const file = `${journalFile(dir, name)}.lock`;
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      let alive = Number.isInteger(pid) && pid > 0;
      try {
        if (alive) process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive)
        throw new InputError(
          `campaign '${name}' is being worked on by fedbench process ${pid} (${file}); wait for it or stop it`,
        );
      unlinkSync(file);
    }
  }
  throw new InputError(`cannot lock campaign '${name}' (${file})`);
}
