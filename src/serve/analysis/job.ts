// One heavy analysis of the server — records parsed, (redacted,) modelled and rendered — as plain data in and out,
// so that it can run on a worker thread. The same function runs in the worker and, for the tests of its output,
// in-process.
import type { SiteFacts } from '../../sites/index.js';
import type { Weights } from '../../analysis/index.js';
import {
  buildReportModel,
  type ReportText,
  redactForSharing,
  renderHtml,
  renderReportBody,
  toCsv,
  toMarkdown,
} from '../../report/index.js';
import type { RunRecord } from '../../results/index.js';
import { num } from '../../format.js';

export type JobOutput = 'page' | 'fragment' | 'html' | 'csv' | 'md' | 'json';

export interface AnalysisJob {
  /** The records' JSON text, as the database holds it (validated when ingested), oldest first. */
  texts: string[];
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

export function runJob(job: AnalysisJob): AnalysisResult {
  const warnings: string[] = [];
  let records = job.texts.map((t) => JSON.parse(t) as RunRecord);
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
    case 'html':
      result.body = renderHtml(model);
      break;
    case 'csv':
      result.body = toCsv(records);
      break;
    case 'md':
      result.body = toMarkdown(model);
      break;
    case 'json':
      result.body = `${JSON.stringify(model, null, 2)}\n`;
      break;
  }
  return result;
}
