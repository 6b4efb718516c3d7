// npm run bench:db — the results database at scale: the embedded database (PGlite) and a PostgreSQL server (a
// private cluster, fsync on, started here) side by side, fed the same synthetic records (labelled synthetic:
// nothing here is a GPU measurement). FEDBENCH_BENCH_RECORDS records (default 1,000,000): nightly campaigns × 4
// sites × 50 cases × 20 nodes (node sweeps), with a 10% drop at one site for five cases late in the history.
// Timed, per database:
//   ingest     `ingest()` in chunks of 10,000 (as `db import` does; generating the records is not timed)
//   history    one case at one site, in-process (query + series), with change points found and as they are kept
//              (after the nightly campaign below), and as a user runs it: `fedbench history` in a fresh process
//              (Node start-up and opening the database included)
//   report     the last 100,000 records (`report --since`): query + analysis + HTML, in-process and as the CLI;
//              baseline in the same script: the same records read from JSONL files (today's `report --results`)
//   regressions every series' change points (in-process: history of everything + E-Divisive), then as they are kept:
//              the first analysis of every pair, one more nightly campaign (ingest + keeping the pairs it extends)
//              and the regressions read after it (in-process and `fedbench regressions` in a fresh process)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRegressions, historySeries } from '../analysis/index.js';
import {
  analyseSeries,
  analyseWith,
  keptChanges,
  keptChangesMap,
  keptRegressions,
} from '../analysis/kept-regressions.js';
import { dbTarget, historyPoints, openDb, type ResultsDb } from '../db/index.js';
import { openPostgres } from '../db/sql.js';
import { buildReportModel, renderHtml } from '../report/index.js';
import { readRecords, type RunRecord } from '../results/index.js';
import { missingPostgres, startPostgres } from './pgserver.js';
import { CASES, NODES, nightlyRecord, PER_CAMPAIGN, SITES } from './nightly.js';

const TOTAL = Number(process.env.FEDBENCH_BENCH_RECORDS ?? 1_000_000);
const CAMPAIGNS = Math.ceil(TOTAL / PER_CAMPAIGN);
const REPORT_RECORDS = Math.min(100_000, TOTAL);
const CHUNK = 10_000;
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const now = () => performance.now() / 1000;

const recordAt = (i: number): RunRecord => nightlyRecord(i, TOTAL);

interface Figures {
  name: string;
  ingest: number;
  historyQuery: number;
  /** The same with the change points kept for its series (after the nightly campaign's pairs were analysed). */
  historyKept: number;
  historyPoints: number;
  historyCli: number;
  /** A fresh process that only opens the database and closes it: the floor under the CLI figures. */
  openCli: number;
  reportQuery: number;
  reportBuild: number;
  reportCli: number;
  regressionsRead: number;
  regressionsFind: number;
  /** Keeping every pair's regressions after the bulk ingest (what `db import` does at its end). */
  keepAll: number;
  /** One more nightly campaign: its ingest, then keeping the regressions of the pairs it extends. */
  nightlyIngest: number;
  nightlyKeep: number;
  /** The kept regressions read after it, in-process and as `fedbench regressions` in a fresh process. */
  keptRead: number;
  keptFound: number;
  regressionsCli: number;
  series: number;
  regressions: number;
  /** Bytes on disk: the embedded database's folder, the server database's pg_database_size. */
  bytes: number;
}

/** Bytes of the files under `dir`. */
function folderBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

const CASE0 = recordAt(0).case;
const SINCE = new Date(Date.parse(recordAt(TOTAL - REPORT_RECORDS).startedAt));

/** A fresh Node process running `code` (an ES module); its wall time. */
function node(code: string): number {
  const t = now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node -e failed (${r.status}): ${r.stderr}`);
  return now() - t;
}
const DB_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'db', 'index.js');

function cli(args: string[], ok: number[] = [0]): number {
  const t = now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (!ok.includes(r.status ?? -1)) throw new Error(`fedbench ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return now() - t;
}

async function queries(db: ResultsDb, f: Figures, out: string): Promise<void> {
  // one untimed history first: both databases then answer from a warm cache, as a second user would see
  await db.history({ bench: CASE0, site: 'leonardo' });
  let t = now();
  const points = await db.history({ bench: CASE0, site: 'leonardo' });
  historySeries(points);
  f.historyQuery = now() - t;
  f.historyPoints = points.length;

  t = now();
  const records = await db.records({ since: SINCE });
  f.reportQuery = now() - t;
  if (records.length !== REPORT_RECORDS) throw new Error(`report query: ${records.length} records`);
  t = now();
  writeFileSync(out, renderHtml(buildReportModel(records, { workloads: ['gemm'] })));
  f.reportBuild = now() - t;

  t = now();
  const all = await db.history({});
  f.regressionsRead = now() - t;
  t = now();
  const found = findRegressions(all);
  f.regressionsFind = now() - t;
  f.series = new Set(all.map((p) => `${p.case}\u0000${p.site}\u0000${p.seriesNode}`)).size;
  f.regressions = found.length;
}

/** Regressions kept per case and site: the first analysis of everything, then a nightly ingest and a look after it. */
async function keptFigures(db: ResultsDb, f: Figures): Promise<void> {
  let t = now();
  await analyseSeries(db, analyseWith(historyPoints));
  f.keepAll = now() - t;
  // one more night: the next campaign's records (numbered past the bulk; the same layout)
  const night = Array.from({ length: PER_CAMPAIGN }, (_, k) => nightlyRecord(TOTAL + k, TOTAL));
  t = now();
  await db.ingest(night);
  f.nightlyIngest = now() - t;
  t = now();
  await analyseSeries(db, analyseWith(historyPoints));
  f.nightlyKeep = now() - t;
  t = now();
  const kept = await keptRegressions(db, {}, analyseWith(historyPoints));
  f.keptRead = now() - t;
  f.keptFound = kept.found.length;
  // one case at one site again, drawing its series' kept change points (the server's history page, report --history)
  const q = { bench: CASE0, site: 'leonardo' };
  t = now();
  const texts = await keptChanges(db, q, analyseWith(historyPoints));
  const series = historySeries(await db.history(q), keptChangesMap(texts));
  f.historyKept = now() - t;
  const computed = historySeries(await db.history(q));
  if (JSON.stringify(series) !== JSON.stringify(computed)) throw new Error('kept change points differ from computed');
}

async function main(): Promise<void> {
  const skip = missingPostgres();
  const work = mkdtempSync(path.join(os.tmpdir(), 'fedbench-bench-db-'));
  const server = skip ? null : await startPostgres({ durable: true });
  try {
    const targets = [
      { name: 'embedded (PGlite)', where: path.join(work, 'pglite') },
      ...(server ? [{ name: 'PostgreSQL server', where: await server.createDatabase('bench') }] : []),
    ];
    if (skip) console.log(`PostgreSQL server skipped: ${skip}`);
    console.log(
      `${TOTAL} synthetic records: ${CAMPAIGNS} nightly campaigns × ${SITES.length} sites × ${CASES} cases × ${NODES} nodes, 20 samples each`,
    );
    const figures: Figures[] = targets.map((t) => ({ name: t.name }) as Figures);
    const dbs = await Promise.all(targets.map((t) => openDb(dbTarget(t.where))));
    for (const f of figures) f.ingest = 0;
    let generation = 0;
    const bundle = path.join(work, 'files');
    mkdirSync(bundle);
    const lastLines: string[] = [];
    for (let i = 0; i < TOTAL; i += CHUNK) {
      let t = now();
      const chunk = Array.from({ length: Math.min(CHUNK, TOTAL - i) }, (_, k) => recordAt(i + k));
      generation += now() - t;
      for (const [k, db] of dbs.entries()) {
        t = now();
        const r = await db.ingest(chunk);
        figures[k]!.ingest += now() - t;
        if (r.added !== chunk.length) throw new Error(`${targets[k]!.name}: ${r.added} of ${chunk.length} added`);
      }
      for (const r of chunk) if (i + CHUNK > TOTAL - REPORT_RECORDS) lastLines.push(JSON.stringify(r));
      if ((i / CHUNK) % 10 === 9) process.stderr.write(`  ${i + CHUNK} ingested\n`);
    }
    // the report's baseline: the same last 100,000 records as a JSONL file, read as `report --results` reads it
    writeFileSync(path.join(bundle, 'last.jsonl'), `${lastLines.slice(-REPORT_RECORDS).join('\n')}\n`);
    console.log(`generating the records (not timed in ingest): ${generation.toFixed(1)} s`);

    for (const [k, db] of dbs.entries()) await queries(db, figures[k]!, path.join(work, `report-${k}.html`));
    for (const [k, db] of dbs.entries()) await keptFigures(db, figures[k]!);
    await Promise.all(dbs.map((db) => db.close()));
    for (const [k, t] of targets.entries()) {
      if (t.where.startsWith('postgres')) {
        const pg = await openPostgres(t.where);
        const { rows } = await pg.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
        figures[k]!.bytes = Number(rows[0]!.n);
        await pg.close();
      } else figures[k]!.bytes = folderBytes(t.where);
    }

    let t = now();
    const fromFiles = await readRecords(bundle);
    const baseRead = now() - t;
    t = now();
    writeFileSync(
      path.join(work, 'report-files.html'),
      renderHtml(buildReportModel(fromFiles.records, { workloads: ['gemm'] })),
    );
    const baseBuild = now() - t;
    const baseCli = cli([
      'report',
      '--results',
      bundle,
      '--workload',
      'gemm',
      '--out',
      path.join(work, 'cli-files.html'),
    ]);

    const nodeStart = node('');
    const cliStart = cli(['--version']);
    for (const [k, f] of figures.entries()) {
      const db = targets[k]!.where;
      f.openCli = node(
        // as `history` and `regressions` open it (the small page cache)
        `const m = await import(${JSON.stringify(DB_MODULE)}); await (await m.openDb(m.dbTarget(${JSON.stringify(db)}), { cache: 'small' })).close();`,
      );
      f.historyCli = cli(['history', '--bench', CASE0, '--site', 'leonardo', '--db', db, '--json']);
      f.regressionsCli = cli(['regressions', '--db', db, '--json'], [0, 1]);
      f.reportCli = cli([
        ...['report', '--since', SINCE.toISOString(), '--workload', 'gemm', '--db', db],
        ...['--out', path.join(work, `cli-${k}.html`)],
      ]);
    }

    const s = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} s`;
    const rows: Array<[string, ...string[]]> = [
      ['', ...figures.map((f) => f.name), 'target'],
      [
        `ingest ${TOTAL} records`,
        ...figures.map((f) => `${s(f.ingest)} (${Math.round(TOTAL / f.ingest)}/s)`),
        '≤ 120 s',
      ],
      [
        'size on disk per record',
        ...figures.map((f) => `${Math.round(f.bytes / TOTAL)} B (${(f.bytes / 2 ** 30).toFixed(2)} GiB)`),
        '',
      ],
      [
        `history of one case at one site (${figures[0]!.historyPoints} runs), in-process`,
        ...figures.map((f) => `${(f.historyQuery * 1000).toFixed(0)} ms`),
        '≤ 50 ms',
      ],
      [
        '  the same with its kept change points (after a nightly ingest)',
        ...figures.map((f) => `${(f.historyKept * 1000).toFixed(0)} ms`),
        '≤ 50 ms',
      ],
      ['  the same as `fedbench history` (fresh process)', ...figures.map((f) => s(f.historyCli)), '≤ 300 ms'],
      [
        '  floor: a fresh process that only opens the database',
        ...figures.map((f) => s(f.openCli)),
        `Node alone: ${s(nodeStart)}; \`fedbench --version\`: ${s(cliStart)}`,
      ],
      [
        `report of the last ${REPORT_RECORDS} records: query`,
        ...figures.map((f) => s(f.reportQuery)),
        `files: read ${s(baseRead)}`,
      ],
      [
        '  query + analysis + HTML',
        ...figures.map((f) => s(f.reportQuery + f.reportBuild)),
        `files: ${s(baseRead + baseBuild)}; target ≤ 2 s`,
      ],
      [
        '  the same as `fedbench report --since` (fresh process)',
        ...figures.map((f) => s(f.reportCli)),
        `files: ${s(baseCli)}; target ≤ 3 s`,
      ],
      [
        'regressions over every series: read',
        ...figures.map((f) => `${s(f.regressionsRead)} (${f.series} series)`),
        '',
      ],
      [
        '  find (E-Divisive + minimum effect)',
        ...figures.map((f) => `${s(f.regressionsFind)}, ${f.regressions} found`),
        'read + find ≤ 10 s',
      ],
      ['regressions kept: first analysis of every pair', ...figures.map((f) => s(f.keepAll)), ''],
      [
        `  a nightly campaign (${PER_CAMPAIGN} records): ingest + keep`,
        ...figures.map((f) => `${s(f.nightlyIngest)} + ${s(f.nightlyKeep)}`),
        '',
      ],
      [
        '  regressions after it, in-process (kept)',
        ...figures.map((f) => `${s(f.keptRead)}, ${f.keptFound} found`),
        '≤ 1 s after a nightly ingest',
      ],
      ['  the same as `fedbench regressions` (fresh process)', ...figures.map((f) => s(f.regressionsCli)), ''],
    ];
    const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(width[c]!)).join('  '));
  } finally {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
