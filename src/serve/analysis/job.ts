// The server's heavy analyses — records parsed, (redacted,) modelled and rendered; a history's change points drawn;
// the regressions of every series — as plain data in and out, so that they run on a worker thread. The same
// functions run in the worker and, for the tests of their output, in-process.
import { findRegressions, historySeries, type RegressionFound, type Weights } from '../../analysis/index.js';
import { keptChangesMap, type PairRegressions, pairRegressions } from '../../analysis/kept-regressions.js';
import { historyPoints, historyPointsOfAll } from '../../db/history.js';
import type { SiteFacts } from '../../sites/index.js';
import { buildReportModel, EXPORTERS, type ExportName, renderReportBody } from '../../report/index.js';
import type { RunRecord } from '../../results/index.js';
import { type ReportText, redactForSharing } from '../../share/index.js';
import { num } from '../../format.js';

/** The results page, its ranking fragment, or an export (rendered by the report's exporter of that name). */
export type JobOutput = 'page' | 'fragment' | ExportName;

export interface AnalysisJob {
  kind: 'report';
  /**
   * The records' JSON text as the database holds it (validated when ingested), oldest first: a page of records per
   * array, one record per line, UTF-8 (`encodePage`). Bytes, not strings, so that they go to the worker without a
   * copy: posting 20,000 records as strings held the event loop for 0.2–0.8 s (the structured clone).
   */
  pages: Uint8Array[];
  text: ReportText;
  weights: Weights;
  facts: Record<string, SiteFacts>;
  /** Redact records and text before anything is built (serve's redacted export): the site profiles' folder. */
  redact: { sitesDir: string } | null;
  output: JobOutput;
}

/** A record as the results page's table shows it. */
export interface RecordRow {
  id: string;
  campaign: string;
  case: string;
  site: string | null;
  node: string;
  status: string;
  figure: string;
  warnings: number;
  startedAt: string;
}

export interface AnalysisResult {
  count: number;
  /** 'page': the report's sections; 'fragment': the recommendation section; otherwise the export's text. */
  nav: string;
  body: string;
  specs: string;
  /** The benchmark ids of the records (the page's datalist). */
  benches: string[];
  /** The newest 200 records, newest first. */
  rows: RecordRow[];
  warnings: string[];
}

/** A history drawn with its change points: the report's history section. */
export interface HistoryJob {
  kind: 'history';
  /** `ResultsDb.historyTexts`' answers, one per case. */
  points: string[];
  /** The change points kept for its series (`keptChanges`): used for a series while it has the same runs. */
  kept: string[];
}

export interface HistoryDrawn {
  body: string;
  specs: string;
}

/** The regressions of every series of a history. */
export interface RegressionsJob {
  kind: 'regressions';
  /** `ResultsDb.historyTexts`' answers, one per case. */
  points: string[];
  /** ISO time: regressions whose first slower run started then or later. */
  since: string | null;
}

export interface RegressionsFound {
  found: RegressionFound[];
  series: number;
}

/** The regressions of (case, site) pairs, to be kept in the database (`analyseSeries`). */
export interface PairsJob {
  kind: 'pairs';
  /** `ResultsDb.pairPointsText`'s answers, one per pair. */
  points: string[];
}

export type Job = AnalysisJob | HistoryJob | RegressionsJob | PairsJob;

export interface JobResults {
  report: AnalysisResult;
  history: HistoryDrawn;
  regressions: RegressionsFound;
  pairs: PairRegressions[];
}

export function runAny(job: Job): JobResults[Job['kind']] {
  switch (job.kind) {
    case 'report':
      return runJob(job);
    case 'pairs':
      return job.points.map((text) => pairRegressions(historyPoints(text)));
    case 'history': {
      // the report's history section, for an empty record set with this history: one drawing for both
      const { body, specs } = renderReportBody(
        buildReportModel([], { history: historySeries(historyPointsOfAll(job.points), keptChangesMap(job.kept)) }),
        ['history'],
      );
      return { body: body.toString(), specs: specs.toString() };
    }
    case 'regressions': {
      const points = historyPointsOfAll(job.points);
      return {
        found: findRegressions(points, job.since ? new Date(job.since) : undefined),
        series: new Set(points.map((p) => `${p.case}|${p.site}|${p.seriesNode}`)).size,
      };
    }
  }
}

/** A page of records' JSON texts as `AnalysisJob.pages` holds it (JSON text has no raw line break). */
export function encodePage(texts: readonly string[]): Uint8Array {
  // TextEncoder's array owns its buffer (a Buffer may share Node's pool), so the buffer can be transferred
  return new TextEncoder().encode(texts.join('\n'));
}

function recordsOf(pages: readonly Uint8Array[]): RunRecord[] {
  const decoder = new TextDecoder();
  const out: RunRecord[] = [];
  for (const page of pages) {
    if (!page.byteLength) continue;
    for (const line of decoder.decode(page).split('\n')) out.push(JSON.parse(line) as RunRecord);
  }
  return out;
}

export function runJob(job: AnalysisJob): AnalysisResult {
  const warnings: string[] = [];
  let records = recordsOf(job.pages);
  let text = job.text;
  // before anything is built from them: every view of a redacted export sees labels only
  const shared = job.redact ? redactForSharing(records, text, job.redact.sitesDir, [], (l) => warnings.push(l)) : null;
  if (shared) ({ records, extra: text } = shared);
  const model = buildReportModel(records, {
    title: text.title,
    weights: job.weights,
    facts: job.facts,
    ...(text.workloads ? { workloads: text.workloads } : {}),
    sources: text.sources,
    ...(shared ? { redaction: shared.summary } : {}),
  });
  const result: AnalysisResult = {
    count: records.length,
    nav: '',
    body: '',
    specs: '',
    benches: [],
    rows: [],
    warnings,
  };
  switch (job.output) {
    case 'page': {
      const { nav, body, specs } = renderReportBody(model);
      Object.assign(result, { nav: nav.toString(), body: body.toString(), specs: specs.toString() });
      result.benches = [...new Set(records.map((r) => r.benchmark.id))].sort();
      result.rows = records
        .slice(-200)
        .reverse()
        .map((r) => ({
          id: r.id,
          campaign: r.campaign,
          case: r.case,
          site: r.site ?? null,
          node: r.slurm?.node ?? r.system.host,
          status: r.status,
          figure: r.stats ? `${num(r.stats.median)} ${r.metric.unit}` : (r.error ?? '—'),
          warnings: r.warnings?.length ?? 0,
          startedAt: r.startedAt,
        }));
      break;
    }
    case 'fragment':
      result.body = renderReportBody(model, ['recommendation']).body.toString();
      break;
    default:
      result.body = EXPORTERS[job.output].render({ model, records });
  }
  return result;
}
