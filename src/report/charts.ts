// Vega-Lite specs built from the report model. Intervals come from fedbench's own statistics (drawn as
// rules), never from the chart library's random bootstrap, so the same records draw the same report.
import type { BenchmarkSection, PeakRow, EnergyRow, TrainingRow } from './model.js';
import type { CommCurve, HistorySeries, ScalingRow, Variability } from '../analysis/index.js';

export type Spec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const WIDTH = 620;

function paramsLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** What a row's bar spans: the median's 95% interval, or the samples' range where they were too few for one. */
function intervalName(r: BenchmarkSection['rows'][number]): string {
  return r.ciMethod === 'none' ? 'range (too few samples for a 95% CI)' : '95% CI';
}

/** Each site's median with its 95% interval, one row per case of a benchmark. */
export function benchmarkChart(title: string, sections: BenchmarkSection[]): Spec | null {
  const values = sections.flatMap((s) =>
    s.rows
      .filter((r) => r.median !== null && r.ci95)
      .map((r) => ({
        case: `${paramsLabel(s.params)} · ${r.engines.join(', ')}`,
        site: r.site,
        median: r.median,
        lo: r.ci95![0],
        hi: r.ci95![1],
        interval: intervalName(r),
      })),
  );
  if (!values.length) return null;
  const unit = sections[0]!.metric.unit;
  const better = sections[0]!.metric.direction === 'higher' ? 'higher is better' : 'lower is better';
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `median and 95% CI, ${unit} (${better})` },
    width: WIDTH,
    height: { step: 16 },
    data: { values },
    encoding: {
      y: { field: 'case', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
      yOffset: { field: 'site', type: 'nominal' },
      color: { field: 'site', type: 'nominal', title: 'site' },
    },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: unit, scale: { zero: false } },
          x2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'median', type: 'quantitative' },
          tooltip: [
            { field: 'site', type: 'nominal' },
            { field: 'case', type: 'nominal' },
            { field: 'median', type: 'quantitative', format: '.4~g' },
            { field: 'interval', type: 'nominal' },
            { field: 'lo', type: 'quantitative', format: '.4~g', title: 'low' },
            { field: 'hi', type: 'quantitative', format: '.4~g', title: 'high' },
          ],
        },
      },
    ],
  };
}

/** A figure against one numeric parameter (matrix size, batch size), one line per site and engine. */
export function scalingChart(title: string, param: string, sections: BenchmarkSection[]): Spec | null {
  const values = sections.flatMap((s) =>
    s.rows
      .filter((r) => r.median !== null && r.ci95 && typeof s.params[param] === 'number')
      .map((r) => {
        const others = Object.entries(s.params).filter(([k]) => k !== param);
        return {
          x: s.params[param],
          series: `${r.site} · ${r.engines.join(', ')}${others.length ? ` · ${others.map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : ''}`,
          median: r.median,
          lo: r.ci95![0],
          hi: r.ci95![1],
        };
      }),
  );
  const xs = new Set(values.map((v) => v.x as number));
  if (xs.size < 2) return null; // two batch sizes already show a trend worth seeing
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const unit = sections[0]!.metric.unit;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `${unit} against ${param} (median, 95% CI)` },
    width: WIDTH,
    height: 260,
    data: { values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: param,
        scale: min > 0 && max / min >= 8 ? { type: 'log', base: 2 } : { zero: false },
        // a parameter that only takes whole values (threads, batch size) gets whole ticks: never 1.05 threads
        ...([...xs].every(Number.isInteger) ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } },
    },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'median', type: 'quantitative', title: unit } } },
      { mark: 'rule', encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
}

/** nccl-tests' plot: bus bandwidth against message size, both on log scales, one line per site, collective and world. */
export function busbwChart(curves: readonly CommCurve[]): Spec | null {
  const values = curves.flatMap((c) =>
    c.points
      .filter((p) => p.busbw > 0)
      .map((p) => ({
        bytes: p.bytes,
        busbw: p.busbw,
        timeUs: p.timeUs,
        series: `${c.site} · ${c.collective} ${c.dtype} · ${c.world} ranks on ${c.nodes} node${c.nodes > 1 ? 's' : ''} (${c.backend})`,
      })),
  );
  if (!values.length) return null;
  return {
    $schema: SCHEMA,
    title: { text: 'Bus bandwidth', subtitle: 'busbw (GB/s) against message size, log–log (nccl-tests formulas)' },
    width: WIDTH,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'bytes', type: 'quantitative', title: 'message size (bytes)', scale: { type: 'log', base: 2 } },
      y: { field: 'busbw', type: 'quantitative', title: 'busbw (GB/s)', scale: { type: 'log' } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { orient: 'bottom', columns: 1, labelLimit: 600 },
      },
      tooltip: [
        { field: 'series', type: 'nominal' },
        { field: 'bytes', type: 'quantitative', title: 'bytes' },
        { field: 'busbw', type: 'quantitative', format: '.4~g', title: 'busbw GB/s' },
        { field: 'timeUs', type: 'quantitative', format: '.4~g', title: 'µs per call' },
      ],
    },
  };
}

/** Scaling efficiency T(N) / (N × T(1)) against the number of ranks, one line per site and benchmark. */
export function efficiencyChart(rows: readonly ScalingRow[]): Spec | null {
  const values = rows
    .filter((r) => r.efficiency !== null)
    .map((r) => ({
      ranks: r.world,
      efficiency: r.efficiency,
      series: `${r.site} · ${r.benchmark}${r.params ? ` · ${r.params}` : ''}`,
    }));
  if (new Set(values.map((v) => v.ranks)).size < 2) return null;
  return {
    $schema: SCHEMA,
    title: { text: 'Scaling efficiency', subtitle: 'T(N) / (N × T(1)) against ranks (1 = perfect weak scaling)' },
    width: WIDTH,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'ranks', type: 'quantitative', title: 'ranks', scale: { type: 'log', base: 2 } },
      y: { field: 'efficiency', type: 'quantitative', title: 'efficiency', scale: { domain: [0, 1.2] } },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        legend: { orient: 'bottom', columns: 1, labelLimit: 600 },
      },
    },
  };
}

export function energyChart(all: EnergyRow[]): Spec | null {
  // rates only: a latency plotted as a figure of merit against power would read upside down
  const rows = all.filter((r) => r.perWatt !== null);
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    title: {
      text: 'Throughput against power',
      subtitle: 'each point: one case at one site (mean power over the measured window)',
    },
    width: WIDTH,
    height: 300,
    data: { values: rows.map((r) => ({ ...r, methods: r.methods.join(', ') })) },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: { field: 'avgWatts', type: 'quantitative', title: 'mean power (W)' },
      y: { field: 'median', type: 'quantitative', title: 'figure of merit (its own unit)', scale: { type: 'log' } },
      color: { field: 'site', type: 'nominal' },
      tooltip: [
        { field: 'case' },
        { field: 'site' },
        { field: 'perWatt', format: '.4~g', title: 'per watt' },
        { field: 'joulesPerCall', format: '.4~g', title: 'J per call' },
        { field: 'methods' },
      ],
    },
  };
}

export function peakChart(rows: PeakRow[]): Spec | null {
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    title: { text: 'Fraction of peak', subtitle: 'measured median / datasheet peak of the device' },
    width: WIDTH,
    height: { step: 16 },
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'case', type: 'nominal', title: null, axis: { labelLimit: 320 } },
      yOffset: { field: 'site', type: 'nominal' },
      x: { field: 'fraction', type: 'quantitative', axis: { format: '%' }, title: 'of peak' },
      color: { field: 'site', type: 'nominal' },
      tooltip: [
        { field: 'case' },
        { field: 'site' },
        { field: 'device' },
        { field: 'what' },
        { field: 'fraction', format: '.1%' },
        { field: 'bound' },
        { field: 'ofRoof', format: '.1%', title: 'of roof' },
      ],
    },
  };
}

export function variabilityChart(v: Variability, unit: string): Spec {
  return {
    $schema: SCHEMA,
    title: { text: `${v.case} at ${v.site}`, subtitle: `node medians (${unit}); stragglers in red` },
    width: WIDTH,
    height: { step: 14 },
    data: { values: v.nodes.map((n) => ({ ...n, kind: n.straggler ? 'straggler' : 'typical' })) },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      y: { field: 'node', type: 'nominal', sort: { field: 'median', order: 'ascending' }, title: null },
      x: { field: 'median', type: 'quantitative', scale: { zero: false }, title: unit },
      color: {
        field: 'kind',
        type: 'nominal',
        scale: { domain: ['typical', 'straggler'], range: ['#4c78a8', '#e45756'] },
        title: null,
      },
      tooltip: [
        { field: 'node' },
        { field: 'median', format: '.4~g' },
        { field: 'deficit', format: '.1%', title: 'below typical' },
      ],
    },
  };
}

/** Loss against step for each training run: the sanity check behind every training figure, made visible. */
export function lossChart(rows: TrainingRow[]): Spec | null {
  const values = rows.flatMap((r) =>
    r.trajectory.map(([step, loss]) => ({ step, loss, run: `${r.site} · ${r.engine} · ${r.case}` })),
  );
  if (!values.length) return null;
  return {
    $schema: SCHEMA,
    title: { text: 'Training loss', subtitle: 'loss against step (timed steps after warm-up)' },
    width: WIDTH,
    height: 260,
    data: { values },
    mark: { type: 'line', point: false },
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'loss', type: 'quantitative', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } },
    },
  };
}

/** One case over time: each series' medians with their intervals, and its change points as vertical rules. */
export function historyChart(title: string, series: readonly HistorySeries[]): Spec | null {
  const label = (s: HistorySeries) => [s.site ?? 'local', s.node].filter(Boolean).join(' · ');
  const values = series.flatMap((s) =>
    s.points.map((p) => ({
      series: label(s),
      at: p.startedAt,
      median: p.median,
      lo: p.ci95?.[0] ?? p.median,
      hi: p.ci95?.[1] ?? p.median,
      campaign: p.campaign,
    })),
  );
  if (!values.length) return null;
  const marks = series.flatMap((s) =>
    s.changes.map((c) => ({ series: label(s), at: c.at, verdict: c.verdict, ratio: c.ratio })),
  );
  const first = series[0]!;
  const better = first.direction === 'higher' ? 'higher is better' : 'lower is better';
  const x = { field: 'at', type: 'temporal', title: null };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `median and 95% CI per run, ${first.unit} (${better}); dashed: change points` },
    width: WIDTH,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'rule', opacity: 0.5 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: first.unit, scale: { zero: false } },
          y2: { field: 'hi' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        },
      },
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'median', type: 'quantitative' },
          color: { field: 'series', type: 'nominal' },
          tooltip: [
            { field: 'series', type: 'nominal' },
            { field: 'at', type: 'temporal', format: '%Y-%m-%d %H:%M' },
            { field: 'median', type: 'quantitative', format: '.4~g' },
            { field: 'campaign', type: 'nominal' },
          ],
        },
      },
      ...(marks.length
        ? [
            {
              data: { values: marks },
              mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 },
              encoding: {
                x,
                color: { field: 'series', type: 'nominal' },
                tooltip: [
                  { field: 'series', type: 'nominal' },
                  { field: 'verdict', type: 'nominal' },
                  { field: 'ratio', type: 'quantitative', format: '.3f', title: 'after / before' },
                ],
              },
            },
          ]
        : []),
    ],
  };
}
