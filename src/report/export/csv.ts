// One row per run record: the raw-data export of a report; and the acceptance verdicts, one row per node and case.
import { nodeOf, siteOf, type AcceptanceRow } from '../../analysis/index.js';
import type { RunRecord } from '../../results/index.js';

const COLUMNS = [
  'record_id',
  'campaign',
  'site',
  'node',
  'case',
  'benchmark',
  'workload',
  'kind',
  'params',
  'engine',
  'backend',
  'engine_version',
  'threads',
  'status',
  'error',
  'metric',
  'unit',
  'direction',
  'n',
  'median',
  'ci95_low',
  'ci95_high',
  'ci_method',
  'mean',
  'stdev',
  'cv',
  'p5',
  'p95',
  'p99',
  'min',
  'max',
  'energy_status',
  'energy_joules',
  'energy_avg_watts',
  'energy_method',
  'energy_source',
  'host',
  'cpu',
  'gpus',
  'started_at',
  'finished_at',
] as const;

/** RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records: readonly RunRecord[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of records) {
    const s = r.stats;
    const e = r.energy;
    const row: Record<(typeof COLUMNS)[number], unknown> = {
      record_id: r.id,
      campaign: r.campaign,
      site: siteOf(r),
      node: nodeOf(r),
      case: r.case,
      benchmark: r.benchmark.id,
      workload: r.benchmark.workload,
      kind: r.benchmark.kind,
      params: JSON.stringify(r.benchmark.params),
      engine: r.engine.name,
      backend: r.engine.backend,
      engine_version: r.engine.version,
      threads: r.engine.threads,
      status: r.status,
      error: r.error,
      metric: r.metric.name,
      unit: r.metric.unit,
      direction: r.metric.direction,
      n: s?.n,
      median: s?.median,
      // with too few samples there is no 95% interval (ci_method none): the samples' range is in min and max
      ci95_low: s?.ciMethod === 'none' ? null : s?.ci95[0],
      ci95_high: s?.ciMethod === 'none' ? null : s?.ci95[1],
      ci_method: s?.ciMethod,
      mean: s?.mean,
      stdev: s?.stdev,
      cv: s?.cv,
      p5: s?.p5,
      p95: s?.p95,
      p99: s?.p99,
      min: s?.min,
      max: s?.max,
      energy_status: e.status,
      energy_joules: e.status === 'measured' ? e.joules : null,
      energy_avg_watts: e.status === 'measured' ? e.avgWatts : null,
      energy_method: e.status === 'measured' ? e.method : null,
      energy_source: e.status === 'measured' ? e.source : e.reason,
      host: r.system.host,
      cpu: r.system.cpu.model,
      gpus: r.system.gpus.map((g) => g.name).join('; '),
      started_at: r.startedAt,
      finished_at: r.finishedAt,
    };
    lines.push(COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function acceptanceCsv(rows: readonly AcceptanceRow[]): string {
  const head = ['case', 'site', 'node', 'median', 'unit', 'reference', 'lower', 'upper', 'verdict', 'why'];
  const lines = rows.map((r) =>
    [
      r.case,
      r.site,
      r.node,
      r.median,
      r.unit,
      r.reference?.value ?? null,
      r.bounds?.[0] ?? null,
      r.bounds?.[1] ?? null,
      r.verdict,
      r.reason,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[head.join(','), ...lines].join('\n')}\n`;
}
