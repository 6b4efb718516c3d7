// Regressions kept in the results database per case and site: found once after the records that change them arrive
// (at the end of an import or a collect; otherwise at the first look), so that `fedbench regressions` and the server's page read
// them instead of running E-Divisive over every series on every view. The same answer as `findRegressions` over the
// whole history (tested): a pair's series depend on that pair's records only.
// The database is the caller's (`db` is below the commands, not below analysis): it is reached through `KeptDb`,
// which `ResultsDb` satisfies, and a pair's points come as text parsed by the caller's `historyPoints`.
import {
  analysePair,
  findRegressions,
  type KeptSeriesChanges,
  type RegressionFound,
  type RunPoint,
  seriesOf,
} from './history.js';

/** Regressions found in some series, and how many series were searched. */
export interface FoundRegressions {
  /** Every regression of the series (for a pair, no `since`: the view filters). */
  found: RegressionFound[];
  /** Node series (one per site where the site has no node sweeps). */
  series: number;
}

export interface PairRegressions extends FoundRegressions {
  /** Each series' change points as its history view draws them (E-Divisive run once for both). */
  changes: KeptSeriesChanges[];
}

/** One (case, site) pair's regressions and change points, from its history points. */
export function pairRegressions(points: readonly RunPoint[]): PairRegressions {
  const { found, kept } = analysePair(points);
  return { found, series: seriesOf(points).size, changes: kept };
}

/** A (case, site) pair as the database marks it; a site of '' is the records without one. */
export interface SeriesPair {
  case: string;
  site: string;
  version: number;
}

/** The database calls this needs (`ResultsDb` has them). */
export interface KeptDb {
  unanalysedSeries(q?: PairFilter): Promise<SeriesPair[]>;
  pairPointsText(pair: SeriesPair): Promise<string>;
  keepPairRegressions(pair: SeriesPair, foundJson: string, series: number, changesJson: string): Promise<boolean>;
  keptRegressions(q: PairFilter): Promise<{ found: string[]; series: number; unanalysed: number }>;
  keptChanges(q: PairFilter): Promise<string[]>;
  history(q: PairFilter): Promise<RunPoint[]>;
}

/** Which pairs: of a benchmark or case, of a site (absent: every one). */
export interface PairFilter {
  bench?: string;
  site?: string;
}

/** The pair filter of a query (its other fields, e.g. `since`, left out). */
const pairFilter = (q: PairFilter): PairFilter => ({
  ...(q.bench ? { bench: q.bench } : {}),
  ...(q.site ? { site: q.site } : {}),
});

/** Analyses pairs' points (as `pairPointsText` gives them): here, or on the server's worker threads. */
export type AnalysePairs = (pointsTexts: string[]) => Promise<PairRegressions[]>;

/** Analysis on this thread, with the database's parser of a history's text (`historyPoints`). */
export const analyseWith =
  (parse: (text: string) => RunPoint[]): AnalysePairs =>
  async (texts) =>
    texts.map((t) => pairRegressions(parse(t)));

/** A ratio over a baseline of 0 is infinite (or NaN), which JSON would keep as null: kept as a tagged string. */
const NON_FINITE = '$nonFinite';

/** What is kept, as JSON text in which non-finite numbers survive (`parseKept` restores them). */
export function keptText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v,
  );
}

/** `keptText`'s JSON, parsed. */
export function parseKept<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = (v as Record<string, unknown>)[NON_FINITE];
      if (typeof tagged === 'string' && Object.keys(v).length === 1) return Number(tagged);
    }
    return v;
  }) as T;
}

/** Pairs still marked after this many rounds (records arriving all the while) are analysed without keeping them. */
const ROUNDS = 3;

/** Pairs read and analysed at a time: the server answers other requests between parts. */
const PAIRS_AT_ONCE = 20;

/**
 * Finds and keeps the regressions (and change points) of every pair with records added since it was last analysed,
 * or of those of a benchmark or case, of a site; how many.
 */
export async function analyseSeries(db: KeptDb, analyse: AnalysePairs, filter: PairFilter = {}): Promise<number> {
  const pairs = await db.unanalysedSeries(filter);
  for (let i = 0; i < pairs.length; i += PAIRS_AT_ONCE) {
    const part = pairs.slice(i, i + PAIRS_AT_ONCE);
    const texts: string[] = [];
    for (const p of part) texts.push(await db.pairPointsText(p));
    const results = await analyse(texts);
    // a pair marked again meanwhile (records added) is not kept: the next analysis reads its new points
    for (const [k, p] of part.entries())
      await db.keepPairRegressions(p, keptText(results[k]!.found), results[k]!.series, keptText(results[k]!.changes));
  }
  return pairs.length;
}

/**
 * The change points kept for the series of a history (a benchmark or case, a site), as kept texts for
 * `keptChangesMap`; pairs marked since are analysed first. `historySeries` uses a series' kept changes only while it
 * has exactly the runs they were found in, so a filtered history (since, GPU) or records arriving meanwhile are
 * analysed there instead; where nothing can be kept (a read-only role), nothing is given.
 */
export async function keptChanges(db: KeptDb, q: PairFilter, analyse: AnalysePairs): Promise<string[]> {
  const filter = pairFilter(q);
  try {
    // a few rounds while records arrive; a series still out of date is found by `historySeries` itself
    for (let round = 0; round < ROUNDS && (await analyseSeries(db, analyse, filter)) > 0; round++);
  } catch {
    return [];
  }
  return db.keptChanges(filter);
}

/** `keptChanges`' texts as `historySeries` takes them. */
export function keptChangesMap(texts: readonly string[]): Map<string, KeptSeriesChanges> {
  const map = new Map<string, KeptSeriesChanges>();
  for (const t of texts) for (const s of parseKept<KeptSeriesChanges[]>(t)) map.set(s.key, s);
  return map;
}

export interface RegressionsQuery extends PairFilter {
  /** Regressions whose first slower run started then or later (the runs before stay their baseline). */
  since?: Date;
}

/** The search of the whole history, as before regressions were kept (the server runs it on a worker thread). */
export type SearchHistory = (q: RegressionsQuery) => Promise<FoundRegressions>;

export const searchHere =
  (db: KeptDb): SearchHistory =>
  async (q) => {
    const points = await db.history(pairFilter(q));
    return { found: findRegressions(points, q.since), series: seriesOf(points).size };
  };

/**
 * The regressions `findRegressions` finds over the history of `q` (in its order), from what the database keeps;
 * pairs not analysed since records were added are analysed first. Where they cannot be kept (records arriving all
 * the while, a database this user may only read) the history is searched instead: the same answer, slower.
 */
export async function keptRegressions(
  db: KeptDb,
  q: RegressionsQuery,
  analyse: AnalysePairs,
  search: SearchHistory = searchHere(db),
): Promise<FoundRegressions> {
  const filter = pairFilter(q);
  let kept: Awaited<ReturnType<KeptDb['keptRegressions']>>;
  try {
    kept = await db.keptRegressions(filter);
    for (let round = 0; kept.unanalysed > 0 && round < ROUNDS; round++) {
      await analyseSeries(db, analyse, filter);
      kept = await db.keptRegressions(filter);
    }
  } catch {
    return search(q); // e.g. a read-only role on a server: the kept answers cannot be written
  }
  if (kept.unanalysed > 0) return search(q);
  const key = (r: RegressionFound) => JSON.stringify([r.case, r.site ?? '', r.node ?? '']);
  const found = kept.found
    .flatMap((text) => parseKept<RegressionFound[]>(text))
    .filter((r) => !q.since || Date.parse(r.firstAfter.startedAt) >= q.since.getTime())
    .map((r) => ({ r, k: key(r) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)) // stable: a series keeps its order
    .map((x) => x.r);
  return { found, series: kept.series };
}
