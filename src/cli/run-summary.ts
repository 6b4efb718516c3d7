// What `fedbench run` prints when it ends: one line per case, its problems as short flags, then at most one line of
// advice per kind of problem, naming the cases and what to do (as hyperfine, pyperf and cargo do). Each record
// keeps its warnings in full; `--verbose` prints them, and so do the report and `--json`.
import { aggregate, commCurves, engineLabel, transports } from '../analysis/index.js';
import { num } from '../format.js';
import type { RunRecord } from '../results/index.js';
import { caseLabels, terminalWidth, wrapText } from './format.js';

/** Kinds of problem a warning can say, each with what a user can do about it. */
type Kind = 'unsteady' | 'modes' | 'binding' | 'short-call' | 'gpu' | 'note';

interface Classified {
  kind: Kind;
  /** The table's flag for it, or none where the kind is said by another flag of the same case. */
  flag?: string;
}

/**
 * A warning's kind, from the words each producer starts it with (measure/loop.ts, runner/run-case.ts,
 * runner/kernel.ts, energy/gpu-telemetry.ts). A warning of no known kind is printed whole, never hidden.
 */
export function classifyWarning(text: string): Classified | null {
  if (/^noisy run: coefficient of variation/.test(text)) return { kind: 'unsteady', flag: 'noisy' };
  if (/^noise target not met/.test(text)) return { kind: 'unsteady', flag: 'wide CI' };
  if (/^\d+ of \d+ samples are outliers/.test(text)) return { kind: 'unsteady', flag: 'outliers' };
  if (/^samples come in phases/.test(text)) return { kind: 'unsteady', flag: 'phases' };
  if (/^drifting run/.test(text)) return { kind: 'unsteady', flag: 'drift' };
  if (/^warm-up did not stabilise/.test(text)) return { kind: 'unsteady', flag: 'warm-up' };
  if (/^multimodal samples \((\d+) modes/.test(text))
    return { kind: 'modes', flag: `${/^multimodal samples \((\d+) modes/.exec(text)![1]} modes` };
  const binding = /^\S+'s own cost of a call .* is ([\d.]+)% of a call/.exec(text);
  if (binding) return { kind: 'binding', flag: `binding ${Math.round(Number.parseFloat(binding[1]!))}%` };
  if (/^harness overhead is/.test(text)) return { kind: 'short-call', flag: 'short calls' };
  if (/ throttled: SM clock fell/.test(text)) return { kind: 'gpu', flag: 'throttled' };
  if (/ was shared: \d+ other compute process/.test(text)) return { kind: 'gpu', flag: 'shared GPU' };
  // one-off initialisation, already excluded by the warm-up: nothing to do, in the record and --verbose only
  if (/^first call took \d+x the steady-state time/.test(text)) return { kind: 'note' };
  // how a command case's energy window was framed: a fact about the method, said in the record and the report
  if (/^energy covers the measured invocations/.test(text)) return { kind: 'note' };
  return null;
}

const UNSTEADY_FLAGS = new Set(['noisy', 'outliers', 'phases', 'drift', 'wide CI', 'warm-up']);
const classifyFlagKind = (flag: string): Kind | null => (UNSTEADY_FLAGS.has(flag) ? 'unsteady' : null);

/** The flags shown in a case's row, in a fixed order, one per problem. */
const FLAG_ORDER = [
  'noisy',
  'outliers',
  'wide CI',
  'phases',
  'drift',
  'warm-up',
  'modes',
  'binding',
  'short calls',
  'throttled',
  'shared GPU',
];

function flagsOf(r: RunRecord): { flags: string[]; kinds: Set<Kind>; unknown: string[] } {
  const flags: string[] = [];
  const kinds = new Set<Kind>();
  const unknown: string[] = [];
  for (const w of r.warnings) {
    const c = classifyWarning(w);
    if (!c) {
      unknown.push(w);
      continue;
    }
    kinds.add(c.kind);
    if (c.flag && !flags.includes(c.flag)) flags.push(c.flag);
  }
  // One flag for the unsteady kind, the strongest: the rest of why the interval is wide is in the record.
  const unsteady = ['noisy', 'outliers', 'phases', 'drift', 'wide CI', 'warm-up'].find((f) => flags.includes(f));
  const shown = flags.filter((f) => classifyFlagKind(f) !== 'unsteady' || f === unsteady);
  const rank = (f: string) => FLAG_ORDER.findIndex((o) => f === o || f.endsWith(o) || f.startsWith(o));
  if (unknown.length) shown.push(`${unknown.length} warning${unknown.length === 1 ? '' : 's'}`);
  return { flags: shown.sort((a, b) => rank(a) - rank(b)), kinds, unknown };
}

/** One line of advice per kind, naming its cases (the first few, then how many more). */
const ADVICE: Record<Exclude<Kind, 'note'>, (cases: string, n: number) => string> = {
  unsteady: (cases, n) =>
    `${n === 1 ? '1 case' : `${n} cases`} did not settle on this machine (${cases}): their intervals are widened to match; for tighter figures run on an idle machine, or with --repeat 5 to pool fresh processes`,
  modes: (cases, n) =>
    `${n === 1 ? '1 case' : `${n} cases`} sampled in several modes (${cases}): the median depends on the mode a run lands in; compare such cases mode by mode (the report shows each mode)`,
  binding: (cases, n) =>
    `onnxruntime-node's own cost of a call is over 5% of the call in ${n === 1 ? '1 case' : `${n} cases`} (${cases}): the engine itself runs ${n === 1 ? 'it' : 'them'} faster; a larger size or batch measures more of the kernel`,
  'short-call': (cases, n) =>
    `${n === 1 ? '1 case is' : `${n} cases are`} too short to time precisely (${cases}): give the suite a larger size, or raise stop.minSampleSeconds`,
  gpu: (cases, n) =>
    `the GPU was throttled or shared during ${n === 1 ? '1 case' : `${n} cases`} (${cases}): check clocks and other processes with nvidia-smi, and run on a dedicated, cool GPU`,
};

const ADVICE_ORDER: Array<Exclude<Kind, 'note'>> = ['unsteady', 'modes', 'binding', 'short-call', 'gpu'];

/** Names of cases for one advice line: a few, then how many more. */
function nameCases(names: string[]): string {
  const SHOWN = 4;
  return names.length <= SHOWN
    ? names.join(', ')
    : `${names.slice(0, SHOWN).join(', ')} and ${names.length - SHOWN} more`;
}

/** The interval cell: with too few samples for a 95% interval, order statistics give the samples' range: say so. */
function intervalCell(r: RunRecord): string {
  const s = r.stats;
  if (!s) return '—';
  // the same rule as the report's (format.ts intervalText), with the bounds shortened to fit one line
  return `${s.ciMethod === 'none' ? 'range ' : ''}${bounds(s.ci95)}`;
}

/** An interval's bounds to 3 significant digits: the table's one line per case has room for no more. */
function bounds([low, high]: readonly [number, number]): string {
  const three = (x: number) =>
    Math.abs(x) >= 1e3 && Math.abs(x) < 1e12 ? String(Math.round(x)) : num(Number(x.toPrecision(3)));
  return `[${three(low)}, ${three(high)}]`;
}

/** A row's case: its benchmark and the parameters that differ between rows (the engine has its own column). */
function rowLabel(label: (id: string) => string, r: RunRecord): string {
  const full = label(r.case);
  const engine = `/${r.case.split('/')[1]}`;
  return full.replace(engine, '').replace('/', ' ');
}

/**
 * Columns separated by two spaces, numbers right-aligned, no borders: one line per row when the rows fit `width`;
 * otherwise the widest text columns are narrowed and wrapped.
 */
export function plainTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[],
  width: number,
): string {
  const len = (s: string) => [...s].length;
  const natural = head.map((_, i) => Math.max(...[head, ...rows].map((r) => len(r[i] ?? ''))));
  const room = width - 2 * (head.length - 1);
  const widths = [...natural];
  // narrow the widest text column, one column at a time, down to 12 columns each
  while (widths.reduce((a, b) => a + b, 0) > room) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (!alignRight[i] && widths[i]! > 12 && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]!--;
  }
  const lines: string[] = [];
  for (const row of [head, ...rows]) {
    const cells = row.map((c, i) => wrapText(c, widths[i]!, '').split('\n'));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++)
      lines.push(
        cells
          .map((c, i) => {
            const text = c[k] ?? '';
            const pad = ' '.repeat(Math.max(0, widths[i]! - len(text)));
            return alignRight[i] ? pad + text : i === cells.length - 1 ? text : text + pad;
          })
          .join('  ')
          .trimEnd(),
      );
  }
  return lines.join('\n');
}

const HEAD = ['case', 'engine', 'median', '95% CI', 'unit', 'n', 'flags'];

/** As many flags as fit in `room` columns, then how many more there are. */
function fitFlags(flags: string[], room: number): string {
  const all = flags.join(', ');
  if ([...all].length <= room) return all;
  for (let k = flags.length - 1; k >= 1; k--) {
    const text = `${flags.slice(0, k).join(', ')}, +${flags.length - k}`;
    if ([...text].length <= room) return text;
  }
  return flags.length ? `${flags[0]}${flags.length > 1 ? `, +${flags.length - 1}` : ''}` : '';
}

export interface SummaryOptions {
  width?: number;
  /** Every warning of every case after the table, in full, instead of one line of advice per kind. */
  verbose?: boolean;
  /** Where the records are, to say where each warning can be read in full. */
  out?: string;
}

/** Why cases failed or were skipped; then advice per kind of problem (or, verbose, every warning); unknown warnings whole. */
function problemNotes(
  records: readonly RunRecord[],
  label: (id: string) => string,
  options: SummaryOptions,
  statusOf: (r: RunRecord) => string,
): string[] {
  const notes = records
    .filter((r) => r.status !== 'ok')
    .map((r) => `${statusOf(r)}: ${label(r.case)}: ${shorten(r.error ?? 'no reason recorded', 300)}`);
  const warned = (r: RunRecord) => r.warnings.map((w) => `warning: ${label(r.case)}: ${w}`);
  if (options.verbose) return [...notes, ...new Set(records.flatMap(warned))];
  const perCase = records.map((r) => ({ r, ...flagsOf(r) }));
  for (const kind of ADVICE_ORDER) {
    const names = [...new Set(perCase.filter((c) => c.kinds.has(kind)).map((c) => label(c.r.case)))];
    if (names.length) notes.push(`advice: ${ADVICE[kind](nameCases(names), names.length)}`);
  }
  const unknown = perCase.flatMap(({ r, unknown }) => unknown.map((w) => `warning: ${label(r.case)}: ${w}`));
  notes.push(...new Set(unknown));
  if (records.some((r) => r.warnings.length))
    notes.push(
      `every warning in full: each record's "warnings"${options.out ? ` in ${options.out}` : ''}, the report, or run with --verbose`,
    );
  return notes;
}

/** The run's summary: shared parameters, one line per case with its flags, why cases failed or were skipped, advice. */
export function runSummary(records: readonly RunRecord[], options: SummaryOptions = {}): string {
  const width = options.width ?? terminalWidth();
  const { label, shared } = caseLabels(records.map((r) => r.case));
  // a thread count every engine shares is said once above the table
  const counts = new Set(records.map((r) => / ×(\d+)$/.exec(engineLabel(r))?.[1]).filter((t) => t !== undefined));
  const oneThreadCount = counts.size === 1 ? [...counts][0] : undefined;
  const engineCell = (r: RunRecord) =>
    oneThreadCount !== undefined ? engineLabel(r).replace(/ ×\d+$/, '') : engineLabel(r);
  const perCase = records.map((r) => ({ r, ...flagsOf(r) }));
  const rows = perCase.map(({ r }) => {
    const s = r.stats;
    return [
      rowLabel(label, r),
      engineCell(r),
      s ? num(s.median) : '—',
      intervalCell(r),
      r.metric.unit,
      s ? String(s.n) : '—',
    ];
  });
  // The flags get what the other columns leave of the line; flags that do not fit are counted (+2): the advice
  // lines below name every case of every kind.
  const widest = (i: number) => Math.max(...[HEAD, ...rows].map((row) => [...(row[i] ?? '')].length));
  const flagRoom = width - rows[0]!.reduce((sum, _, i) => sum + widest(i) + 2, 0);
  rows.forEach((row, i) => {
    const { r, flags } = perCase[i]!;
    row.push(r.status === 'ok' ? fitFlags(flags, flagRoom) : r.status === 'failed' ? 'FAILED' : r.status);
  });
  const above = [
    ...shared,
    ...(oneThreadCount !== undefined ? [`every engine below ran with ${oneThreadCount} threads`] : []),
  ];
  const table = plainTable(HEAD, rows, [false, false, true, false, false, true, false], width);
  const notes = problemNotes(records, label, options, (r) => r.status);
  return [...above.map((s) => wrapText(s, width, '  ')), table, ...notes.map((l) => wrapText(l, width, '  '))].join(
    '\n',
  );
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The summary of `run --repeat K`: one row per case pooling its K processes — the median of every sample, an interval
 * that covers the spread between the processes' medians, and that spread — then failures and advice.
 */
export function repeatSummary(records: readonly RunRecord[], options: SummaryOptions = {}): string {
  const width = options.width ?? terminalWidth();
  const { label, shared } = caseLabels(records.map((r) => r.case));
  const rows = aggregate(records).flatMap((c) =>
    c.sites.map((s) => {
      const mine = records.filter((r) => r.case === c.case);
      const medians = mine.filter((r) => r.status === 'ok' && r.stats).map((r) => r.stats!.median);
      const st = s.stats;
      const status = Object.entries(s.status)
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k}`);
      const flags = [...new Set(mine.flatMap((r) => flagsOf(r).flags))];
      return [
        rowLabel(label, mine[0]!),
        s.engines.join(', '),
        st ? num(st.median) : '—',
        st ? bounds(st.ci95) : '—',
        c.metric.unit,
        medians.length ? `${num(Math.min(...medians))}–${num(Math.max(...medians))}` : '—',
        [...status, ...flags].join(', '),
      ];
    }),
  );
  const table = plainTable(
    ['case', 'engine', 'median', '95% CI (all runs)', 'unit', 'run medians', 'runs, flags'],
    rows,
    [false, false, true, false, false, false, false],
    width,
  );
  const notes = problemNotes(records, label, options, (r) => `${r.status} (repetition ${r.repetition?.index ?? '?'})`);
  return [...shared.map((s) => wrapText(s, width, '  ')), table, ...notes.map((l) => wrapText(l, width, '  '))].join(
    '\n',
  );
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
