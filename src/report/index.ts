// Report building and exports. Knows records, not how they were measured.
import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import type { RunRecord } from '../results/index.js';
import { toCsv } from './export/csv.js';
import { toMarkdown } from './export/markdown.js';
import { renderHtml, renderReportBody, REPORT_CSS, type ReportBody } from './html.js';
import { buildReportModel, type RedactionNote, type ReportModel, type ReportOptions } from './model.js';

export const EXPORT_FORMATS = ['csv', 'json', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

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
  const html = renderHtml(model);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, html);
  const base = out.replace(/\.html?$/i, '');
  const written: WrittenReport['exports'] = {};
  for (const f of exports) {
    const file = `${base}.${f}`;
    const text = f === 'csv' ? toCsv(records) : f === 'md' ? toMarkdown(model) : `${JSON.stringify(model, null, 2)}\n`;
    await writeFile(file, text);
    written[f] = file;
  }
  return { html: out, exports: written, model, bytes: Buffer.byteLength(html) };
}

export { buildReportModel, renderHtml, toCsv, toMarkdown, type RedactionNote, type ReportModel, type ReportOptions };
export { renderReportBody, REPORT_CSS, type ReportBody };
export { redactForSharing, profileHints, type ReportText } from './share.js';
export { chartLibraryFiles, CHART_BUILDS } from './assets.js';
export * as charts from './charts.js';
export { html, joinHtml, jsonScript, trusted, SafeHtml, type HtmlValue } from './escape.js';
export { esc, jsonForScript } from './escape.js';
export { num } from '../format.js';
