// A case's history as series (one per site, or per node where the site has node sweeps) with their change points
// judged, for `fedbench regressions`, the report's history section and the server's history page: one rule for all.
import { groupBy } from './aggregate.js';
import { changes, provenanceChanges, type Regression, regressions } from './changepoints.js';
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

/** Regressions of every series; `since` keeps those whose first slower run started then or later. */
export function findRegressions(points: readonly RunPoint[], since?: Date): RegressionFound[] {
  const out: RegressionFound[] = [];
  for (const runs of seriesOf(points).values()) {
    const first = runs[0]!;
    const history = dated(runs)
      .slice(-ANALYSED_RUNS)
      .map((p) => ({
        id: p.id,
        startedAt: p.startedAt!,
        median: p.median,
        provenance: provenance(p),
      }));
    for (const r of regressions(history, first.direction)) {
      if (since && Date.parse(r.firstAfter.startedAt) < since.getTime()) continue;
      out.push({ ...r, case: first.case, site: first.site, node: first.seriesNode, unit: first.unit });
    }
  }
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

/** Each series with its dated runs and its change points. */
export function historySeries(points: readonly RunPoint[]): HistorySeries[] {
  return [...seriesOf(points).values()].map((runs) => {
    const first = runs[0]!;
    const ordered = dated(runs);
    const direction = first.direction;
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
      changes: changes(
        ordered.slice(-ANALYSED_RUNS).map((p) => p.median),
        direction,
      ).map((change) => {
        const c = { ...change, index: change.index + Math.max(0, ordered.length - ANALYSED_RUNS) };
        const changed = provenanceChanges(provenance(ordered[c.index - 1]!), provenance(ordered[c.index]!));
        return {
          index: c.index,
          at: ordered[c.index]!.startedAt!,
          verdict: c.comparison.verdict,
          ratio: c.comparison.ratio,
          ratioRange: c.comparison.ratioRange,
          reason: c.comparison.reason,
          changed,
        };
      }),
    };
  });
}
