// Labels for identifying values, and the one replacement pass over text.
// Matching is case-insensitive (host names are; over-replacing a user name's other casing costs nothing) and
// aware of word edges: a value whose edge is a letter or digit matches only where the text's neighbouring
// character is not one (`n01` is not found in `n012`), unless that neighbour ends an escape (`%2Falice`,
// `\u002Falice`, `\nalice`), so escaped text gives nothing away either.

/** The kinds of label, in order of precedence when one value is found as several (a compute node's host name is a
 *  node, an address given as a host name is an address). */
export const LABEL_KINDS = [
  'gpu-uuid',
  'mig-uuid',
  'uuid',
  'ip',
  'mac',
  'key',
  'node',
  'host',
  'domain',
  'user',
  'account',
  'cluster',
  'partition',
  'serial',
  'job',
  'value',
] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/** A label fedbench gives; met again (redacting a redacted report) it stands for itself. */
export const LABEL_SHAPE = new RegExp(`^(${LABEL_KINDS.join('|')})-(\\d+)$`);

/** ASCII-only lowering keeps every index of the text valid in its lowered copy (full Unicode lowering need not). */
export const lower = (s: string): string => s.replace(/[A-Z]+/g, (c) => c.toLowerCase());

const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);

/** The characters before `at` end an escape (%2F, \u002F, \n), so the value after them starts a word. */
function escapeEndsAt(s: string, at: number): boolean {
  return (
    (s[at - 3] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(at - 2, at))) ||
    (s[at - 6] === '\\' && /^u[0-9A-Fa-f]{4}$/.test(s.slice(at - 5, at))) ||
    (s[at - 2] === '\\' && /^[nrtbf0]$/.test(s[at - 1] ?? ''))
  );
}

interface Entry {
  /** The label; null for a value kept as it is (a site name), which no shorter value may cut into. */
  label: string | null;
  /** Also found inside longer text; otherwise only a whole string equal to it is replaced. */
  inText: boolean;
  startsAlnum: boolean;
  endsAlnum: boolean;
}

/** Values (by their lowered text) and what replaces them; `replace` is memoised, records repeat most strings. */
export class Replacer {
  readonly #entries = new Map<string, Entry>();
  #lengths: number[] = [];
  #starts = new Set<string>();
  readonly #memo = new Map<string, string>();

  /** A value and its label; an earlier entry for the same text wins. */
  set(value: string, label: string | null, inText: boolean): void {
    const key = lower(value);
    if (!key || this.#entries.has(key)) return;
    this.#entries.set(key, { label, inText, startsAlnum: isAlnum(key[0]), endsAlnum: isAlnum(key.at(-1)) });
  }

  has(value: string): boolean {
    return this.#entries.has(lower(value));
  }

  /** Ready to replace: lengths longest first, so `n01.example.org` is taken before `n01`. */
  seal(): this {
    const lengths = new Set<number>();
    for (const [key, e] of this.#entries)
      if (e.inText && key.length >= 2) {
        lengths.add(key.length);
        this.#starts.add(key.slice(0, 2));
      }
    this.#lengths = [...lengths].sort((a, b) => b - a);
    this.#memo.clear();
    return this;
  }

  replace(s: string): string {
    if (!s) return s;
    const known = this.#memo.get(s);
    if (known !== undefined) return known;
    const out = this.#replace(s);
    if (this.#memo.size < 1_000_000) this.#memo.set(s, out);
    return out;
  }

  #replace(s: string): string {
    const text = lower(s);
    const whole = this.#entries.get(text);
    if (whole) return whole.label ?? s;
    let out = '';
    let last = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.#starts.has(text.slice(i, i + 2)) ? this.#matchAt(s, text, i) : null;
      if (!hit) {
        i++;
        continue;
      }
      if (hit.label !== null) {
        out += s.slice(last, i) + hit.label;
        last = i + hit.length;
      }
      i += hit.length;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  #matchAt(s: string, text: string, i: number): { label: string | null; length: number } | null {
    const wordBefore = isAlnum(s[i - 1]) && !escapeEndsAt(s, i);
    for (const length of this.#lengths) {
      if (i + length > text.length) continue;
      const e = this.#entries.get(text.slice(i, i + length));
      if (!e?.inText) continue;
      if (e.startsAlnum && wordBefore) continue;
      if (e.endsAlnum && isAlnum(s[i + length])) continue;
      return { label: e.label, length };
    }
    return null;
  }
}

const NATURAL = new Intl.Collator('en', { numeric: true });

/**
 * Numbered labels per kind (`host-1`, `node-3`, `gpu-uuid-2`), handed out in the values' sorted order (so node
 * labels follow the nodes' own order), skipping numbers a label-shaped value already holds.
 */
export function assignLabels(values: ReadonlyMap<LabelKind, Iterable<string>>): Map<string, string> {
  const labels = new Map<string, string>();
  const taken = new Map<string, Set<number>>();
  const all = [...values.values()].flatMap((vs) => [...vs]);
  for (const v of all) {
    const m = LABEL_SHAPE.exec(lower(v));
    if (!m) continue;
    labels.set(lower(v), lower(v));
    taken.set(m[1]!, (taken.get(m[1]!) ?? new Set<number>()).add(Number(m[2])));
  }
  for (const kind of LABEL_KINDS) {
    const sorted = [...new Set([...(values.get(kind) ?? [])].map(lower))]
      .filter((v) => !labels.has(v))
      .sort(NATURAL.compare);
    const used = taken.get(kind) ?? new Set<number>();
    let n = 0;
    for (const v of sorted) {
      do n++;
      while (used.has(n));
      labels.set(v, `${kind}-${n}`);
    }
  }
  return labels;
}
