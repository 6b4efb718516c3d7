// The results database, the same tests against both: the embedded PGlite folder and a real PostgreSQL server
// (a private cluster, pgserver.ts). The commands run as a user would run them (the built CLI); the queries also
// through the library.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRecord, type SyntheticSpec } from '../../src/bench/synthetic.js';
import {
  type DbTarget,
  dbTarget,
  HISTORY_QUERY,
  historyPoints,
  MIGRATIONS,
  openDb,
  SCHEMA_VERSION,
} from '../../src/db/index.js';
import { openPglite, openPostgres } from '../../src/db/sql.js';
import { type RunRecord, writeRecord } from '../../src/results/index.js';
import { fedbench, ROOT } from '../cli/run-cli.js';
import { IN_CI, missingPostgres, type PgServer, startPostgres } from '../../src/bench/pgserver.js';

const missing = missingPostgres();
if (missing && IN_CI) throw new Error(`the PostgreSQL database tests cannot run in CI: ${missing}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-db-test-'));
let server: PgServer | null = null;

beforeAll(async () => {
  if (!missing) server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let seq = 0;
function record(spec: Partial<SyntheticSpec> & { day: number; id?: string; campaign?: string }): RunRecord {
  const r = syntheticRecord({ site: 'alpha', median: 100, gpu: 'NVIDIA H100 80GB HBM3', seed: ++seq, ...spec });
  r.startedAt = new Date(Date.UTC(2026, 0, spec.day, 12)).toISOString();
  if (spec.id) r.id = spec.id;
  if (spec.campaign) r.campaign = spec.campaign;
  return r;
}

async function folder(name: string, records: readonly RunRecord[]): Promise<string> {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const r of records) await writeRecord(dir, r);
  return dir;
}

/** Runs the CLI against the target; the user's own database is never touched. */
const cli = (target: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  fedbench([...args, '--db', target], {
    env: { FEDBENCH_DB: '', FEDBENCH_DB_DIR: path.join(tmp, 'unused'), ...env },
  });

interface Backend {
  name: string;
  /** In folder names. */
  slug: string;
  skip: string | null;
  /** A new, empty database: a folder, or a server database's URL. */
  fresh(label: string): Promise<string>;
}

const backends: Backend[] = [
  { name: 'embedded (PGlite)', slug: 'pglite', skip: null, fresh: async (label) => path.join(tmp, `pglite-${label}`) },
  {
    name: 'PostgreSQL server',
    slug: 'server',
    skip: missing,
    fresh: (label) => server!.createDatabase(`t_${label.replace(/\W/g, '_')}`),
  },
];

it("the embedded database's page cache: small for a command that reads a little (it opens sooner), PGlite's own otherwise", async () => {
  const dir = path.join(tmp, 'cache');
  await (await openDb({ kind: 'embedded', dir })).close(); // created
  for (const [cacheMB, shown] of [
    [32, '32MB'],
    [undefined, '128MB'],
  ] as const) {
    const sql = await openPglite(dir, cacheMB);
    try {
      expect((await sql.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers).toBe(shown);
    } finally {
      await sql.close();
    }
  }
}, 60_000);

it('FEDBENCH_DB=off: the db commands ask for --db instead of guessing', async () => {
  const r = await fedbench(['db', 'status'], { env: { FEDBENCH_DB: 'off' } });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('FEDBENCH_DB=off turns the results database off: unset it, or give --db');
});

(missing ? it.skip : it)(
  'a connection the server drops while idle: the process goes on, and the next query opens a new one',
  async () => {
    const url = await server!.createDatabase('t_dropped');
    const db = await openDb(dbTarget(url));
    const admin = await openPostgres(url);
    const terminate = () =>
      admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
    const others = async () =>
      Number(
        (
          await admin.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
          )
        ).rows[0]!.n,
      );
    const gone = async () => {
      while ((await others()) > 0) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await db.ingest([record({ day: 1 })]);
      await terminate();
      await gone();
      // a query that meets the loss says so (the server's word arrives on its own time); the next reconnects
      let failures = 0;
      const first = await db.status().catch((err: unknown) => {
        expect(String(err)).toMatch(/connection to the PostgreSQL server was lost .*run the command again/);
        failures++;
        return null;
      });
      const answer = first ?? (await db.status());
      expect(answer.records).toBe(1);
      expect(failures).toBeLessThanOrEqual(1);
      expect(await others()).toBe(1); // the new connection
      // lost again, then closed: closing ends at once
      await terminate();
      await gone();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await admin.close();
      await db.close();
    }
  },
  30_000,
);

describe.each(backends)('results database: $name', (backend) => {
  const maybe = backend.skip ? it.skip : it;
  if (backend.skip) it.skip(`skipped: ${backend.skip}`, () => {});

  maybe(
    'imports a folder once: a second import changes nothing; a malformed record is reported and skipped',
    async () => {
      const db = await backend.fresh('idempotent');
      const dir = await folder(
        `idem-${backend.slug}`,
        Array.from({ length: 12 }, (_, i) => record({ day: i + 1, median: 100 + i })),
      );
      writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ schema: 'fedbench.run/2', id: 'broken' }));
      writeFileSync(path.join(dir, 'not-json.json'), '{ nope');
      const first = await cli(db, ['db', 'import', dir, '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual([{ dir, added: 12, present: 0, skipped: 2 }]);
      expect(first.stderr).toContain(`skipped ${path.join(dir, 'broken.json')}: campaign:`);
      expect(first.stderr).toContain(`skipped ${path.join(dir, 'not-json.json')}: `);
      const second = await cli(db, ['db', 'import', dir]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe(`${dir}: 0 added, 12 already there, 2 skipped\n`);
      const status = await cli(db, ['db', 'status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ records: 12, schemaVersion: SCHEMA_VERSION, sources: [dir] });

      // rebuild: the files are the source of truth; a record whose file is gone leaves the index
      unlinkSync(path.join(dir, 'broken.json'));
      const one = readdirSync(dir).find((f) => f.startsWith('gemm'))!;
      unlinkSync(path.join(dir, one));
      const rebuilt = await cli(db, ['db', 'rebuild']);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout).toContain('11 added, 0 already there, 1 skipped');
      expect(JSON.parse((await cli(db, ['db', 'status', '--json'])).stdout)).toMatchObject({ records: 11 });
    },
  );

  maybe('hostile strings stay data', async () => {
    const db = await backend.fresh('hostile');
    const hostile = [
      "x'; DROP TABLE records; --",
      'quote " double \\ backslash',
      '$1 $2 %s %% ?',
      "'); DELETE FROM schema_migrations; SELECT ('",
      'Robert"); DROP TABLE sources;-- ñ 名前 😀',
      // what COPY's text format gives meaning to: a tab, line ends, its NULL (\N) and end-of-data (\.) markers
      'tab\there\nnext line\r\\N \\.\n\\.',
    ];
    const records = hostile.map((s, i) =>
      record({
        day: i + 1,
        site: s,
        node: `${s}-node`,
        benchmark: 'hostile',
        case: `hostile/${s}`,
        params: { name: s, [s]: s },
        campaign: s,
        gpu: s,
      }),
    );
    const withNul = record({ day: 9, site: 'nul\u0000site', benchmark: 'hostile', campaign: 'nul' });
    // names too long to index (an index entry must fit a third of a page): skipped alone, not its whole batch
    const tooLong = record({ day: 10, benchmark: 'hostile', campaign: 'long' });
    tooLong.system.gpus[0]!.driver = Array.from({ length: 600 }, (_, i) => ((i * 7919) % 99991).toString(36)).join('ü');
    const target: DbTarget = dbTarget(db);
    const handle = await openDb(target);
    try {
      const result = await handle.ingest([...records, withNul, tooLong]);
      expect(result.added).toBe(hostile.length);
      expect(result.skipped).toHaveLength(2);
      expect(result.skipped).toEqual(
        expect.arrayContaining([
          { file: `record ${withNul.id}`, error: 'contains a NUL character, which PostgreSQL cannot store' },
          {
            file: `record ${tooLong.id}`,
            error: expect.stringMatching(/^its names \(id, case, .*\) take 3\d\d\d bytes together, more than the 2000/),
          },
        ]),
      );
      for (const s of hostile) {
        const points = await handle.history({ bench: `hostile/${s}`, site: s, gpu: s });
        expect(points).toHaveLength(1);
        expect(points[0]).toMatchObject({ case: `hostile/${s}`, site: s, campaign: s, gpu: s, node: `${s}-node` });
      }
      expect(await handle.history({ bench: 'hostile' })).toHaveLength(hostile.length);
      expect((await handle.status()).records).toBe(hostile.length);
      // a hostile string as the query's own input is data too
      expect((await handle.history({ bench: "x'; DROP TABLE records; --" })).length).toBe(0);
      // read back whole, byte for byte
      const back = new Map((await handle.records({ bench: ['hostile'] })).map((r) => [r.id, r]));
      for (const r of records) expect(back.get(r.id)).toEqual(r);
      // the same record twice in one input: added once
      const twice = record({ day: 20, benchmark: 'hostile', campaign: 'twice' });
      expect(await handle.ingest([twice, twice, records[0]!])).toMatchObject({ added: 1, present: 2 });
    } finally {
      await handle.close();
    }
  });

  maybe('two imports at once lose and double nothing', async () => {
    const db = await backend.fresh('concurrent');
    const all = Array.from({ length: 300 }, (_, i) => record({ day: (i % 28) + 1, median: 50 + i, benchmark: 'conc' }));
    const a = await folder(`conc-a-${backend.slug}`, all.slice(0, 200));
    const b = await folder(`conc-b-${backend.slug}`, all.slice(100));
    const [ra, rb] = await Promise.all([
      cli(db, ['db', 'import', a, '--json']),
      cli(db, ['db', 'import', b, '--json']),
    ]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const [ca] = JSON.parse(ra.stdout) as Array<{ added: number; present: number }>;
    const [cb] = JSON.parse(rb.stdout) as Array<{ added: number; present: number }>;
    expect(ca!.added + cb!.added).toBe(300);
    expect(ca!.added + ca!.present).toBe(200);
    expect(cb!.added + cb!.present).toBe(200);
    const handle = await openDb(dbTarget(db));
    try {
      expect((await handle.status()).records).toBe(300);
      const points = await handle.history({ bench: 'conc' });
      expect(new Set(points.map((p) => p.id))).toEqual(new Set(all.map((r) => r.id)));
    } finally {
      await handle.close();
    }
  });

  maybe('an import killed midway leaves whole batches, and the next import completes it', async () => {
    const db = await backend.fresh('killed');
    const all = Array.from({ length: 3000 }, (_, i) => record({ day: (i % 28) + 1, benchmark: 'killed' }));
    const dir = await folder(`killed-${backend.slug}`, all);
    await (await openDb(dbTarget(db))).close(); // made and migrated: the import below only inserts
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'db', 'import', dir, '--db', db], {
      env: { ...process.env, FEDBENCH_DB: '' },
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => child.once('exit', resolve));
    if (backend.slug === 'server') {
      // the server can be watched while the import runs: kill it once its first batch is in
      for (let n = 0; n === 0; ) {
        await new Promise((r) => setTimeout(r, 50));
        const h = await openDb(dbTarget(db));
        n = (await h.status()).records;
        await h.close();
      }
    } else {
      // the embedded one cannot (the import holds it): kill it a moment after it took the lock
      const lock = `${db}.lock`;
      while (!(existsSync(lock) && readFileSync(lock, 'utf8').startsWith(`${child.pid} `)))
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 1500));
    }
    child.kill('SIGKILL');
    await ended;
    const handle = await openDb(dbTarget(db), { lockWaitMs: 5000 });
    try {
      const left = (await handle.status()).records;
      expect(left % 500, `${left} records after the kill`).toBe(0); // transactions of 500: whole or nothing
      expect(left).toBeLessThanOrEqual(3000);
    } finally {
      await handle.close();
    }
    const again = await cli(db, ['db', 'import', dir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const [c] = JSON.parse(again.stdout) as Array<{ added: number; present: number }>;
    expect(c!.added + c!.present).toBe(3000);
    expect(JSON.parse((await cli(db, ['db', 'status', '--json'])).stdout)).toMatchObject({ records: 3000 });
  });

  maybe('history: one case over time per site, per node where a site has node sweeps, filtered', async () => {
    const db = await backend.fresh('history');
    const gemm = 'gemm/onnxruntime/n=2048,dtype=fp32';
    const records = [
      record({ day: 3, site: 'alpha', median: 103, campaign: 'c1' }),
      record({ day: 1, site: 'alpha', median: 101, campaign: 'c0' }),
      record({ day: 2, site: 'alpha', median: 102, campaign: 'c0b', node: 'alpha-node02' }),
      // beta swept two nodes in one campaign: its series are per node
      record({ day: 5, site: 'beta', node: 'beta-n1', median: 90, campaign: 'sweep', gpu: 'NVIDIA A100-SXM4-40GB' }),
      record({ day: 5, site: 'beta', node: 'beta-n2', median: 80, campaign: 'sweep', gpu: 'NVIDIA A100-SXM4-40GB' }),
      record({ day: 7, site: 'beta', node: 'beta-n1', median: 91, campaign: 'later', gpu: 'NVIDIA A100-SXM4-40GB' }),
      record({ day: 8, site: 'alpha', median: 1, status: 'failed', error: 'boom' }),
      record({ day: 9, site: 'alpha', median: 1, benchmark: 'other' }),
    ];
    const dir = await folder(`history-${backend.slug}`, records);
    expect((await cli(db, ['db', 'import', dir])).code).toBe(0);
    const json = await cli(db, ['history', '--bench', 'gemm', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const points = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(points.map((p) => [p.case, p.site, p.seriesNode, p.median, p.startedAt])).toEqual([
      [gemm, 'alpha', null, records[1]!.stats!.median, '2026-01-01T12:00:00.000Z'],
      [gemm, 'alpha', null, records[2]!.stats!.median, '2026-01-02T12:00:00.000Z'],
      [gemm, 'alpha', null, records[0]!.stats!.median, '2026-01-03T12:00:00.000Z'],
      [gemm, 'beta', 'beta-n1', records[3]!.stats!.median, '2026-01-05T12:00:00.000Z'],
      [gemm, 'beta', 'beta-n1', records[5]!.stats!.median, '2026-01-07T12:00:00.000Z'],
      [gemm, 'beta', 'beta-n2', records[4]!.stats!.median, '2026-01-05T12:00:00.000Z'],
    ]);
    expect(points[0]).toMatchObject({
      ci95: records[1]!.stats!.ci95,
      n: 30,
      unit: 'GFLOP/s',
      gpu: 'NVIDIA H100 80GB HBM3',
    });
    const filtered = await cli(db, ['history', '--bench', gemm, '--gpu', 'a100', '--since', '2026-01-06', '--json']);
    expect((JSON.parse(filtered.stdout) as Array<{ id: string }>).map((p) => p.id)).toEqual([records[5]!.id]);
    const table = await cli(db, ['history', '--bench', 'gemm', '--site', 'beta'], { COLUMNS: '200' });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('beta-n2');
    expect(table.stdout).not.toContain('alpha');
    expect(table.stdout).toContain('2026-01-07 12:00');
    const none = await cli(db, ['history', '--bench', 'nothing-like-it']);
    expect(none.stdout).toBe("no successful records of 'nothing-like-it' match\n");
    const badDate = await cli(db, ['history', '--bench', 'gemm', '--since', 'yesterday-ish']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("--since: not a date: 'yesterday-ish'");
  });

  maybe(
    'regressions: a drop after a driver change is found with what changed; noise and improvements are not',
    async () => {
      const db = await backend.fresh('regressions');
      const records = Array.from({ length: 24 }, (_, i) => {
        const day = i + 1;
        // alpha: GEMM falls by 15% from day 15 on, when the driver changed; beta: the same noise, no change
        const r = record({ day, site: 'alpha', median: day < 15 ? 100 : 85, spread: 0.005 });
        r.system.gpus[0]!.driver = day < 15 ? '550.54.15' : '560.28.03';
        return r;
      });
      for (let day = 1; day <= 24; day++) records.push(record({ day, site: 'beta', median: 100, spread: 0.005 }));
      const dir = await folder(`regressions-${backend.slug}`, records);
      expect((await cli(db, ['db', 'import', dir])).code).toBe(0);
      const found = await cli(db, ['regressions', '--json']);
      expect(found.code, found.stderr).toBe(1); // usable from cron: a regression is a failure
      const list = JSON.parse(found.stdout) as Array<{
        site: string;
        index: number;
        comparison: { verdict: string; ratio: number };
        firstAfter: { startedAt: string };
        changed: Array<{ field: string; before: string; after: string }>;
      }>;
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        site: 'alpha',
        index: 14,
        firstAfter: { startedAt: '2026-01-15T12:00:00.000Z' },
      });
      expect(list[0]!.comparison.verdict).toBe('SLOWER');
      expect(list[0]!.comparison.ratio).toBeCloseTo(0.85, 1);
      expect(list[0]!.changed).toEqual([{ field: 'driver', before: '550.54.15', after: '560.28.03' }]);
      const table = await cli(db, ['regressions'], { COLUMNS: '250' });
      expect(table.code).toBe(1);
      expect(table.stdout).toContain('driver: 550.54.15 → 560.28.03');
      // a cron job that last looked on the 20th has nothing new to hear about
      const later = await cli(db, ['regressions', '--since', '2026-01-20']);
      expect(later.code, later.stderr).toBe(0);
      expect(later.stdout).toBe('no regression in 2 series\n');
    },
  );

  maybe(
    'report reads campaigns from the database, and --history draws each series with its change points',
    async () => {
      const db = await backend.fresh('report');
      const records: RunRecord[] = [];
      for (let day = 1; day <= 24; day++) {
        // alpha: GEMM falls by 15% from day 15 on, with a new driver; beta: steady
        const a = record({ day, site: 'alpha', median: day < 15 ? 100 : 85, spread: 0.005, campaign: `week-${day}` });
        a.system.gpus[0]!.driver = day < 15 ? '550.54.15' : '560.28.03';
        records.push(a, record({ day, site: 'beta', median: 100, spread: 0.005, campaign: `week-${day}` }));
      }
      records.push(record({ day: 24, site: 'beta', benchmark: 'other', median: 7, campaign: 'week-24' }));
      const dir = await folder(`report-${backend.slug}`, records);
      expect((await cli(db, ['db', 'import', dir])).code).toBe(0);
      const out = path.join(tmp, `report-${backend.slug}.html`);
      const last = await cli(db, [
        'report',
        '--campaign',
        'week-24',
        '--history',
        '--out',
        out,
        '--json',
        '--export',
        'md',
      ]);
      expect(last.code, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ records: 3 });
      const page = readFileSync(out, 'utf8');
      expect(page).toContain('3 run record(s) from 2 site(s)');
      expect(page).toContain('records read from the results database');
      expect(page).toContain('campaign week-24');
      // the history section holds every run of the reported cases, not only this campaign's
      expect(page).toContain('<section id="history">');
      expect(page).toContain('49 run(s) of the reported cases');
      expect(page).toContain('driver: 550.54.15 → 560.28.03');
      expect(page).toMatch(/<span class="badge b-slower">SLOWER<\/span>/);
      // --since selects by start time; two campaigns by name
      const since = await cli(db, ['report', '--since', '2026-01-23', '--out', out, '--json']);
      expect(JSON.parse(since.stdout)).toMatchObject({ records: 5 });
      const two = await cli(db, ['report', '--campaign', 'week-1', 'week-2', '--out', out, '--json']);
      expect(JSON.parse(two.stdout)).toMatchObject({ records: 4 });
      const none = await cli(db, ['report', '--campaign', 'no-such', '--out', out]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no run records in the results database for campaign no-such');
      const both = await cli(db, ['report', '--campaign', 'week-1', '--results', dir, '--out', out]);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('give either --results (folders) or --campaign/--since');
      // records from the database render the same report as from their files
      const fromFiles = await cli(db, ['report', '--results', dir, '--out', `${out}.files.html`, '--export', 'csv']);
      const fromDb = await cli(db, ['report', '--since', '2000-01-01', '--out', `${out}.db.html`, '--export', 'csv']);
      expect(fromFiles.code, fromFiles.stderr).toBe(0);
      expect(fromDb.code, fromDb.stderr).toBe(0);
      const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').sort();
      expect(rows(`${out}.db.csv`)).toEqual(rows(`${out}.files.csv`));
    },
  );

  maybe('run adds its records to the database chosen by FEDBENCH_DB, and not with --no-db', async () => {
    const db = await backend.fresh('run');
    const suite = path.join(tmp, `cuda-${backend.slug}.yaml`);
    // fails fast where there is no CUDA (and runs where there is): a record either way
    writeFileSync(
      suite,
      'name: cuda-only\nengines: ["onnxruntime:cuda"]\nbenchmarks:\n  - { id: g, workload: gemm, params: { n: 32 } }\n',
    );
    const env = { FEDBENCH_DB: db, FEDBENCH_DB_DIR: path.join(tmp, 'unused'), SLURM_JOB_ID: '' };
    const out = path.join(tmp, `run-${backend.slug}`);
    const fed = await fedbench(['run', '--suite', suite, '--out', out, '--campaign', 'fed', '--json'], { env });
    expect(fed.stderr).toContain('results database: 1 record(s) added, 0 already there');
    const [rec] = JSON.parse(fed.stdout) as RunRecord[];
    const notFed = await fedbench(['run', '--suite', suite, '--out', `${out}-no`, '--campaign', 'no', '--no-db'], {
      env,
    });
    expect(notFed.stderr).not.toContain('results database');
    const handle = await openDb(dbTarget(db));
    try {
      const s = await handle.status();
      expect(s.records).toBe(1);
      expect(s.sources).toEqual([out]);
      const again = await handle.ingest([rec!]);
      expect(again).toEqual({ added: 0, present: 1, skipped: [] });
    } finally {
      await handle.close();
    }
  });

  maybe(
    'a database made by schema version 1 (records as JSONB) is migrated and its records read back whole',
    async () => {
      const db = await backend.fresh('from-v1');
      const target = dbTarget(db);
      const raw = target.kind === 'embedded' ? await openPglite(target.dir) : await openPostgres(target.url);
      const old = record({ day: 4, campaign: 'before-v2', site: "o'brien <b>" });
      try {
        await raw.transaction(async (q) => {
          await q.script(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now())`);
          await q.script(MIGRATIONS[0]!.sql);
          await q.query('INSERT INTO schema_migrations (version, name) VALUES (1, $1)', [MIGRATIONS[0]!.name]);
          await q.query(
            `INSERT INTO records (id, campaign, suite, "case", benchmark, kind, params, engine, host, gpu_count, status,
             metric_name, metric_unit, direction, median, started_at, record)
           VALUES ($1, $2, 's', $3, 'gemm', 'kernel', '{}', 'onnxruntime', 'h', 1, 'ok', 'throughput', 'GFLOP/s',
             'higher', $4, $5, $6::jsonb)`,
            [old.id, old.campaign, old.case, old.stats!.median, old.startedAt, JSON.stringify(old)],
          );
        });
      } finally {
        await raw.close();
      }
      const handle = await openDb(target);
      try {
        expect((await handle.status()).schemaVersion).toBe(SCHEMA_VERSION);
        expect(await handle.records({ campaign: ['before-v2'] })).toEqual([old]);
        expect(await handle.campaigns()).toEqual([
          { campaign: 'before-v2', records: 1, sites: [], first: old.startedAt, last: old.startedAt },
        ]);
      } finally {
        await handle.close();
      }
    },
  );

  maybe(
    'records: a selection larger than a page comes whole, in start order, and a limit keeps the newest',
    async () => {
      // 4,600 records over two pages and more; many share a start time (ordered by id), some have none (oldest)
      const many: RunRecord[] = [];
      for (let i = 0; i < 4600; i++) {
        const r = record({
          day: 1 + (i % 7),
          id: `p-${String((i * 7919) % 4600).padStart(5, '0')}`,
          campaign: 'paged',
        });
        if (i % 500 === 0) r.startedAt = 'no start time';
        many.push(r);
      }
      const key = (r: RunRecord) => {
        const t = Date.parse(r.startedAt);
        return Number.isFinite(t) ? `1 ${new Date(t).toISOString()} ${r.id}` : `0 ${r.id}`;
      };
      const ordered = [...many].sort((a, b) => (key(a) < key(b) ? -1 : 1)).map((r) => r.id);
      const handle = await openDb(dbTarget(await backend.fresh('paged')));
      try {
        expect((await handle.ingest(many)).added).toBe(4600);
        expect((await handle.records({ campaign: ['paged'] })).map((r) => r.id)).toEqual(ordered);
        expect((await handle.records({ campaign: ['paged'], limit: 2500 })).map((r) => r.id)).toEqual(
          ordered.slice(-2500),
        );
        // a limit that reaches into the records without a start time
        expect((await handle.records({ campaign: ['paged'], limit: 4595 })).map((r) => r.id)).toEqual(
          ordered.slice(-4595),
        );
      } finally {
        await handle.close();
      }
    },
  );

  maybe(
    'history a case at a time (the server and history of every case read so): the same points as one answer',
    async () => {
      const recs = ['gemm', 'conv2d', 'attention'].flatMap((benchmark) =>
        [1, 2, 3].map((day) => record({ day, benchmark, campaign: `c${day}` })),
      );
      const handle = await openDb(dbTarget(await backend.fresh('per-case')));
      try {
        await handle.ingest(recs);
        const texts: string[] = [];
        for await (const t of handle.historyTexts({})) texts.push(t);
        expect(texts).toHaveLength(3);
        for (const t of texts) expect(new Set(historyPoints(t).map((p) => p.case)).size).toBe(1);
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
        expect(texts.flatMap(historyPoints).sort(byId)).toEqual((await handle.history({})).sort(byId));
        expect(texts.flatMap(historyPoints)).toHaveLength(9);
        // history of every case is read so too (one answer outgrows a value at a million points): the same points,
        // in the same order, as the one answer
        expect(await handle.history({})).toEqual(historyPoints(await handle.historyText({})));
      } finally {
        await handle.close();
      }
    },
  );

  maybe('a history is read from its index alone: no heap page per point once the ingest has vacuumed', async () => {
    const db = await backend.fresh('index-only');
    const handle = await openDb(dbTarget(db));
    const records = Array.from({ length: 60 }, (_, i) =>
      record({ day: (i % 28) + 1, benchmark: 'ios', node: `n${i % 3}`, site: i % 2 ? 'alpha' : 'beta' }),
    );
    try {
      expect((await handle.ingest(records)).added).toBe(60);
    } finally {
      await handle.close();
    }
    const sql = backend.slug === 'server' ? await openPostgres(db) : await openPglite(db);
    try {
      // so small a table would be read whole: the plan of a large one is asked for
      await sql.script('SET enable_seqscan = off; SET enable_bitmapscan = off');
      const { rows } = await sql.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${HISTORY_QUERY}`, [
        null,
        'alpha',
        null,
        null,
        records[0]!.case,
        false,
      ]);
      const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
      expect(plan).toContain('"Node Type":"Index Only Scan"');
      expect(plan).toContain('"Index Name":"records_history"');
      expect(plan).toMatch(/"Heap Fetches":0[,}]/);
      expect(plan).toMatch(/"Actual Rows":30[,}.]/);
    } finally {
      await sql.close();
    }
  });

  maybe('migrations are applied once and recorded', async () => {
    const db = await backend.fresh('migrations');
    for (let i = 0; i < 2; i++) {
      const handle = await openDb(dbTarget(db));
      try {
        expect((await handle.status()).schemaVersion).toBe(SCHEMA_VERSION);
      } finally {
        await handle.close();
      }
    }
  });
});
