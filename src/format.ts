// Number formatting shared by the terminal, the report and analysis messages.
/** 4 significant digits, no exponent for everyday magnitudes. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e12)) return x.toExponential(3);
  if (a >= 1e4) return String(Math.round(x));
  const s = x.toPrecision(4);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * A fraction as a percentage: `pct(0.123)` is `12.3%`. `digits: 'auto'` gives small fractions (under 10%) one
 * more digit; `'exact'` as many as the value has (up to 4 significant: `2%`, `2.5%`), for stated limits.
 * Infinite fractions are `∞` (an interval with no upper bound), NaN is `—`.
 */
export function pct(x: number, digits: number | 'auto' | 'exact' = 1): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (digits === 'exact') return `${num(x * 100)}%`;
  const d = digits === 'auto' ? (Math.abs(x) < 0.1 ? 2 : 1) : digits;
  return `${(x * 100).toFixed(d)}%`;
}

export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** An accepted range, one-sided ranges as ≥ / ≤. */
export function range([lo, hi]: [number, number]): string {
  if (hi === Infinity) return `≥ ${num(lo)}`;
  if (lo === -Infinity) return `≤ ${num(hi)}`;
  return `[${num(lo)}, ${num(hi)}]`;
}

/**
 * The median's interval as a table cell: `[lo, hi]`; with too few samples for a 95% interval (`ciMethod: none`) it
 * holds the smallest and largest sample, and is labelled `range [lo, hi]` so it is not read as an interval.
 */
export function intervalText(s: { ci95: readonly [number, number]; ciMethod?: string }): string {
  const text = `[${num(s.ci95[0])}, ${num(s.ci95[1])}]`;
  return s.ciMethod === 'none' ? `range ${text}` : text;
}

/** A short time as `57 µs`, `4.29 ms` or `1.25 s`. */
export function shortDuration(seconds: number): string {
  if (seconds < 1e-3) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toPrecision(3)} ms`;
  return `${seconds.toPrecision(3)} s`;
}

/** Seconds as `2 h 05 min`, `12 min`, `40 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A sample's modes in a few words: `2 modes: 72% ≈ 36.2, 28% ≈ 135`. */
export function modesText(s: { modes?: ReadonlyArray<{ median: number; share: number }> }): string {
  const modes = s.modes ?? [];
  return `${modes.length} modes: ${modes.map((m) => `${Math.round(m.share * 100)}% ≈ ${num(m.median)}`).join(', ')}`;
}

/** A message or buffer size in binary units as nccl-tests' sweeps double them: 8 B, 4 KiB, 1.5 MiB. */
export function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toPrecision(3)} ${units[u]}`;
}
