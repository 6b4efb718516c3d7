// The one registry of exporters: a name, the file's extension and content type, and how it renders the report's
// model (the CSV: the records behind it, one row each). `report --export` and the server's export route both read it.
import type { RunRecord } from '../../results/index.js';
import { renderHtml } from '../html.js';
import type { ReportModel } from '../model.js';
import { toCsv } from './csv.js';
import { toMarkdown } from './markdown.js';

export interface ExportInput {
  model: ReportModel;
  /** The records the model was built from. */
  records: readonly RunRecord[];
}

export interface Exporter {
  /** Also the file's extension. */
  name: string;
  contentType: string;
  render(input: ExportInput): string;
}

export const EXPORT_NAMES = ['html', 'csv', 'json', 'md'] as const;
export type ExportName = (typeof EXPORT_NAMES)[number];

export const EXPORTERS: Readonly<Record<ExportName, Exporter>> = {
  html: { name: 'html', contentType: 'text/html; charset=utf-8', render: ({ model }) => renderHtml(model) },
  csv: { name: 'csv', contentType: 'text/csv; charset=utf-8', render: ({ records }) => toCsv(records) },
  json: {
    name: 'json',
    contentType: 'application/json; charset=utf-8',
    render: ({ model }) => `${JSON.stringify(model, null, 2)}\n`,
  },
  md: { name: 'md', contentType: 'text/markdown; charset=utf-8', render: ({ model }) => toMarkdown(model) },
};

/** What `report --export` writes beside the HTML report, which is always written. */
export const EXPORT_FORMATS = EXPORT_NAMES.filter((n): n is Exclude<ExportName, 'html'> => n !== 'html');
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export { toCsv, csvCell, acceptanceCsv } from './csv.js';
export { toMarkdown, mdCell } from './markdown.js';
