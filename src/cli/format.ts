// Tables for the terminal (run's summary, compare, validate, recommend), fitted to its width. Case ids carry
// every parameter, defaults included (so sites compare like with like), which makes them long: parameters that
// every row of a benchmark shares are said once above the table, and what is still too wide is wrapped.
// `--json`, records and reports keep the full ids.
import Table from 'cli-table3';
import { aggregate, commCurves, engineLabel, transports } from '../analysis/index.js';
import { num } from '../format.js';
import type { RunRecord } from '../results/index.js';

/** Without a terminal (a pipe, a log file) and no $COLUMNS: wide enough for a summary, narrow enough to read. */
export const DEFAULT_WIDTH = 100;
/** Below this, tables are not narrowed further: they would be a column of single letters. */
const MIN_WIDTH = 40;

/** Columns to fit: stdout's width on a terminal, else $COLUMNS, else DEFAULT_WIDTH. */
export function terminalWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS);
  return Math.max(MIN_WIDTH, Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH);
}

/** Text in lines of at most `width` columns, broken at spaces or after / and , (a longer piece is cut); later lines indented. */
export function wrapText(text: string, width: number, indent = ''): string {
  return text
    .split('\n')
    .map((p) => wrapParagraph(p, width, indent))
    .join('\n');
}

/** Where a line may break inside a word: after a / or a , (a path, a case id, a list). */
const pieces = (word: string) => word.split(/(?<=[/,])(?=.)/);

function wrapParagraph(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  const room = () => Math.max(1, width - (lines.length ? indent.length : 0));
  let line = '';
  for (const word of text.split(' ')) {
    pieces(word).forEach((piece, i) => {
      const joined = line + (i === 0 && line ? ' ' : '') + piece;
      if (len(joined) <= room()) {
        line = joined;
        return;
      }
      if (line) lines.push(line);
      for (line = piece; len(line) > room(); ) {
        const cut = room();
        lines.push([...line].slice(0, cut).join(''));
        line = [...line].slice(cut).join('');
      }
    });
  }
  lines.push(line);
  return lines.map((l, i) => (i ? indent + l : l)).join('\n');
}

/** Display width of plain text (no colours in these tables; no wide characters in ids or figures). */
const len = (s: string) => [...s].length;

type Cell = string | number;

/**
 * A table no wider than `width` when that is possible: the widest columns are narrowed first, to a common
 * width, and their cells wrapped, preferably no narrower than their longest unbreakable piece.
 */
export function fitTable(head: readonly string[], rows: readonly (readonly Cell[])[], width = terminalWidth()): string {
  const cells = [head, ...rows].map((r) => r.map(String));
  const column = (i: number) => cells.flatMap((r) => (r[i] ?? '').split('\n'));
  const widest = (texts: string[]) => texts.reduce((m, t) => Math.max(m, len(t)), 0);
  // cli-table3 counts one space of padding each side in a column's width, and one border between columns
  const natural = head.map((_, i) => 2 + widest(column(i)));
  const unbreakable = head.map((_, i) => 2 + widest(column(i).flatMap((l) => l.split(' ').flatMap(pieces))));
  const room = width - (head.length + 1);
  const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);
  const wordFloor = natural.map((n, i) => Math.min(n, unbreakable[i]!, 16));
  const floor = sum(wordFloor) <= room ? wordFloor : natural.map((n) => Math.min(n, 6));
  const widths = (cap: number) => natural.map((n, i) => Math.min(n, Math.max(cap, floor[i]!)));
  let cap = Math.max(...natural);
  while (cap > 0 && sum(widths(cap)) > room) cap--;
  const colWidths = widths(cap);
  const table = new Table({
    head: head.map((h, i) => wrapText(h, colWidths[i]! - 2)),
    colWidths,
    style: { head: [], border: [] },
  });
  for (const r of cells.slice(1)) table.push(r.map((c, i) => wrapText(c, colWidths[i]! - 2)));
  return table.toString();
}

interface ParsedId {
  benchmark: string;
  engine: string;
  params: Array<[string, string]>;
}

/** benchmark/engine[:backend]/k=v,k=v (suite/load.ts caseId); null for anything else. */
function parseCaseId(id: string): ParsedId | null {
  const m = /^([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(id);
  if (!m) return null;
  // a comma starts a parameter only before `name=`, so a value may hold a comma
  const params = m[3]
    ? m[3]
        .split(/,(?=[A-Za-z_][\w.-]*=)/)
        .map((p): [string, string] => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])
    : [];
  return params.every(([k]) => k) ? { benchmark: m[1]!, engine: m[2]!, params } : null;
}

export interface CaseLabels {
  /** Row label for a case id: benchmark/engine and the parameters that differ between rows. */
  label: (id: string) => string;
  /** One line per benchmark whose rows all share parameters: `every gemm case below: n=512`. */
  shared: string[];
}

/** Short row labels for case ids: a parameter that has one value in every row of a benchmark is said once. */
export function caseLabels(ids: readonly string[]): CaseLabels {
  const parsed = new Map(ids.map((id) => [id, parseCaseId(id)]));
  const common = new Map<string, Array<[string, string]>>();
  for (const p of parsed.values()) {
    if (!p) continue;
    const have = common.get(p.benchmark);
    common.set(
      p.benchmark,
      have ? have.filter(([k, v]) => p.params.some(([k2, v2]) => k2 === k && v2 === v)) : p.params,
    );
  }
  const text = (params: Array<[string, string]>) => params.map(([k, v]) => `${k}=${v}`).join(', ');
  return {
    label: (id) => {
      const p = parsed.get(id) ?? parseCaseId(id);
      if (!p) return id;
      const shared = common.get(p.benchmark) ?? [];
      const own = p.params.filter(([k]) => !shared.some(([k2]) => k2 === k));
      return `${p.benchmark}/${p.engine}${own.length ? `/${text(own)}` : ''}`;
    },
    shared: [...common]
      .filter(([, params]) => params.length)
      .map(([b, params]) => `every ${b} case below: ${text(params)}`),
  };
}

/** A table whose first column is a case: the shared parameters above it, then the table. */
export function caseTable(
  head: readonly string[],
  rows: ReadonlyArray<readonly [string, ...Cell[]]>,
  width = terminalWidth(),
): string {
  const { label, shared } = caseLabels(rows.map((r) => r[0]));
  const above = shared.map((s) => `${wrapText(s, width, '  ')}\n`).join('');
  return (
    above +
    fitTable(
      head,
      rows.map(([id, ...rest]) => [label(id), ...rest]),
      width,
    )
  );
}

/** The run's summary: the table of records, then why each case failed or was skipped, and each warning. */
export function runSummary(records: readonly RunRecord[], width = terminalWidth()): string {
  const rows = records.map((r): [string, ...string[]] => {
    const s = r.stats;
    const n = r.warnings.length;
    const status = r.status === 'ok' && n ? `ok, ${n} warning${n === 1 ? '' : 's'}` : r.status;
    return [
      r.case,
      engineLabel(r),
      s ? `${num(s.median)}${s.modes ? `\n${s.modes.length} modes` : ''}` : '—',
      s ? `[${num(s.ci95[0])}, ${num(s.ci95[1])}]` : '—',
      r.metric.unit,
      s ? String(s.n) : '—',
      status,
    ];
  });
  const { label } = caseLabels(records.map((r) => r.case));
  const notes = [
    ...records
      .filter((r) => r.status !== 'ok')
      .map((r) => `${r.status}: ${label(r.case)}: ${shorten(r.error ?? 'no reason recorded', 300)}`),
    ...records.flatMap((r) => r.warnings.map((w) => `warning: ${label(r.case)}: ${w}`)),
  ];
  return [
    caseTable(['case', 'engine/backend', 'median', '95% CI', 'unit', 'n', 'status'], rows, width),
    ...notes.map((l) => wrapText(l, width, '  ')),
  ].join('\n');
}

/**
 * Collective sweeps of this run: busbw (GB/s) per message size, one column per collective and world, and the
 * transport each used; empty when the run had none.
 */
export function commSummary(records: readonly RunRecord[]): string {
  const curves = commCurves(records);
  if (!curves.length) return '';
  const head = curves.map((c) => `${c.collective} ${c.dtype} ×${c.world}${c.nodes > 1 ? `/${c.nodes}n` : ''}`);
  const sizes = [...new Set(curves.flatMap((c) => c.points.map((p) => p.bytes)))].sort((a, b) => a - b);
  const rows = sizes.map((bytes) => [
    String(bytes),
    ...curves.map((c) => {
      const p = c.points.find((x) => x.bytes === bytes);
      return p ? num(p.busbw) : '—';
    }),
  ]);
  const widths = ['bytes', ...head].map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const used = [
    ...new Set(
      transports(records).map(
        (t) => `${t.backend}: ${t.transport.join(', ') || 'not stated'}${t.flag ? ` — ${t.flag}` : ''}`,
      ),
    ),
  ];
  return [
    'busbw (GB/s) by message size (nccl-tests formulas; ×N: ranks, /Mn: nodes)',
    line(['bytes', ...head]),
    ...rows.map(line),
    `transport: ${used.join('; ')}`,
  ].join('\n');
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The summary of `run --repeat K`: one row per case pooling its K processes — the median of every sample, an interval
 * that covers the spread between the processes' medians, and that spread — then failures and warnings.
 */
export function repeatSummary(records: readonly RunRecord[], width = terminalWidth()): string {
  const rows = aggregate(records).flatMap((c) =>
    c.sites.map((s): [string, ...string[]] => {
      const medians = records
        .filter((r) => r.case === c.case && r.status === 'ok' && r.stats)
        .map((r) => r.stats!.median);
      const st = s.stats;
      const status = Object.entries(s.status)
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      return [
        c.case,
        s.engines.join(', '),
        st ? `${num(st.median)}${st.modes ? `\n${st.modes.length} modes` : ''}` : '—',
        st ? `[${num(st.ci95[0])}, ${num(st.ci95[1])}]` : '—',
        c.metric.unit,
        medians.length ? `${num(Math.min(...medians))}–${num(Math.max(...medians))}` : '—',
        status,
      ];
    }),
  );
  const { label } = caseLabels(records.map((r) => r.case));
  const notes = [
    ...records
      .filter((r) => r.status !== 'ok')
      .map(
        (r) =>
          `${r.status} (repetition ${r.repetition?.index ?? '?'}): ${label(r.case)}: ${shorten(r.error ?? 'no reason recorded', 300)}`,
      ),
    ...[...new Set(records.flatMap((r) => r.warnings.map((w) => `warning: ${label(r.case)}: ${w}`)))],
  ];
  return [
    caseTable(['case', 'engine/backend', 'median', '95% CI (all runs)', 'unit', 'run medians', 'runs'], rows, width),
    ...notes.map((l) => wrapText(l, width, '  ')),
  ].join('\n');
}
