// Report building and exports. Knows records, not how they were measured.
import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import type { RunRecord } from '../results/index.js';
import {
  acceptanceCsv,
  EXPORTERS,
  EXPORT_FORMATS,
  EXPORT_NAMES,
  mdCell,
  toCsv,
  toMarkdown,
  type Exporter,
  type ExportFormat,
  type ExportName,
} from './export/index.js';
import { renderHtml, renderReportBody, REPORT_CSS, type ReportBody } from './html.js';
import {
  buildReportModel,
  PEAK_HEAD,
  peakCells,
  RANKING_HEAD,
  rankingCells,
  weightsUsedText,
  type RedactionNote,
  type ReportModel,
  type ReportOptions,
} from './model.js';

export interface WrittenReport {
  html: string;
  exports: Partial<Record<ExportFormat, string>>;
  model: ReportModel;
  bytes: number;
}

/** Writes NAME.html and, for each export, NAME.csv / NAME.json / NAME.md beside it. */
export async function writeReport(
  records: readonly RunRecord[],
  out: string,
  opts: ReportOptions = {},
  exports: readonly ExportFormat[] = [],
): Promise<WrittenReport> {
  const model = buildReportModel(records, opts);
  const html = EXPORTERS.html.render({ model, records });
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, html);
  const base = out.replace(/\.html?$/i, '');
  const written: WrittenReport['exports'] = {};
  for (const f of exports) {
    const file = `${base}.${f}`;
    await writeFile(file, EXPORTERS[f].render({ model, records }));
    written[f] = file;
  }
  return { html: out, exports: written, model, bytes: Buffer.byteLength(html) };
}

export { buildReportModel, renderHtml, toCsv, toMarkdown, type RedactionNote, type ReportModel, type ReportOptions };
export { EXPORTERS, EXPORT_NAMES, EXPORT_FORMATS, acceptanceCsv, type Exporter, type ExportName, type ExportFormat };
export { mdCell, PEAK_HEAD, peakCells, RANKING_HEAD, rankingCells, weightsUsedText };
export { renderReportBody, REPORT_CSS, type ReportBody };
export { chartLibraryFiles, CHART_BUILDS } from './assets.js';
export * as charts from './charts.js';
export { html, joinHtml, jsonScript, trusted, SafeHtml, type HtmlValue } from './escape.js';
export { esc, jsonForScript } from './escape.js';
export { num } from '../format.js';
