// Terminal formatting: numbers with sensible significant digits, and the run summary table.
import Table from 'cli-table3';
import type { RunRecord } from '../results/index.js';

/** 4 significant digits, no exponent for everyday magnitudes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return x.toExponential(3);
  const s = x.toPrecision(4);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export function backendLabel(r: RunRecord): string {
  const threads = r.engine.threads ? ` ×${r.engine.threads}` : '';
  return `${r.engine.name}/${r.engine.backend ?? '—'}${threads}`;
}

export function summaryTable(records: readonly RunRecord[]): string {
  const table = new Table({
    head: ['case', 'engine/backend', 'median', '95% CI', 'unit', 'n', 'status'],
    style: { head: [], border: [] },
  });
  for (const r of records) {
    const s = r.stats;
    const status = r.status === 'ok' ? (r.warnings.length ? `ok, ${r.warnings.length} warning(s)` : 'ok') : `${r.status}: ${shorten(r.error ?? '', 60)}`;
    table.push([r.case, backendLabel(r), s ? num(s.median) : '—', s ? `[${num(s.ci95[0])}, ${num(s.ci95[1])}]` : '—', r.metric.unit, s ? String(s.n) : '—', status]);
  }
  return table.toString();
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
