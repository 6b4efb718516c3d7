// The proof of a redaction: every identifying value the original records hold (found as redaction finds them)
// looked for in a shared file, in every form a report writes text in — plain, HTML-, JSON-, URL- and CSV-escaped,
// any case. A value redaction replaces only as a whole field (a partition called `gpu`) cannot be looked for in
// text without finding the word: those are left out of the check, and the check says how many.
import type { ReplacedValue } from './index.js';
import { LABEL_KINDS } from './labels.js';

export interface Survivor {
  value: ReplacedValue;
  /** How it was written: plain, html, json, url, csv. */
  form: string;
  line: number;
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The forms a value takes in the files fedbench writes (and in hand-made ones: numeric entities, `%2f`). */
export function forms(v: string): Array<[string, string]> {
  const html = v.replace(/[&<>"']/g, (c) => HTML[c]!);
  const json = JSON.stringify(v).slice(1, -1);
  const out: Array<[string, string]> = [
    ['plain', v],
    ['html', html],
    ['html', v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)],
    ['html', v.replace(/[&<>"']/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`)],
    ['json', json],
    // JSON inside a <script> element (jsonForScript)
    ['json', json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)],
    ['html', json.replace(/[&<>"']/g, (c) => HTML[c]!)],
    ['url', encodeURIComponent(v)],
    ['url', encodeURI(v)],
    ['csv', v.replace(/"/g, '""')],
    ['markdown', v.replace(/\|/g, '\\|')],
  ];
  const seen = new Set<string>();
  return out.filter(([, f]) => !seen.has(f.toLowerCase()) && seen.add(f.toLowerCase()));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ALNUM = /[A-Za-z0-9]/;
// a letter or digit before the value that is not the end of an escape (%2F, \u002F, \n, &#47;)
const WORD_BEFORE = '(?<!(?<!%[0-9A-Fa-f]|\\\\u[0-9A-Fa-f]{3}|\\\\)[A-Za-z0-9])';

const KIND_WORDS = new Set<string>(LABEL_KINDS);

function pattern(form: string): RegExp {
  const before = ALNUM.test(form[0] ?? '') ? WORD_BEFORE : '';
  // a value that is a label's own word (a user called `user`) is not found in its label (`user-1`)
  const label = KIND_WORDS.has(form.toLowerCase()) ? '(?!-\\d)' : '';
  const after = (ALNUM.test(form.at(-1) ?? '') ? '(?![A-Za-z0-9])' : '') + label;
  return new RegExp(`${before}${escapeRegExp(form)}${after}`, 'gi');
}

/** Every identifying value that survives in `text`, with its form and line. */
export function survivors(text: string, values: readonly ReplacedValue[]): Survivor[] {
  const out: Survivor[] = [];
  for (const value of values) {
    if (!value.inText) continue;
    for (const [form, written] of forms(value.value)) {
      const m = pattern(written).exec(text);
      if (!m) continue;
      out.push({ value, form, line: text.slice(0, m.index).split('\n').length });
      break;
    }
  }
  return out;
}
