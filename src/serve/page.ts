// The page shell every screen shares: navigation, the session's CSRF token for the page's script, the style sheet
// and scripts served by fedbench itself (nothing inline: the CSP forbids it). Markup comes from the report's html`…`
// template, which escapes every value unless it is markup already.
import { html, joinHtml, type HtmlValue, type SafeHtml } from '../report/index.js';

export const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/sites', 'Sites'],
  ['/campaigns', 'Campaigns'],
  ['/results', 'Results'],
  ['/history', 'History'],
  ['/regressions', 'Regressions'],
  ['/acceptance', 'Acceptance'],
];

export interface PageOptions {
  title: string;
  /** The nav entry to mark as current. */
  active: string;
  csrf: string;
  body: SafeHtml;
  /** The page draws vega-lite charts: load the chart libraries. */
  charts?: boolean;
}

const CHART_SCRIPTS = ['vega.min.js', 'vega-interpreter.min.js', 'vega-lite.min.js', 'vega-embed.min.js'];

export function page(o: PageOptions): SafeHtml {
  // deferred classic scripts and the module run in document order, after parsing
  const scripts = o.charts ? CHART_SCRIPTS : [];
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="csrf-token" content="${o.csrf}">
<title>${o.title} · fedbench</title><link rel="stylesheet" href="/assets/app.css">
${scripts.map((s) => html`<script defer src="/assets/${s}"></script>`)}<script type="module" src="/assets/app.js"></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="fedbench"><span class="brand">fedbench</span>${NAV.map(
    ([href, label]) => html`<a href="${href}"${href === o.active ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav></header>
<main id="main" tabindex="-1"><h1>${o.title}</h1>
${o.body}
</main></body></html>
`;
}

/**
 * The page for a refused or failed request, the message escaped like every other value. `styled`: with the style
 * sheet and a way back (a request refused before sign-in gets neither: the sheet would be refused too).
 */
export function errorPage(code: number, heading: string, message: string, styled = true): SafeHtml {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fedbench: ${code}</title>${styled ? html`<link rel="stylesheet" href="/assets/app.css">` : ''}</head><body>${styled ? html`<main><h1>${heading}</h1><p>${message}</p><p><a href="/">Back</a></p></main>` : html`<h1>${heading}</h1><p>${message}</p>`}</body></html>`;
}

/** An accessible table: a caption, column headers with scope; cells are text (escaped) or markup. */
export function table(caption: string, head: readonly string[], rows: readonly HtmlValue[][], cls = ''): SafeHtml {
  if (!rows.length) return html`<p class="note">${caption}: none.</p>`;
  return html`<table${cls ? html` class="${cls}"` : ''}><caption>${caption}</caption><thead><tr>${head.map(
    (h) => html`<th scope="col">${h}</th>`,
  )}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** A link with query parameters (each value escaped by URLSearchParams, then by the template). */
export function link(
  pathname: string,
  params: Record<string, string | readonly string[] | undefined>,
  text: HtmlValue,
) {
  return html`<a href="${href(pathname, params)}">${text}</a>`;
}

export function href(pathname: string, params: Record<string, string | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of typeof v === 'string' ? [v] : v) q.append(k, x);
  }
  const s = q.toString();
  return s ? `${pathname}?${s}` : pathname;
}

/** A multiple-choice list (a labelled <select multiple>) for a GET filter form. */
export function multiSelect(name: string, label: string, options: readonly string[], chosen: readonly string[]) {
  const id = `f-${name}`;
  return html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}" multiple size="${Math.min(6, Math.max(2, options.length))}">${options.map(
    (o) => html`<option value="${o}"${chosen.includes(o) ? html` selected` : ''}>${o}</option>`,
  )}</select></div>`;
}

export function textField(name: string, label: string, value: string | undefined, hint = '', list?: string) {
  const id = `f-${name}`;
  return html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="${name}" value="${value ?? ''}"${list ? html` list="${list}"` : ''}${hint ? html` aria-describedby="${id}-hint"` : ''}>${hint ? html`<small id="${id}-hint">${hint}</small>` : ''}</div>`;
}

export function datalist(id: string, options: readonly string[]) {
  return html`<datalist id="${id}">${options.map((o) => html`<option value="${o}"></option>`)}</datalist>`;
}

export const joinLines = (items: readonly HtmlValue[]) => joinHtml(items, '\n');

export const when = (iso: string | null | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');
