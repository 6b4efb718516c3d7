// `fedbench db import|rebuild|status` and `fedbench history`: the results database (src/db/), an index of the
// record files for history queries. The files stay the source of truth: `db rebuild` makes the index again.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import {
  type DbTarget,
  dbTarget,
  describeTarget,
  embeddedExists,
  historyPoints,
  type HistoryPoint,
  type IngestResult,
  openDb,
  type OpenOptions,
  type ResultsDb,
} from '../db/index.js';
import { analyseSeries, analyseWith, keptRegressions } from '../analysis/kept-regressions.js';
import { InputError, errorText } from '../errors.js';
import { num } from '../format.js';
import { type ReadProblem, readRecords, type RunRecord } from '../results/index.js';
import { explicitDbFlag } from './db-feed.js';
import { caseTable } from './format.js';

export const DB_HELP = 'results database: a postgres:// URL or a folder (default: $FEDBENCH_DB, else the embedded one)';

/** Opens the database the user chose, saying so while another process holds the embedded one. */
export async function openUserDb(
  flag: string | undefined,
  cache: OpenOptions['cache'] = 'default',
): Promise<ResultsDb> {
  const target = dbTarget(explicitDbFlag(flag));
  try {
    return await openDb(target, {
      cache,
      onWait: (holder) =>
        process.stderr.write(`fedbench: waiting for the results database (in use by process ${holder})\n`),
    });
  } catch (err) {
    throw new InputError(`cannot open the results database at ${describeTarget(target)}: ${errorText(err)}`);
  }
}

async function withDb<R>(
  flag: string | undefined,
  fn: (db: ResultsDb) => Promise<R>,
  cache: OpenOptions['cache'] = 'default',
): Promise<R> {
  const db = await openUserDb(flag, cache);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function readDir(dir: string): Promise<{ records: RunRecord[]; problems: ReadProblem[] }> {
  if (!existsSync(dir)) throw new InputError(`results folder not found: ${dir}`);
  const read = await readRecords(dir);
  for (const p of read.problems) process.stderr.write(`fedbench: skipped ${p.file}: ${p.error}\n`);
  return read;
}

const counts = (r: IngestResult, problems: number) =>
  `${r.added} added, ${r.present} already there${r.skipped.length + problems ? `, ${r.skipped.length + problems} skipped` : ''}`;

/** Finds and keeps the regressions of the series records were added to; a failure only warns (the records are in). */
async function keepRegressions(database: ResultsDb): Promise<void> {
  try {
    await analyseSeries(database, analyseWith(historyPoints));
  } catch (err) {
    process.stderr.write(
      `fedbench: warning: regressions not kept (${errorText(err)}); 'fedbench regressions' finds them when asked\n`,
    );
  }
}

function reportSkipped(r: IngestResult): void {
  for (const p of r.skipped) process.stderr.write(`fedbench: skipped ${p.file}: ${p.error}\n`);
}

export function dbCommand(): Command {
  const db = new Command('db')
    .description('the results database: an index of run records for history queries')
    .exitOverride();
  db.command('import')
    .description('add the run records under each folder to the database (a record already there is left as it is)')
    .argument('<dir...>', 'folders of run records')
    .option('--db <url|dir>', DB_HELP)
    .option('--json', 'print the counts as JSON')
    .action(async (dirs: string[], opts: { db?: string; json?: boolean }) => {
      for (const d of dirs) if (!existsSync(d)) throw new InputError(`results folder not found: ${d}`);
      await withDb(opts.db, async (database) => {
        const out: Array<{ dir: string; added: number; present: number; skipped: number }> = [];
        for (const dir of dirs) {
          const { records, problems } = await readDir(dir);
          const r = await database.ingest(records, dir);
          reportSkipped(r);
          out.push({ dir, added: r.added, present: r.present, skipped: r.skipped.length + problems.length });
          if (!opts.json) process.stdout.write(`${dir}: ${counts(r, problems.length)}\n`);
        }
        // the regressions of the series the records extend, found now: the next look at them answers at once
        await keepRegressions(database);
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      });
    });
  db.command('rebuild')
    .description('drop the database and import the folders again (default: the folders imported before)')
    .argument('[dir...]', 'folders of run records')
    .option('--db <url|dir>', DB_HELP)
    .action(async (given: string[], opts: { db?: string }) => {
      await withDb(opts.db, async (database) => {
        const dirs = given.length ? given : await database.sources();
        if (!dirs.length) throw new InputError('no folders to rebuild from: give the folders of run records');
        for (const d of dirs) if (!existsSync(d)) throw new InputError(`results folder not found: ${d}`);
        const records: RunRecord[] = [];
        let problems = 0;
        for (const dir of dirs) {
          const read = await readDir(dir);
          records.push(...read.records);
          problems += read.problems.length;
        }
        const r = await database.rebuild(records, dirs);
        reportSkipped(r);
        await keepRegressions(database);
        process.stdout.write(`rebuilt from ${dirs.join(', ')}: ${counts(r, problems)}\n`);
      });
    });
  db.command('status')
    .description('where the database is, how many records it holds, and its schema version')
    .option('--db <url|dir>', DB_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const target: DbTarget = dbTarget(explicitDbFlag(opts.db));
      if (target.kind === 'embedded' && !embeddedExists(target.dir)) {
        const none = { where: describeTarget(target), records: 0, schemaVersion: null, sources: [] };
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(none, null, 2)}\n`
            : `no database yet at ${none.where}: 'fedbench db import DIR' makes it\n`,
        );
        return;
      }
      await withDb(
        opts.db,
        async (database) => {
          const s = await database.status();
          if (opts.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          else
            process.stdout.write(
              `database: ${s.where}\nrecords: ${s.records}\nschema version: ${s.schemaVersion}\n` +
                `imported from: ${s.sources.length ? s.sources.join(', ') : '(none)'}\n`,
            );
        },
        'small',
      );
    });
  return db;
}

export function sinceOption(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new InputError(`--since: not a date: '${text}' (e.g. 2026-01-31)`);
  return new Date(t);
}

/** The history as a terminal table: one row per record, grouped by case and series (site, or site and node). */
export function historyTable(points: readonly HistoryPoint[]): string {
  return caseTable(
    ['case', 'site', 'node', 'started', 'median', '95% CI', 'unit', 'n', 'GPU'],
    points.map((p): [string, ...string[]] => [
      p.case,
      p.site ?? '—',
      p.seriesNode ?? p.node ?? '—',
      p.startedAt ? p.startedAt.slice(0, 16).replace('T', ' ') : '—',
      num(p.median),
      p.ci95 ? `[${num(p.ci95[0])}, ${num(p.ci95[1])}]` : '—',
      p.unit,
      p.n === null ? '—' : String(p.n),
      p.gpu ?? '—',
    ]),
  );
}

export function historyCommand(): Command {
  return new Command('history')
    .description("one case's median and 95% interval over time, per site (per node where a site has node sweeps)")
    .requiredOption('--bench <id>', 'a benchmark id (all its cases) or one case id')
    .option('--site <name>', 'only this site')
    .option('--gpu <model>', 'only GPUs whose model contains this text (e.g. H100)')
    .option('--since <date>', 'only records started on or after this date')
    .option('--db <url|dir>', DB_HELP)
    .option('--json', 'print the points as JSON')
    .action(
      async (opts: { bench: string; site?: string; gpu?: string; since?: string; db?: string; json?: boolean }) => {
        const since = sinceOption(opts.since);
        const points = await withDb(
          opts.db,
          (database) =>
            database.history({
              bench: opts.bench,
              ...(opts.site ? { site: opts.site } : {}),
              ...(opts.gpu ? { gpu: opts.gpu } : {}),
              ...(since ? { since } : {}),
            }),
          'small',
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(points, null, 2)}\n`);
        else if (!points.length) process.stdout.write(`no successful records of '${opts.bench}' match\n`);
        else process.stdout.write(`${historyTable(points)}\n`);
      },
    );
}

export function regressionsCommand(): Command {
  return new Command('regressions')
    .description(
      'change points in every case history where later runs are worse (E-Divisive means + the comparisons’ test and minimum effect); exit 1 when there is one',
    )
    .option('--bench <id>', 'only this benchmark id or case id')
    .option('--site <name>', 'only this site')
    .option('--since <date>', 'only regressions whose first slower run started on or after this date (for cron)')
    .option('--db <url|dir>', DB_HELP)
    .option('--json', 'print the regressions as JSON')
    .action(async (opts: { bench?: string; site?: string; since?: string; db?: string; json?: boolean }) => {
      const since = sinceOption(opts.since);
      // kept per case and site (found after the records arrived); the runs before --since stay the baseline
      const { found, series } = await withDb(
        opts.db,
        (database) =>
          keptRegressions(
            database,
            {
              ...(opts.bench ? { bench: opts.bench } : {}),
              ...(opts.site ? { site: opts.site } : {}),
              ...(since ? { since } : {}),
            },
            analyseWith(historyPoints),
          ),
        'small',
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      else if (!found.length) process.stdout.write(`no regression in ${series} series\n`);
      else
        process.stdout.write(
          `${caseTable(
            ['case', 'site', 'node', 'from', 'ratio', 'ratio range', 'why', 'runs before → after', 'what changed'],
            found.map((r): [string, ...string[]] => [
              r.case,
              r.site ?? '—',
              r.node ?? '—',
              r.firstAfter.startedAt.slice(0, 16).replace('T', ' '),
              num(r.comparison.ratio),
              `[${num(r.comparison.ratioRange[0])}, ${num(r.comparison.ratioRange[1])}]`,
              r.comparison.reason,
              `${r.before.to - r.before.from} → ${r.after.to - r.after.from} (${r.lastBefore.id.slice(0, 8)} → ${r.firstAfter.id.slice(0, 8)})`,
              r.changed.map((c) => `${c.field}: ${c.before ?? '—'} → ${c.after ?? '—'}`).join('; ') ||
                'nothing recorded',
            ]),
          )}\n`,
        );
      if (found.length) process.exitCode = 1;
    });
}
