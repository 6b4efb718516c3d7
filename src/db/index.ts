// The results database: an index of run records for history queries, rebuilt from the record files whenever
// needed (the files stay the source of truth). Embedded by default (PGlite: a folder under the user's data
// directory, no server), or a PostgreSQL server for a team (`--db postgres://…` or $FEDBENCH_DB): the same
// schema and the same SQL for both.
import { existsSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReadProblem, RunRecord } from '../results/index.js';
import { HISTORY_COLUMNS, type HistoryPoint, historyPointsOfAll } from './history.js';
import { acquireLock, type Lock } from './lock.js';
import { migrate, prepareMigrations, TABLES } from './schema.js';
import { openPglite, openPostgres, type Queryable, type Sql } from './sql.js';

export { SCHEMA_VERSION, MIGRATIONS } from './schema.js';
export { type HistoryPoint, historyPoints, historyPointsOfAll } from './history.js';

export type DbTarget = { kind: 'embedded'; dir: string } | { kind: 'server'; url: string };

/** $FEDBENCH_DB_DIR, else $XDG_DATA_HOME/fedbench/db, else ~/.local/share/fedbench/db. */
export function defaultDbDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FEDBENCH_DB_DIR) return path.resolve(env.FEDBENCH_DB_DIR);
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'fedbench', 'db');
}

const isUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

/**
 * Where the database is: `--db` (a postgres:// URL or a folder), else $FEDBENCH_DB (the same), else the embedded
 * database's default folder.
 */
export function dbTarget(flag?: string, env: NodeJS.ProcessEnv = process.env): DbTarget {
  const chosen = flag || env.FEDBENCH_DB;
  if (chosen) return isUrl(chosen) ? { kind: 'server', url: chosen } : { kind: 'embedded', dir: path.resolve(chosen) };
  return { kind: 'embedded', dir: defaultDbDir(env) };
}

/** The target for people: a folder, or the server's URL without its password. */
export function describeTarget(t: DbTarget): string {
  if (t.kind === 'embedded') return `${t.dir} (embedded PGlite)`;
  try {
    const u = new URL(t.url);
    if (u.password) u.password = '***';
    return `${u.toString()} (PostgreSQL server)`;
  } catch {
    return 'a PostgreSQL server (unparsable URL)';
  }
}

export interface IngestResult {
  added: number;
  /** Already in the database (same record id): left as they were. */
  present: number;
  /** Records the database cannot hold, with the reason. */
  skipped: ReadProblem[];
}

export interface HistoryQuery {
  /** A benchmark id (every case of it) or one case id; absent: every case. */
  bench?: string;
  site?: string;
  /** Part of the GPU's model name, any case (e.g. "H100"). */
  gpu?: string;
  since?: Date;
}

export interface RecordQuery {
  /** Any of these campaigns. */
  campaign?: readonly string[];
  /** Any of these sites. */
  site?: readonly string[];
  /** Any of these benchmark ids or case ids. */
  bench?: readonly string[];
  /** Records started on or after this time. */
  since?: Date;
  /** At most this many (the most recent first when limited). */
  limit?: number;
}

export interface CampaignSummary {
  campaign: string;
  records: number;
  sites: string[];
  /** When its first and last records started (ISO), null when none says. */
  first: string | null;
  last: string | null;
}

export interface UnanalysedPair {
  case: string;
  /** '' for the records without a site. */
  site: string;
  /** How many additions marked it: the analysis is kept only if no later one did. */
  version: number;
}

export interface KeptRegressions {
  /** Each analysed pair's regressions as JSON (an array each). */
  found: string[];
  /** Node series over the analysed pairs. */
  series: number;
  /** Pairs not analysed yet (their regressions are missing from `found`). */
  unanalysed: number;
}

export interface DbStatus {
  where: string;
  records: number;
  schemaVersion: number;
  sources: string[];
}

export interface ResultsDb {
  readonly target: DbTarget;
  ingest(records: readonly RunRecord[], source?: string): Promise<IngestResult>;
  history(q: HistoryQuery): Promise<HistoryPoint[]>;
  /** The same points as the database's JSON text, for `historyPoints` elsewhere (a worker thread); of one benchmark
   * or case (every case's at once can outgrow what PostgreSQL allocates for a value: use `historyTexts`). */
  historyText(q: HistoryQuery): Promise<string>;
  /** The same, one case at a time (other queries run between cases: the embedded database runs on this thread; and
   * one answer for many cases can outgrow a value). */
  historyTexts(q: HistoryQuery): AsyncGenerator<string>;
  /** Whole records (as validated when they were ingested), oldest first. */
  records(q?: RecordQuery): Promise<RunRecord[]>;
  /** The same records as their JSON text, a page at a time (to parse them elsewhere: a worker thread). */
  recordTexts(q?: RecordQuery): AsyncGenerator<string[]>;
  /** The (case, site) pairs whose kept regressions are out of date (records added since they were found); of a
   * benchmark or case, of a site. */
  unanalysedSeries(q?: { bench?: string; site?: string }): Promise<UnanalysedPair[]>;
  /** One pair's history points (`historyText`'s form); a site of '' is the records without a site. */
  pairPointsText(pair: UnanalysedPair): Promise<string>;
  /**
   * Keeps a pair's regressions (JSON), node-series count and its series' change points (JSON); false when records
   * were added since it was read.
   */
  keepPairRegressions(pair: UnanalysedPair, foundJson: string, series: number, changesJson: string): Promise<boolean>;
  /** The kept regressions of every analysed pair (of a benchmark or case, of a site), in case and site order. */
  keptRegressions(q: { bench?: string; site?: string }): Promise<KeptRegressions>;
  /** The kept change points (JSON, an array of series each) of every analysed pair (of a benchmark or case, of a site). */
  keptChanges(q: { bench?: string; site?: string }): Promise<string[]>;
  /** Every campaign, the most recent first. */
  campaigns(): Promise<CampaignSummary[]>;
  status(): Promise<DbStatus>;
  /** Folders records were imported from. */
  sources(): Promise<string[]>;
  /** Drops everything and ingests these records, in one transaction: a failed rebuild leaves the old index. */
  rebuild(records: readonly RunRecord[], sources: readonly string[]): Promise<IngestResult>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Told when another process holds the embedded database (it is waited for). */
  onWait?: (holder: string) => void;
  lockWaitMs?: number;
  /**
   * The embedded database's page cache: `small` (32 MB) for a command that only reads a little (it opens ~0.25 s
   * sooner); PGlite's 128 MB otherwise — an ingest needs it (1,000,000 records: 157 s with 32 MB, 142 s with 128).
   */
  cache?: 'small' | 'default';
}

/** Opens (creating and migrating as needed) the database. Close it: the embedded one is locked until then. */
export async function openDb(target: DbTarget, opts: OpenOptions = {}): Promise<ResultsDb> {
  let lock: Lock | null = null;
  let sql: Sql;
  if (target.kind === 'embedded') {
    lock = await acquireLock(`${target.dir}.lock`, {
      ...(opts.onWait ? { onWait: opts.onWait } : {}),
      ...(opts.lockWaitMs !== undefined ? { waitMs: opts.lockWaitMs } : {}),
    });
    try {
      sql = await openPglite(target.dir, opts.cache === 'small' ? 32 : undefined);
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    sql = await openPostgres(target.url);
  }
  try {
    await prepareMigrations(sql);
    await sql.transaction(migrate);
  } catch (err) {
    await sql.close().catch(() => {});
    lock?.release();
    throw err;
  }
  return new Db(target, sql, lock);
}

/**
 * A turn of the event loop between the parts of a large read: PGlite answers without I/O, so its queries chain as
 * microtasks, and without this a request arriving meanwhile could wait for every part.
 */
const nextTurn = () => setImmediate();

/**
 * Records per page of `recordTexts`: about 1.2 MB of text, 10–15 ms of the embedded database's time (20–30 µs a
 * record), which a request arriving meanwhile waits at most (pages of 2,000 made it wait 40–60 ms, twice over).
 */
const RECORD_PAGE = 500;

/** historyText's columns, each a json_agg of the rows in the order they come (`HISTORY_QUERY`'s). */
const HISTORY_AGGREGATES = HISTORY_COLUMNS.map((c) => `json_agg(${c})`).join(', ');

/**
 * A history's points as one text (columns in `HISTORY_COLUMNS`' order): $1 a benchmark or case, $2 a site, $3 part of
 * a GPU's name, $4 the earliest start, $5 one case, $6 only the records without a site; each NULL (false) for any.
 * Every column it reads is in the records_history index (exported for the test that proves it is read from there).
 */
export const HISTORY_QUERY = `SELECT json_build_array(${HISTORY_AGGREGATES})::text AS points
  FROM (SELECT * FROM records
         WHERE status = 'ok' AND median IS NOT NULL
           AND ($1::text IS NULL OR benchmark = $1 OR "case" = $1)
           AND ($2::text IS NULL OR site = $2)
           AND ($3::text IS NULL OR strpos(lower(gpu_model), lower($3)) > 0)
           AND ($4::timestamptz IS NULL OR started_at >= $4::timestamptz)
           AND ($5::text IS NULL OR "case" = $5)
           AND (NOT $6::boolean OR coalesce(site, '') = '')
         ORDER BY "case", site, started_at, id) AS sorted`;

/** The kept (case, site) pairs of a benchmark or case ($1), of a site ($2); either NULL for every one. */
const PAIRS_OF = `($1::text IS NULL OR benchmark = $1 OR "case" = $1) AND ($2::text IS NULL OR site = $2)`;

/** Records per transaction: a killed ingest keeps the batches it committed, and a re-run adds the rest. */
const BATCH = 500;

/** A NUL character in JSON text: `\u0000` not preceded by an escaping backslash (`\\u0000` is the text "\u0000"). */
const NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/** A timestamp PostgreSQL will take, or null (the record's field is free text). */
function timestamp(text: string): string | null {
  const t = Date.parse(text);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** The records table's columns as COPY fills them, in `rowOf`'s order. */
const RECORD_COLUMNS = `records (
  id, campaign, suite, "case", benchmark, kind, params, engine, backend, engine_version, site, node, host,
  gpu_model, gpu_count, driver, cuda, nodejs, status, metric_name, metric_unit, direction, median, ci_low, ci_high,
  n, started_at, finished_at, record)`;

function rowOf(r: RunRecord, json: string): Array<string | number | null> {
  const gpu = r.system.gpus[0];
  return [
    r.id,
    r.campaign,
    r.suite,
    r.case,
    r.benchmark.id,
    r.benchmark.kind,
    JSON.stringify(r.benchmark.params),
    r.engine.name,
    r.engine.backend ?? null,
    r.engine.version ?? null,
    r.site ?? null,
    r.slurm?.node ?? r.system.host,
    r.system.host,
    gpu?.name ?? null,
    r.system.gpus.length,
    gpu?.driver ?? null,
    gpu?.cuda ?? null,
    r.system.node || null,
    r.status,
    r.metric.name,
    r.metric.unit,
    r.metric.direction,
    r.stats?.median ?? null,
    r.stats?.ci95[0] ?? null,
    r.stats?.ci95[1] ?? null,
    r.stats?.n ?? null,
    timestamp(r.startedAt),
    timestamp(r.finishedAt),
    json,
  ];
}

/**
 * The most bytes the indexed text columns of a record may take together: an index entry (records_history's is the
 * widest) must fit in a third of a page, 2,704 bytes, or the whole batch would fail; 2,000 leaves room for the rest of
 * the entry. Real names are far shorter. Migration 6 removed older records beyond it with the same sum.
 */
const MAX_INDEXED_BYTES = 2000;
const INDEXED_COLUMNS = new Set([
  'id',
  'campaign',
  '"case"',
  'benchmark',
  'site',
  'node',
  'gpu_model',
  'status',
  'metric_unit',
  'direction',
  'backend',
  'engine_version',
  'driver',
  'cuda',
]);
const INDEXED_AT = RECORD_COLUMNS.replace(/^records \(|\)$/g, '')
  .split(',')
  .map((c) => c.trim())
  .flatMap((c, i) => (INDEXED_COLUMNS.has(c) ? [i] : []));
const indexedBytes = (row: ReturnType<typeof rowOf>) =>
  INDEXED_AT.reduce((n, i) => n + (typeof row[i] === 'string' ? Buffer.byteLength(row[i]) : 0), 0);

/** COPY's text format: `\\N` for NULL; backslash, tab, newline and carriage return escaped; numbers as JS writes them. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  const s = String(v);
  return COPY_SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
}

/** Rows per COPY: its text is built whole in memory (about 1.5 MB for 500 typical records). */
const ROWS_PER_COPY = 500;

/**
 * Taken by every ingest transaction before it looks for the ids it adds: two ingests into a server then never COPY
 * the same id at once (COPY has no ON CONFLICT; a duplicate would abort the batch). Any fixed number.
 */
const INGEST_LOCK = 0x0fedbe7d;

async function insertAll(q: Queryable, records: readonly RunRecord[], result: IngestResult): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK]);
  const touched = new Map<string, [string, string, string]>();
  for (let i = 0; i < records.length; i += ROWS_PER_COPY) {
    const chunk = records.slice(i, i + ROWS_PER_COPY);
    const { rows: present } = await q.query<{ id: string }>('SELECT id FROM records WHERE id = ANY($1::text[])', [
      chunk.map((r) => r.id),
    ]);
    // what is already there, and a second copy of an id in the same input, is left as it is (the first is kept)
    const seen = new Set(present.map((p) => p.id));
    const lines: string[] = [];
    for (const r of chunk) {
      if (seen.has(r.id)) {
        result.present++;
        continue;
      }
      const json = JSON.stringify(r);
      // the plain search first: the pattern's look-behind costs ~9 µs on a typical record, which almost never has one
      if (json.includes('\\u0000') && NUL.test(json)) {
        result.skipped.push({
          file: `record ${r.id}`,
          error: 'contains a NUL character, which PostgreSQL cannot store',
        });
        continue;
      }
      const row = rowOf(r, json);
      const indexed = indexedBytes(row);
      if (indexed > MAX_INDEXED_BYTES) {
        result.skipped.push({
          file: `record ${r.id}`,
          error: `its names (id, case, campaign, site, node, GPU, driver, versions…) take ${indexed} bytes together, more than the ${MAX_INDEXED_BYTES} the database indexes`,
        });
        continue;
      }
      seen.add(r.id);
      lines.push(row.map(copyField).join('\t'));
      result.added++;
      if (r.status === 'ok' && r.stats?.median !== undefined && r.stats.median !== null) {
        const site = r.site ?? '';
        touched.set(JSON.stringify([r.case, site]), [r.case, site, r.benchmark.id]);
      }
    }
    if (lines.length) await q.copyIn(RECORD_COLUMNS, `${lines.join('\n')}\n`);
  }
  // in (case, site) order: two ingests into a server lock the pairs' rows in the same order (no deadlock)
  await markUnanalysed(
    q,
    [...touched.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)),
  );
}

/** The (case, site) pairs whose regressions new records change: to be found again (`analyseSeries`). */
async function markUnanalysed(q: Queryable, pairs: Array<[string, string, string]>): Promise<void> {
  if (!pairs.length) return;
  await q.query(
    `INSERT INTO series_regressions ("case", site, benchmark)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT ("case", site) DO UPDATE
       SET version = nextval('series_regressions_version'), found = NULL, series = NULL`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map((p) => p[2])],
  );
}

async function addSources(q: Queryable, sources: readonly string[]): Promise<void> {
  for (const s of sources)
    await q.query('INSERT INTO sources (path) VALUES ($1) ON CONFLICT (path) DO UPDATE SET last_imported = now()', [
      path.resolve(s),
    ]);
}

class Db implements ResultsDb {
  constructor(
    readonly target: DbTarget,
    private readonly sql: Sql,
    private readonly lock: Lock | null,
  ) {}

  async ingest(records: readonly RunRecord[], source?: string): Promise<IngestResult> {
    const result: IngestResult = { added: 0, present: 0, skipped: [] };
    // In id order: two processes inserting overlapping records into a server take the rows' locks in the same
    // order, so neither waits for the other in a cycle (a deadlock would abort one of them).
    const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < sorted.length; i += BATCH)
      await this.sql.transaction((q) => insertAll(q, sorted.slice(i, i + BATCH), result));
    if (source) await this.sql.transaction((q) => addSources(q, [source]));
    if (result.added) await this.sql.vacuum('records');
    return result;
  }

  async rebuild(records: readonly RunRecord[], sources: readonly string[]): Promise<IngestResult> {
    const result: IngestResult = { added: 0, present: 0, skipped: [] };
    await this.sql.transaction(async (q) => {
      // before the tables are dropped: an ingest takes this lock before it reads them, so the two wait in one order
      await q.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK]);
      for (const t of TABLES) await q.script(`DROP TABLE IF EXISTS ${t}`); // names are constants of schema.ts
      await migrate(q);
      await insertAll(q, records, result);
      await addSources(q, sources);
    });
    await this.sql.vacuum('records');
    return result;
  }

  async history(h: HistoryQuery): Promise<HistoryPoint[]> {
    // a case at a time: one answer for many cases outgrows what PostgreSQL may allocate for a value (1 GB; PGlite
    // ran out of memory at 1,000,000 points)
    const texts: string[] = [];
    for await (const text of this.historyTexts(h)) texts.push(text);
    return historyPointsOfAll(texts);
  }

  historyText(h: HistoryQuery): Promise<string> {
    return this.pointsText(h, null);
  }

  async *historyTexts(h: HistoryQuery): AsyncGenerator<string> {
    // a benchmark's cases from the (case, site) pairs with successful records (a few hundred rows); every case by a
    // walk of the ("case", …) index, one lookup per case (DISTINCT would read every entry)
    const { rows } = h.bench
      ? await this.sql.query<{ v: string }>(
          `SELECT DISTINCT "case" AS v FROM series_regressions WHERE "case" = $1 OR benchmark = $1 ORDER BY 1`,
          [h.bench],
        )
      : await this.sql.query<{ v: string }>(
          `WITH RECURSIVE c(v) AS (
             SELECT min("case") FROM records
             UNION ALL SELECT (SELECT min("case") FROM records WHERE "case" > c.v) FROM c WHERE c.v IS NOT NULL)
           SELECT v FROM c WHERE v IS NOT NULL`,
        );
    for (const { v } of rows) {
      yield await this.pointsText(h, v);
      await nextTurn();
    }
  }

  /** `historyText`, of one case only when `caseId` is given, of the records without a site (or '') when `siteless`. */
  private async pointsText(h: HistoryQuery, caseId: string | null, siteless = false): Promise<string> {
    // One row of JSON text for the whole answer: PGlite hands rows to JavaScript one field at a time, which cost
    // 2× the query itself at 20,000 points (measured: 866 ms as rows, 496 + 38 ms as one json_agg text parsed here).
    // A json_agg per column (history.ts says why) over rows sorted once below them: an ORDER BY in each aggregate
    // is sorted once per column by PostgreSQL 15 (5,000 points: 136 against 43 ms). The columns stay aligned
    // whatever happens, as every aggregate of one query reads the same rows in the same sequence.
    const { rows: agg } = await this.sql.query<{ points: string | null }>(HISTORY_QUERY, [
      h.bench ?? null,
      h.site ?? null,
      h.gpu ?? null,
      h.since ? h.since.toISOString() : null,
      caseId,
      siteless,
    ]);
    return agg[0]?.points ?? '[]';
  }

  async records(q: RecordQuery = {}): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for await (const page of this.recordTexts(q)) for (const text of page) out.push(JSON.parse(text) as RunRecord);
    return out;
  }

  async *recordTexts(q: RecordQuery = {}): AsyncGenerator<string[]> {
    const list = (v: readonly string[] | undefined) => (v?.length ? [...v] : null);
    const where = `($1::text[] IS NULL OR campaign = ANY($1::text[]))
        AND ($2::text[] IS NULL OR site = ANY($2::text[]))
        AND ($3::text[] IS NULL OR benchmark = ANY($3::text[]) OR "case" = ANY($3::text[]))
        AND ($4::timestamptz IS NULL OR started_at >= $4::timestamptz)`;
    const params = [list(q.campaign), list(q.site), list(q.bench), q.since ? q.since.toISOString() : null];
    // With a limit, the oldest of the most recent `limit` rows first (two columns of an index-ordered scan), then
    // pages from it on. Pages in start order, keyed by (started_at, id): between pages other queries run, so one
    // large selection never holds the embedded database (which runs on this thread) for more than a page.
    let from: { at: string | null; id: string } | null = null;
    if (q.limit !== undefined) {
      const { rows } = await this.sql.query<{ started_at: Date | string | null; id: string }>(
        `SELECT started_at, id FROM records WHERE ${where}
          ORDER BY started_at DESC NULLS LAST, id DESC OFFSET $5 LIMIT 1`,
        [...params, Math.max(0, q.limit - 1)],
      );
      const cut = rows[0];
      if (cut) from = { at: cut.started_at === null ? null : new Date(cut.started_at).toISOString(), id: cut.id };
      if (cut && from?.at === null) {
        // the cut-off among records without a start time (only those older ones are cut, by id)
        yield* this.pages(`${where} AND started_at IS NULL`, params, { id: cut.id, inclusive: true });
        from = null;
        yield* this.pages(`${where} AND started_at IS NOT NULL`, params, null);
        return;
      }
    }
    if (!from) yield* this.pages(`${where} AND started_at IS NULL`, params, null);
    yield* this.pages(`${where} AND started_at IS NOT NULL`, params, from ? { ...from, inclusive: true } : null);
  }

  /** Rows of `where` in (started_at, id) order from `start` on, RECORD_PAGE at a time. */
  private async *pages(
    where: string,
    params: unknown[],
    start: { at?: string | null; id: string; inclusive: boolean } | null,
  ): AsyncGenerator<string[]> {
    let after = start;
    for (;;) {
      const n = params.length;
      const cmp = after?.inclusive ? '>=' : '>';
      const key = !after
        ? ''
        : after.at
          ? `AND (started_at, id) ${cmp} ($${n + 1}::timestamptz, $${n + 2}::text)`
          : `AND id ${cmp} $${n + 1}::text`;
      const keyParams = !after ? [] : after.at ? [after.at, after.id] : [after.id];
      const { rows } = await this.sql.query<{ record: string; started_at: Date | string | null; id: string }>(
        `SELECT record, started_at, id FROM records WHERE ${where} ${key}
          ORDER BY started_at, id LIMIT ${RECORD_PAGE}`,
        [...params, ...keyParams],
      );
      if (rows.length) yield rows.map((r) => r.record);
      if (rows.length < RECORD_PAGE) return;
      await nextTurn();
      const last = rows.at(-1)!;
      after = {
        at: last.started_at === null ? null : new Date(last.started_at).toISOString(),
        id: last.id,
        inclusive: false,
      };
    }
  }

  async unanalysedSeries(q: { bench?: string; site?: string } = {}): Promise<UnanalysedPair[]> {
    const { rows } = await this.sql.query<UnanalysedPair>(
      `SELECT "case", site, version FROM series_regressions
        WHERE found IS NULL AND ${PAIRS_OF} ORDER BY "case", site`,
      [q.bench ?? null, q.site ?? null],
    );
    return rows;
  }

  async pairPointsText(pair: UnanalysedPair): Promise<string> {
    return this.pointsText({ ...(pair.site ? { site: pair.site } : {}) }, pair.case, pair.site === '');
  }

  async keepPairRegressions(
    pair: UnanalysedPair,
    foundJson: string,
    series: number,
    changesJson: string,
  ): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE series_regressions SET found = $3, series = $4, changes = $6
        WHERE "case" = $1 AND site = $2 AND version = $5`,
      [pair.case, pair.site, foundJson, series, pair.version, changesJson],
    );
    return affected === 1;
  }

  async keptChanges(q: { bench?: string; site?: string }): Promise<string[]> {
    const { rows } = await this.sql.query<{ changes: string }>(
      `SELECT changes FROM series_regressions
        WHERE ${PAIRS_OF} AND found IS NOT NULL AND changes IS NOT NULL
        ORDER BY "case", site`,
      [q.bench ?? null, q.site ?? null],
    );
    return rows.map((r) => r.changes);
  }

  async keptRegressions(q: { bench?: string; site?: string }): Promise<KeptRegressions> {
    const where = PAIRS_OF;
    const params = [q.bench ?? null, q.site ?? null];
    const { rows } = await this.sql.query<{ found: string }>(
      `SELECT found FROM series_regressions WHERE ${where} AND found IS NOT NULL AND found <> '[]' ORDER BY "case", site`,
      params,
    );
    const { rows: counts } = await this.sql.query<{ series: string | number | null; unanalysed: string | number }>(
      `SELECT sum(series) AS series, count(*) FILTER (WHERE found IS NULL) AS unanalysed
         FROM series_regressions WHERE ${where}`,
      params,
    );
    return {
      found: rows.map((r) => r.found),
      series: Number(counts[0]?.series ?? 0),
      unanalysed: Number(counts[0]?.unanalysed ?? 0),
    };
  }

  async campaigns(): Promise<CampaignSummary[]> {
    const { rows } = await this.sql.query<{
      campaign: string;
      n: string | number;
      sites: string[] | null;
      first: Date | string | null;
      last: Date | string | null;
    }>(
      `SELECT campaign, count(*) AS n, array_agg(DISTINCT site) FILTER (WHERE site IS NOT NULL) AS sites,
              min(started_at) AS first, max(started_at) AS last
         FROM records GROUP BY campaign ORDER BY max(started_at) DESC NULLS LAST, campaign`,
    );
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return rows.map((r) => ({
      campaign: r.campaign,
      records: Number(r.n),
      sites: r.sites ?? [],
      first: iso(r.first),
      last: iso(r.last),
    }));
  }

  async sources(): Promise<string[]> {
    const { rows } = await this.sql.query<{ path: string }>('SELECT path FROM sources ORDER BY path');
    return rows.map((r) => r.path);
  }

  async status(): Promise<DbStatus> {
    const { rows } = await this.sql.query<{ n: string | number }>('SELECT count(*) AS n FROM records');
    const v = await this.sql.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations');
    return {
      where: describeTarget(this.target),
      records: Number(rows[0]?.n ?? 0),
      schemaVersion: v.rows[0]?.v ?? 0,
      sources: await this.sources(),
    };
  }

  async close(): Promise<void> {
    try {
      await this.sql.close();
    } finally {
      this.lock?.release();
    }
  }
}

/** Whether the embedded database exists yet (status without creating it). */
export function embeddedExists(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'));
}
