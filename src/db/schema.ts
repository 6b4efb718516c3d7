// The database's schema, as numbered migrations applied in order, each once, each in the transaction that
// records it in `schema_migrations`. Never edit a migration that has shipped: add the next one.
import type { Queryable, Sql } from './sql.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Run and committed on its own before the migrations' transaction, when this one is pending: what must be done
   * before it and cannot be done inside it (an index build still indexes rows its own transaction deleted).
   */
  before?: string;
}

/** Migration 6's test of a record whose indexed names exceed 2,000 bytes together (as `db/index.ts` skips at ingest). */
const TOO_LONG = `octet_length(id) + octet_length(campaign) + octet_length("case") + octet_length(benchmark)
  + octet_length(coalesce(site, '')) + octet_length(coalesce(node, '')) + octet_length(coalesce(gpu_model, ''))
  + octet_length(status) + octet_length(metric_unit) + octet_length(direction) + octet_length(coalesce(backend, ''))
  + octet_length(coalesce(engine_version, '')) + octet_length(coalesce(driver, '')) + octet_length(coalesce(cuda, ''))
  > 2000`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records and sources',
    sql: `
      CREATE TABLE records (
        id text PRIMARY KEY,
        campaign text NOT NULL,
        suite text NOT NULL,
        "case" text NOT NULL,
        benchmark text NOT NULL,
        kind text NOT NULL,
        params jsonb NOT NULL,
        engine text NOT NULL,
        backend text,
        engine_version text,
        site text,
        node text,
        host text NOT NULL,
        gpu_model text,
        gpu_count integer NOT NULL,
        driver text,
        cuda text,
        nodejs text,
        status text NOT NULL,
        metric_name text NOT NULL,
        metric_unit text NOT NULL,
        direction text NOT NULL,
        median double precision,
        ci_low double precision,
        ci_high double precision,
        n integer,
        started_at timestamptz,
        finished_at timestamptz,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        record jsonb NOT NULL
      );
      CREATE INDEX records_benchmark_series ON records (benchmark, site, started_at);
      CREATE INDEX records_case_series ON records ("case", site, started_at);
      CREATE INDEX records_campaign ON records (campaign);
      -- Folders records were imported from: what \`db rebuild\` re-reads when given none.
      CREATE TABLE sources (
        path text PRIMARY KEY,
        first_imported timestamptz NOT NULL DEFAULT now(),
        last_imported timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'records as text; index by start time',
    // The record is read back whole and never queried inside, so JSONB's parse on every insert and print on every
    // read were pure cost (measured: ingest 2–3× slower, reads 2–4× slower). EXTERNAL storage keeps the text
    // uncompressed: pglz on every write and read cost more than the bytes it saved.
    sql: `
      ALTER TABLE records ALTER COLUMN record TYPE text USING record::text;
      ALTER TABLE records ALTER COLUMN record SET STORAGE EXTERNAL;
      CREATE INDEX records_started ON records (started_at);
    `,
  },
  {
    version: 3,
    name: 'records paged by start time and id',
    // records() reads a large selection a page at a time keyed by (started_at, id): the key must be an index, or
    // every page would sort the whole selection again.
    sql: `
      DROP INDEX IF EXISTS records_started;
      CREATE INDEX records_started_id ON records (started_at, id);
    `,
  },
  {
    version: 4,
    name: 'regressions kept per case and site',
    // The regressions of a case at a site (every node series of it), found once after the records that change them
    // arrive, not on every view: `found` is their JSON, NULL while records added since have not been analysed
    // (`version` is new at each mark, so an analysis that read older points never overwrites a newer mark; from a
    // sequence that `db rebuild` keeps, so an analysis begun before a rebuild cannot match a version after it).
    // A site of '' holds the records without a site (local runs). Every pair starts unanalysed.
    sql: `
      CREATE SEQUENCE IF NOT EXISTS series_regressions_version;
      CREATE TABLE series_regressions (
        "case" text NOT NULL,
        site text NOT NULL,
        benchmark text NOT NULL,
        version integer NOT NULL DEFAULT nextval('series_regressions_version'),
        series integer,
        found text,
        PRIMARY KEY ("case", site)
      );
      INSERT INTO series_regressions ("case", site, benchmark)
        SELECT DISTINCT ON ("case", coalesce(site, '')) "case", coalesce(site, ''), benchmark FROM records
         WHERE status = 'ok' AND median IS NOT NULL
         ORDER BY "case", coalesce(site, '');
    `,
  },
  {
    version: 5,
    name: 'change points kept per case and site',
    // Each series' change points as its history view draws them, found in the same analysis as the pair's
    // regressions (E-Divisive once for both). Every pair is marked, so the next look finds them.
    sql: `
      ALTER TABLE series_regressions ADD COLUMN changes text;
      UPDATE series_regressions
         SET version = nextval('series_regressions_version'), found = NULL, series = NULL;
    `,
  },
  {
    version: 6,
    name: 'history read from an index',
    // A history holds every column its points need in one index, in its order, so a (case, site) is read from a few
    // contiguous index pages instead of one heap page per point (cold, at 1,000,000 records: 175–190 → 53–76 ms for
    // 5,000 points). Index-only scans skip the heap for pages the visibility map marks all-visible: VACUUM after an
    // ingest (\`Sql.vacuum\`) keeps it so (PGlite has no autovacuum; a server's waits for a fifth of the table). Its
    // key leads with the case, as the index it replaces did, so the walk over every case still uses it.
    // Before it, most of these names were in no index, so a record with longer ones than an index entry holds could
    // be stored: \`before\` removes it (an ingest now skips it, saying why; its file is untouched) and marks its pair to
    // be analysed again, or the index could not be made and the database not opened.
    before: `
      DO $$ BEGIN
        IF to_regclass('series_regressions') IS NULL THEN
          DELETE FROM records WHERE ${TOO_LONG};
        ELSE
          WITH gone AS (DELETE FROM records WHERE ${TOO_LONG} RETURNING "case", coalesce(site, '') AS site)
          UPDATE series_regressions s
             SET version = nextval('series_regressions_version'), found = NULL, series = NULL
            FROM (SELECT DISTINCT "case", site FROM gone) g
           WHERE s."case" = g."case" AND s.site = g.site;
        END IF;
      END $$;
    `,
    sql: `
      CREATE INDEX records_history ON records ("case", site, started_at, id)
        INCLUDE (status, campaign, benchmark, node, gpu_model, median, ci_low, ci_high, n, metric_unit, direction,
                 backend, engine_version, driver, cuda);
      DROP INDEX IF EXISTS records_case_series;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Any fixed number: taken for the migration's transaction, so two processes migrating a server do it once. */
const MIGRATION_LOCK = 0x0fedbe7c;

/** The \`before\` steps of the migrations not yet applied, each in a transaction of its own; before \`migrate\`. */
export async function prepareMigrations(sql: Sql): Promise<void> {
  const { rows } = await sql.query<{ known: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS known`);
  if (!rows[0]?.known) return; // a new database: nothing to prepare
  const { rows: v } = await sql.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  for (const m of MIGRATIONS)
    if (m.before && m.version > (v[0]?.v ?? 0)) await sql.transaction((q) => q.script(m.before!));
}

/** Applies the migrations not yet applied; returns the schema version. */
export async function migrate(q: Queryable): Promise<number> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await q.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await q.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  const current = rows[0]?.v ?? 0;
  if (current > SCHEMA_VERSION)
    throw new Error(
      `the results database has schema version ${current}, newer than this fedbench knows (${SCHEMA_VERSION}): upgrade fedbench`,
    );
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await q.script(m.sql);
    await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
  return SCHEMA_VERSION;
}

/** Every table fedbench made, for `db rebuild`. */
export const TABLES = ['records', 'sources', 'series_regressions', 'schema_migrations'] as const;
