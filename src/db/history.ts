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

/**
 * The answer's columns, each a JSON array of one value per point (one array per column: PostgreSQL builds and
 * JavaScript parses it faster than an array per point; measured at 5,000 points: 26–35 against 44 ms to build,
 * 3–7 against 14 ms to parse). The SQL (`HISTORY_COLUMNS`) and the parse below share this order.
 */
export const HISTORY_COLUMNS = [
  'id',
  'campaign',
  '"case"',
  'benchmark',
  'site',
  'node',
  'gpu_model',
  'started_at',
  'median',
  'ci_low',
  'ci_high',
  'n',
  'metric_unit',
  'direction',
  'backend',
  'engine_version',
  'driver',
  'cuda',
] as const;

type Column<T> = T[] | null;
/** historyText's answer: json_agg of each column (NULL for no points). Numbers may come as text (NaN, Infinity). */
type Columns = [
  Column<string>,
  Column<string>,
  Column<string>,
  Column<string>,
  Column<string | null>,
  Column<string | null>,
  Column<string | null>,
  Column<string | null>,
  Column<number | string>,
  Column<number | string | null>,
  Column<number | string | null>,
  Column<number | null>,
  Column<string>,
  Column<string>,
  Column<string | null>,
  Column<string | null>,
  Column<string | null>,
  Column<string | null>,
];

/** The points of `historyText`'s answer, in series order (case, site, series node), each series by start time. */
export function historyPoints(text: string): HistoryPoint[] {
  return inSeriesOrder(pointsOf(text));
}

/** The points of several of `historyText`'s answers (`historyTexts`, a case each), in series order. */
export function historyPointsOfAll(texts: readonly string[]): HistoryPoint[] {
  return inSeriesOrder(texts.flatMap(pointsOf));
}

function pointsOf(text: string): HistoryPoint[] {
  const c = JSON.parse(text) as Columns | [];
  const [ids, campaigns, cases, benchmarks, sites, nodes, gpus, starts, medians, lows, highs, ns] = c as Columns;
  const [, , , , , , , , , , , , units, directions, backends, engineVersions, drivers, cudas] = c as Columns;
  if (!ids) return [];
  // A site has node sweeps for a case when one campaign ran that case on two or more of its nodes: its series
  // is then per node; otherwise the site is one series whichever node each run landed on. The answer comes ordered
  // by case and site, so each pair is a run of rows: judged once per run, each campaign's first node by a map.
  const sweptRow = new Uint8Array(ids.length);
  for (let from = 0; from < ids.length; ) {
    let to = from + 1;
    while (to < ids.length && cases![to] === cases![from] && (sites![to] ?? null) === (sites![from] ?? null)) to++;
    const firstNode = new Map<string, string | null>();
    let swept = 0;
    for (let i = from; i < to && !swept; i++) {
      const node = nodes![i] ?? null;
      const seen = firstNode.get(campaigns![i]!);
      if (seen === undefined) firstNode.set(campaigns![i]!, node);
      else if (seen !== node) swept = 1;
    }
    sweptRow.fill(swept, from, to);
    from = to;
  }
  const points = new Array<HistoryPoint>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const low = lows![i] ?? null;
    const high = highs![i] ?? null;
    const started = starts![i] ?? null;
    const node = nodes![i] ?? null;
    points[i] = {
      id: ids[i]!,
      campaign: campaigns![i]!,
      case: cases![i]!,
      benchmark: benchmarks![i]!,
      site: sites![i] ?? null,
      node,
      seriesNode: sweptRow[i] ? node : null,
      gpu: gpus![i] ?? null,
      startedAt: started === null ? null : new Date(started).toISOString(),
      median: Number(medians![i]),
      ci95: low === null || high === null ? null : [Number(low), Number(high)],
      n: ns![i] ?? null,
      unit: units![i]!,
      // the column holds a record's metric.direction
      direction: directions![i] === 'lower' ? 'lower' : 'higher',
      backend: backends![i] ?? null,
      engineVersion: engineVersions![i] ?? null,
      driver: drivers![i] ?? null,
      cuda: cudas![i] ?? null,
    };
  }
  return points;
}

function inSeriesOrder(points: HistoryPoint[]): HistoryPoint[] {
  // each point's series key made once (made inside the comparison, it cost more than the query at 20,000 points);
  // the sort is stable, so a series keeps the query's start order
  const keyed = points.map((p) => ({ p, k: JSON.stringify([p.case, p.site ?? '', p.seriesNode ?? '']) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.p);
}
