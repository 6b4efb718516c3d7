// Regressions kept in the results database per case and site (found after records arrive, read on every view): the
// same answer as finding them over the whole history, kept up to date as records arrive, and a database made before
// they were kept gets them on its first look. A real embedded database with synthetic records (bench:db's layout,
// a 10% drop planted at one site for five cases: labelled synthetic, no figure here is a measurement).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRegressions, historySeries, seriesOf } from '../../src/analysis/index.js';
import {
  analyseSeries,
  analyseWith,
  keptChanges,
  keptChangesMap,
  keptRegressions,
  keptText,
  pairRegressions,
  parseKept,
} from '../../src/analysis/kept-regressions.js';
import { CASES, NODES, nightlyRecord, PER_CAMPAIGN, SITES } from '../../src/bench/nightly.js';
import { historyPoints, openDb, type ResultsDb, SCHEMA_VERSION } from '../../src/db/index.js';
import type { RunRecord } from '../../src/results/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-kept-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const here = analyseWith(historyPoints);
const CAMPAIGNS = 15; // the drop starts at campaign 12 (80%): three runs after it, E-Divisive's minimum
const TOTAL = CAMPAIGNS * PER_CAMPAIGN;

/** Seven cases (the five with the drop, two without) on two nodes of every site, campaigns [from, to). */
function records(from: number, to: number): RunRecord[] {
  const out: RunRecord[] = [];
  for (let c = from; c < to; c++)
    for (let s = 0; s < SITES.length; s++)
      for (let k = 0; k < 7; k++)
        for (let node = 0; node < 2; node++)
          out.push(nightlyRecord(c * PER_CAMPAIGN + s * CASES * NODES + k * NODES + node, TOTAL));
  return out;
}

async function withDb<T>(name: string, fn: (db: ResultsDb) => Promise<T>): Promise<T> {
  const db = await openDb({ kind: 'embedded', dir: path.join(tmp, name) });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Migration 6 undone: what an older schema had instead of the history's index. */
const UNDO_HISTORY_INDEX =
  'DROP INDEX records_history; CREATE INDEX records_case_series ON records ("case", site, started_at)';

/** A database with every pair analysed, then taken back to an older schema by `downgrade`; its name. */
async function analysedThenBack(name: string, downgrade: string): Promise<string> {
  await withDb(name, async (db) => {
    await db.ingest(records(0, 15));
    await analyseSeries(db, here);
  });
  const { openPglite } = await import('../../src/db/sql.js');
  const sql = await openPglite(path.join(tmp, name));
  await sql.script(downgrade);
  await sql.close();
  return name;
}

/** What `regressions` found before they were kept: E-Divisive over the whole (filtered) history. */
async function computed(db: ResultsDb, q: { bench?: string; site?: string; since?: Date }) {
  const points = await db.history({ ...(q.bench ? { bench: q.bench } : {}), ...(q.site ? { site: q.site } : {}) });
  return { found: findRegressions(points, q.since), series: seriesOf(points).size };
}

describe('regressions kept per case and site', () => {
  it('gives what a search of the whole history gives, and follows the records as they arrive', async () => {
    await withDb('follow', async (db) => {
      await db.ingest(records(0, 12));
      expect((await db.unanalysedSeries()).length).toBe(SITES.length * 7); // every pair, before any analysis
      expect(await analyseSeries(db, here)).toBe(28);
      expect(await db.unanalysedSeries()).toEqual([]);
      expect((await keptRegressions(db, {}, here)).found).toEqual([]); // no drop yet

      // the nights with the drop: only the pairs they extend are marked, and found again
      const later = records(12, 15);
      await db.ingest(later);
      expect((await db.unanalysedSeries()).length).toBe(28);
      const kept = await keptRegressions(db, {}, here);
      expect(await db.unanalysedSeries()).toEqual([]);
      const all = await computed(db, {});
      expect(kept).toEqual(all);
      // the planted drop: five cases at leonardo, each of its two node series
      expect(kept.found.length).toBe(10);
      expect(new Set(kept.found.map((r) => r.site))).toEqual(new Set(['leonardo']));
      expect(kept.series).toBe(SITES.length * 7 * 2);

      // the filters a user gives, with the same answers
      const case0 = kept.found[0]!.case;
      const since = new Date(Date.parse(later[0]!.startedAt) + 3_600_000);
      const from = new Date(later[0]!.startedAt);
      const queries = [
        { site: 'leonardo' },
        { site: 'vega' },
        { bench: case0 },
        { bench: 'gemm' },
        { since },
        { since: from },
      ];
      for (const q of queries)
        expect(await keptRegressions(db, q, here), JSON.stringify(q)).toEqual(await computed(db, q));
      expect((await keptRegressions(db, { since: from }, here)).found.length).toBe(10);
      expect((await keptRegressions(db, { since }, here)).found.length).toBe(0); // an hour after the drop's first runs
      expect((await keptRegressions(db, { bench: case0 }, here)).found.length).toBe(2);

      // the same records again add nothing and mark nothing
      await db.ingest(later);
      expect(await db.unanalysedSeries()).toEqual([]);
    });
  }, 120_000);

  it('keeps an analysis only if no records were added to its pair since it read them', async () => {
    await withDb('race', async (db) => {
      await db.ingest(records(0, 3));
      const [pair] = await db.unanalysedSeries();
      const stale = pair!;
      await db.ingest(records(3, 4)); // marks the pair again while its older points are being analysed
      expect(await db.keepPairRegressions(stale, '[]', 2, '[]')).toBe(false);
      const [again] = (await db.unanalysedSeries()).filter((p) => p.case === stale.case && p.site === stale.site);
      expect(again!.version).toBeGreaterThan(stale.version);
      expect(await db.keepPairRegressions(again!, '[]', 2, '[]')).toBe(true);
    });
  }, 120_000);

  it('keeps the records without a site (none, or an empty name) as one pair, as the search of the history does', async () => {
    await withDb('siteless', async (db) => {
      const siteless = records(0, 15).map((r) => {
        if (r.site === 'leonardo') r.site = ''; // the site with the drop
        if (r.site === 'vega') delete r.site;
        return r;
      });
      await db.ingest(siteless);
      const kept = await keptRegressions(db, {}, here);
      expect(kept).toEqual(await computed(db, {}));
      expect(kept.found.length).toBe(10);
      expect(new Set(kept.found.map((r) => r.site))).toEqual(new Set(['']));
    });
  }, 120_000);

  it('searches the history when the answers cannot be kept (a database this user may only read)', async () => {
    await withDb('readonly', async (db) => {
      await db.ingest(records(0, 15));
      const readOnly = Object.assign(Object.create(db) as ResultsDb, {
        keepPairRegressions: () => Promise.reject(new Error('permission denied for table series_regressions')),
      });
      const answer = await keptRegressions(readOnly, {}, here);
      expect(answer).toEqual(await computed(db, {}));
      expect(answer.found.length).toBe(10);
      expect((await db.unanalysedSeries()).length).toBe(28); // nothing was kept
    });
  }, 120_000);

  it('a database made before regressions were kept has every pair analysed on its first look', async () => {
    // back to the schema before: no kept regressions
    const name = await analysedThenBack(
      'older',
      `${UNDO_HISTORY_INDEX}; DROP TABLE series_regressions; DROP SEQUENCE series_regressions_version; DELETE FROM schema_migrations WHERE version >= 4`,
    );
    await withDb(name, async (db) => {
      expect((await db.status()).schemaVersion).toBe(SCHEMA_VERSION);
      expect((await db.unanalysedSeries()).length).toBe(28);
      const kept = await keptRegressions(db, {}, here);
      expect(kept).toEqual(await computed(db, {}));
      expect(kept.found.length).toBe(10);
    });
  }, 120_000);

  it('a database holding names too long for the history index (an older schema stored them) opens: those records leave it, their pair is analysed again', async () => {
    const name = await analysedThenBack(
      'too-long',
      `${UNDO_HISTORY_INDEX}; DELETE FROM schema_migrations WHERE version >= 6`,
    );
    // a driver string only a schema without the history index could hold (it fails an index entry's 2,704 bytes)
    const long = Array.from({ length: 600 }, (_, i) => ((i * 7919) % 99991).toString(36)).join('ü');
    const { openPglite } = await import('../../src/db/sql.js');
    const sql = await openPglite(path.join(tmp, name));
    const before = Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM records')).rows[0]!.n);
    const { rows } = await sql.query<{ id: string; case: string; site: string }>(
      `UPDATE records SET driver = $1 WHERE id = (SELECT min(id) FROM records) RETURNING id, "case", site`,
      [long],
    );
    await sql.close();
    const gone = rows[0]!;
    await withDb(name, async (db) => {
      const status = await db.status();
      expect(status.schemaVersion).toBe(SCHEMA_VERSION);
      expect(status.records).toBe(before - 1);
      expect((await db.records({})).some((r) => r.id === gone.id)).toBe(false);
      expect(await db.unanalysedSeries()).toEqual([expect.objectContaining({ case: gone.case, site: gone.site })]);
    });
  }, 120_000);

  it("keeps each series' change points: a history drawn with them is the one found over its runs, while it has those runs", async () => {
    await withDb('changes', async (db) => {
      await db.ingest(records(0, 15));
      const leonardo = (await keptRegressions(db, { site: 'leonardo' }, here)).found;
      const case0 = leonardo[0]!.case;
      const kept = keptChangesMap(await keptChanges(db, { bench: case0 }, here));
      const points = await db.history({ bench: case0 });
      const found = historySeries(points);
      expect(kept.size).toBe(SITES.length * 2); // two node series at every site
      expect(historySeries(points, kept)).toEqual(found);
      const drop = found.find((s) => s.site === 'leonardo')!;
      expect(drop.changes.some((c) => c.verdict === 'SLOWER')).toBe(true);

      // used, not found again: a kept answer altered here is what the history shows while its runs are the same
      const key = JSON.stringify([drop.case, drop.site, drop.node]);
      const altered = new Map(kept).set(key, { ...kept.get(key)!, changes: [] });
      expect(
        historySeries(points, altered).find((s) => s.site === 'leonardo' && s.node === drop.node)!.changes,
      ).toEqual([]);
      // …and ignored where the runs differ: a filtered history, or records added since the changes were kept
      const since = new Date(Date.parse(points.find((p) => p.site === 'leonardo')!.startedAt!) + 1);
      const later = await db.history({ bench: case0, since });
      expect(historySeries(later, altered)).toEqual(historySeries(later));
      await db.ingest(records(15, 16));
      const grown = await db.history({ bench: case0 });
      expect(historySeries(grown, altered)).toEqual(historySeries(grown));
      // the pairs the new records extend are analysed again when the history is looked at
      expect(historySeries(grown, keptChangesMap(await keptChanges(db, { bench: case0 }, here)))).toEqual(
        historySeries(grown),
      );
      expect(await db.unanalysedSeries({ bench: case0 })).toEqual([]);
      expect((await db.unanalysedSeries()).length).toBe(28 - SITES.length); // other cases wait for their own look
    });
  }, 120_000);

  it('a database whose regressions were kept without change points has every pair analysed again', async () => {
    const name = await analysedThenBack(
      'before-changes',
      `${UNDO_HISTORY_INDEX}; ALTER TABLE series_regressions DROP COLUMN changes; DELETE FROM schema_migrations WHERE version >= 5`,
    );
    await withDb(name, async (db) => {
      expect((await db.unanalysedSeries()).length).toBe(28);
      expect(await db.keptChanges({})).toEqual([]);
      const case0 = records(0, 1)[0]!.case;
      const kept = keptChangesMap(await keptChanges(db, { bench: case0 }, here));
      expect(kept.size).toBe(SITES.length * 2);
    });
  }, 120_000);

  it('keeps a ratio over a baseline of 0 as it was found (JSON alone would make it null)', () => {
    // constructed points: a series at 0 that rises to 5 — its change's ratio is infinite
    const points = Array.from({ length: 24 }, (_, i) => ({
      id: `p${String(i).padStart(2, '0')}`,
      campaign: `c${i}`,
      case: 'zero/case',
      site: 'alpha',
      node: null,
      seriesNode: null,
      startedAt: new Date(Date.UTC(2026, 0, i + 1)).toISOString(),
      median: i < 12 ? 0 : 5 + (i % 3) * 0.01,
      ci95: null,
      unit: 'ms',
      direction: 'lower' as const,
      gpu: null,
      driver: null,
      cuda: null,
      backend: null,
      engineVersion: null,
    }));
    const found = pairRegressions(points);
    expect(found.changes[0]!.changes.some((c) => c.ratio === Number.POSITIVE_INFINITY)).toBe(true);
    const kept = keptChangesMap([keptText(found.changes)]);
    expect(historySeries(points, kept)).toEqual(historySeries(points));
    expect(parseKept(keptText(found.found))).toEqual(found.found);
    expect(found.found.length).toBe(1); // slower: a time went from 0 to 5
  });
});
