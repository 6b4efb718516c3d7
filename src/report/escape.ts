// Everything from records and configs reaches the page through this module: markup is built with the `html`
// tagged template, which escapes every interpolated value unless it is already SafeHtml (markup built the same
// way, or vetted with `trusted`). JSON for the charts goes inside a script element through `jsonScript`.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text content and attribute values (quoted attributes: both quote characters are escaped). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * JSON to embed inside <script type="application/json">: `<` is escaped so no string can close the
 * script element (`</script>`) or open a comment; U+2028/2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const MINT = Symbol('SafeHtml');

/** Markup that is safe to place in a page as it is. Only `html`, `trusted`, `joinHtml` and `jsonScript` make one. */
export class SafeHtml {
  readonly #markup: string;
  constructor(mint: typeof MINT, markup: string) {
    if (mint !== MINT) throw new TypeError('SafeHtml is made by html`…`, trusted(), joinHtml() or jsonScript()');
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

const safe = (markup: string) => new SafeHtml(MINT, markup);

/**
 * What a template may hold: text and numbers (escaped), markup, lists of these; null and undefined are nothing.
 * Booleans are left out on purpose, so that `${cond && html`…`}` (which would print "false") does not compile.
 */
export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return esc(value);
}

/**
 * Markup from a template: the literal parts are the markup, every `${value}` is escaped as text unless it is
 * SafeHtml; arrays are rendered item by item and joined without a separator. Attribute values must be quoted.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return safe(out);
}

/**
 * Markup taken as it is. Only for text written in this code base and vetted as markup (the page's CSS and
 * script, the chart libraries' builds), never for anything read from records, configs or the environment.
 */
export function trusted(markup: string): SafeHtml {
  return safe(markup);
}

/** Items rendered as in a template, with `separator` (text or markup) between them. */
export function joinHtml(items: readonly HtmlValue[], separator: HtmlValue): SafeHtml {
  const sep = render(separator);
  return safe(items.map(render).join(sep));
}

/** `<script type="application/json" id="ID">` holding `value`; the one way data enters a script element. */
export function jsonScript(id: string, value: unknown): SafeHtml {
  return html`<script type="application/json" id="${id}">${safe(jsonForScript(value))}</script>`;
}
