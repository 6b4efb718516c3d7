// A history's points from the database's answer (one JSON text, `ResultsDb.historyText`): pure, so that it runs
// where the analysis runs (the server's worker threads) as well as in `history()`.
import type { Direction } from '../results/index.js';

export interface HistoryPoint {
  id: string;
  campaign: string;
  case: string;
  benchmark: string;
  site: string | null;
  node: string | null;
  /** The series the point belongs to at its site: its node where the site has node sweeps, else null (the site). */
  seriesNode: string | null;
  gpu: string | null;
  startedAt: string | null;
  median: number;
  ci95: [number, number] | null;
  n: number | null;
  unit: string;
  direction: Direction;
  backend: string | null;
  engineVersion: string | null;
  driver: string | null;
  cuda: string | null;
}

/** historyText's columns, in its json_build_array order. */
type PointTuple = [
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  number | string,
  number | string | null,
  number | string | null,
  number | null,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
];

const pointRow = (t: PointTuple): PointRow => ({
  id: t[0],
  campaign: t[1],
  case: t[2],
  benchmark: t[3],
  site: t[4],
  node: t[5],
  gpu_model: t[6],
  started_at: t[7],
  median: Number(t[8]),
  ci_low: t[9] === null ? null : Number(t[9]),
  ci_high: t[10] === null ? null : Number(t[10]),
  n: t[11],
  metric_unit: t[12],
  direction: t[13],
  backend: t[14],
  engine_version: t[15],
  driver: t[16],
  cuda: t[17],
});

interface PointRow {
  id: string;
  campaign: string;
  case: string;
  benchmark: string;
  site: string | null;
  node: string | null;
  gpu_model: string | null;
  started_at: Date | string | null;
  median: number;
  ci_low: number | null;
  ci_high: number | null;
  n: number | null;
  metric_unit: string;
  direction: string;
  backend: string | null;
  engine_version: string | null;
  driver: string | null;
  cuda: string | null;
}

/** The points of `historyText`'s answer, in series order (case, site, series node), each series by start time. */
export function historyPoints(text: string): HistoryPoint[] {
  return inSeriesOrder(pointsOf(text));
}

/** The points of several of `historyText`'s answers (`historyTexts`, a case each), in series order. */
export function historyPointsOfAll(texts: readonly string[]): HistoryPoint[] {
  return inSeriesOrder(texts.flatMap(pointsOf));
}

function pointsOf(text: string): HistoryPoint[] {
  const rows = (JSON.parse(text) as PointTuple[]).map(pointRow);
  // A site has node sweeps for a case when one campaign ran that case on two or more of its nodes: its series
  // is then per node; otherwise the site is one series whichever node each run landed on.
  const nodes = new Map<string, Set<string | null>>();
  for (const r of rows) {
    const key = JSON.stringify([r.case, r.site, r.campaign]);
    const set = nodes.get(key) ?? new Set();
    set.add(r.node);
    nodes.set(key, set);
  }
  const swept = new Set(
    [...nodes].filter(([, s]) => s.size > 1).map(([k]) => JSON.stringify((JSON.parse(k) as unknown[]).slice(0, 2))),
  );
  return rows.map(
    (r): HistoryPoint => ({
      id: r.id,
      campaign: r.campaign,
      case: r.case,
      benchmark: r.benchmark,
      site: r.site,
      node: r.node,
      seriesNode: swept.has(JSON.stringify([r.case, r.site])) ? r.node : null,
      gpu: r.gpu_model,
      startedAt: r.started_at === null ? null : new Date(r.started_at).toISOString(),
      median: Number(r.median),
      ci95: r.ci_low === null || r.ci_high === null ? null : [Number(r.ci_low), Number(r.ci_high)],
      n: r.n,
      unit: r.metric_unit,
      // the column holds a record's metric.direction
      direction: r.direction === 'lower' ? 'lower' : 'higher',
      backend: r.backend,
      engineVersion: r.engine_version,
      driver: r.driver,
      cuda: r.cuda,
    }),
  );
}

function inSeriesOrder(points: HistoryPoint[]): HistoryPoint[] {
  // each point's series key made once (made inside the comparison, it cost more than the query at 20,000 points);
  // the sort is stable, so a series keeps the query's start order
  const keyed = points.map((p) => ({ p, k: JSON.stringify([p.case, p.site ?? '', p.seriesNode ?? '']) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.p);
}
