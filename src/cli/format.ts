// The run summary table for the terminal.
import Table from 'cli-table3';
import { engineLabel } from '../analysis/index.js';
import { num } from '../format.js';
import type { RunRecord } from '../results/index.js';

export function summaryTable(records: readonly RunRecord[]): string {
  // Case ids carry every parameter, defaults included (so sites compare like with like): wrap them.
  const table = new Table({
    head: ['case', 'engine/backend', 'median', '95% CI', 'unit', 'n', 'status'],
    colWidths: [48, 20, 10, 22, 11, 6, 34],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const r of records) {
    const s = r.stats;
    const status = r.status === 'ok' ? (r.warnings.length ? `ok, ${r.warnings.length} warning(s)` : 'ok') : `${r.status}: ${shorten(r.error ?? '', 90)}`;
    table.push([r.case.replace(/,/g, ', '), engineLabel(r), s ? num(s.median) : '—', s ? `[${num(s.ci95[0])}, ${num(s.ci95[1])}]` : '—', r.metric.unit, s ? String(s.n) : '—', status]);
  }
  return table.toString();
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
