// A case's history as series (one per site, or per node where the site has node sweeps) with their change points
// judged, for `fedbench regressions`, the report's history section and the server's history page: one rule for all.
import { createHash } from 'node:crypto';
import { groupBy } from './aggregate.js';
import { type Change, changes, type HistoryPoint, provenanceChanges, type Regression } from './changepoints.js';
import type { Direction, Verdict } from './compare.js';

/** One run of a case, as the results database gives it (`db` HistoryPoint satisfies this). */
export interface RunPoint {
  id: string;
  campaign: string;
  case: string;
  site: string | null;
  node: string | null;
  /** The node when the site's series are per node, else null. */
  seriesNode: string | null;
  startedAt: string | null;
  median: number;
  ci95: [number, number] | null;
  unit: string;
  direction: Direction;
  gpu: string | null;
  driver: string | null;
  cuda: string | null;
  backend: string | null;
  engineVersion: string | null;
}

const seriesKey = (p: RunPoint) => JSON.stringify([p.case, p.site, p.seriesNode]);

/** The points of each series, in the order given (the database gives them by start time). */
export function seriesOf<P extends RunPoint>(points: readonly P[]): Map<string, P[]> {
  return groupBy(points, seriesKey);
}

const provenance = (p: RunPoint) => ({
  node: p.node,
  driver: p.driver,
  cuda: p.cuda,
  backend: p.backend,
  'engine version': p.engineVersion,
  gpu: p.gpu,
});

/**
 * Change points are sought in a series' most recent runs only: E-Divisive's table is quadratic in the runs (1,000
 * runs: 8 MB and ~10 ms a permutation), and what a user must hear about is recent.
 */
export const ANALYSED_RUNS = 1000;

const dated = (runs: readonly RunPoint[]) =>
  runs
    .filter((p) => p.startedAt !== null)
    .sort((a, b) => a.startedAt!.localeCompare(b.startedAt!) || a.id.localeCompare(b.id));

export interface RegressionFound extends Regression {
  case: string;
  site: string | null;
  node: string | null;
  unit: string;
}

/** A series' change points over its most recent runs, found once for both its history view and its regressions. */
interface AnalysedRuns {
  /** The dated runs, by start time (then id). */
  ordered: RunPoint[];
  /** Index in `ordered` of the first run analysed (the last ANALYSED_RUNS). */
  offset: number;
  changes: Change[];
}

/** `ordered`: the series' runs as `dated` gives them. */
function analyseRuns(ordered: RunPoint[], direction: Direction): AnalysedRuns {
  const offset = Math.max(0, ordered.length - ANALYSED_RUNS);
  return {
    ordered,
    offset,
    changes: changes(
      ordered.slice(offset).map((p) => p.median),
      direction,
    ),
  };
}

const historyPoint = (p: RunPoint): HistoryPoint => ({
  id: p.id,
  startedAt: p.startedAt!,
  median: p.median,
  provenance: provenance(p),
});

/** The regressions (changes judged SLOWER) of an analysed series, oldest first, with what changed around each. */
function regressionsOf(runs: readonly RunPoint[], a: AnalysedRuns): RegressionFound[] {
  const first = runs[0]!;
  return a.changes
    .filter((c) => c.comparison.verdict === 'SLOWER')
    .map((c) => {
      const lastBefore = historyPoint(a.ordered[a.offset + c.index - 1]!);
      const firstAfter = historyPoint(a.ordered[a.offset + c.index]!);
      return {
        ...c,
        lastBefore,
        firstAfter,
        changed: provenanceChanges(lastBefore.provenance, firstAfter.provenance),
        case: first.case,
        site: first.site,
        node: first.seriesNode,
        unit: first.unit,
      };
    });
}

/** Regressions of every series; `since` keeps those whose first slower run started then or later. */
export function findRegressions(points: readonly RunPoint[], since?: Date): RegressionFound[] {
  const out: RegressionFound[] = [];
  for (const runs of seriesOf(points).values())
    for (const r of regressionsOf(runs, analyseRuns(dated(runs), runs[0]!.direction)))
      if (!since || Date.parse(r.firstAfter.startedAt) >= since.getTime()) out.push(r);
  return out;
}

export interface SeriesChange {
  /** Index (in `points`) of the first run after the change, and when it started. */
  index: number;
  at: string;
  verdict: Verdict;
  ratio: number;
  ratioRange: [number, number];
  reason: string;
  /** Provenance fields that differ between the last run before and the first run after. */
  changed: Array<{ field: string; before: string | null; after: string | null }>;
}

export interface HistorySeries {
  case: string;
  site: string | null;
  node: string | null;
  unit: string;
  direction: Direction;
  points: Array<{ id: string; campaign: string; startedAt: string; median: number; ci95: [number, number] | null }>;
  /** Every change point, judged: SLOWER is a regression, FASTER an improvement, SAME/UNCERTAIN noise-sized. */
  changes: SeriesChange[];
}

/** An analysed series' change points as its history view shows them (indexes into all its dated runs). */
function seriesChangesOf(a: AnalysedRuns): SeriesChange[] {
  return a.changes.map((change) => {
    const index = change.index + a.offset;
    return {
      index,
      at: a.ordered[index]!.startedAt!,
      verdict: change.comparison.verdict,
      ratio: change.comparison.ratio,
      ratioRange: change.comparison.ratioRange,
      reason: change.comparison.reason,
      changed: provenanceChanges(provenance(a.ordered[index - 1]!), provenance(a.ordered[index]!)),
    };
  });
}

/** A series' change points as they are kept (`KeptChanges`): valid while the series has these runs. */
export interface KeptSeriesChanges {
  /** The series' key: (case, site, series node) as JSON text, the same for its points in any query. */
  key: string;
  /** Its dated runs' ids, in order, as a digest: the changes hold for the series while it has exactly these runs. */
  runs: string;
  changes: SeriesChange[];
}

/** The ids of a series' dated runs, in order, as one digest (a record's figures never change under its id). */
function runsDigest(ordered: readonly RunPoint[]): string {
  const hash = createHash('sha256');
  for (const p of ordered) hash.update(`${p.id}\n`);
  return `${ordered.length}:${hash.digest('base64')}`;
}

/** The analysis of every series of a (case, site) pair, done once: its regressions and its history's change points. */
export function analysePair(points: readonly RunPoint[]): { found: RegressionFound[]; kept: KeptSeriesChanges[] } {
  const found: RegressionFound[] = [];
  const kept: KeptSeriesChanges[] = [];
  for (const [key, runs] of seriesOf(points)) {
    const a = analyseRuns(dated(runs), runs[0]!.direction);
    found.push(...regressionsOf(runs, a));
    kept.push({ key, runs: runsDigest(a.ordered), changes: seriesChangesOf(a) });
  }
  return { found, kept };
}

/**
 * Each series with its dated runs and its change points: those kept for it (`kept`, by series key) while it still
 * has the runs they were found in, else found here.
 */
export function historySeries(
  points: readonly RunPoint[],
  kept?: ReadonlyMap<string, KeptSeriesChanges>,
): HistorySeries[] {
  return [...seriesOf(points)].map(([key, runs]) => {
    const first = runs[0]!;
    const direction = first.direction;
    const known = kept?.get(key);
    const ordered = dated(runs);
    const seriesChanges =
      known && known.runs === runsDigest(ordered) ? known.changes : seriesChangesOf(analyseRuns(ordered, direction));
    return {
      case: first.case,
      site: first.site,
      node: first.seriesNode,
      unit: first.unit,
      direction,
      points: ordered.map((p) => ({
        id: p.id,
        campaign: p.campaign,
        startedAt: p.startedAt!,
        median: p.median,
        ci95: p.ci95,
      })),
      changes: seriesChanges,
    };
  });
}
