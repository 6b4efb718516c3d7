// Results: the report's own model and markup (buildReportModel, renderReportBody) for the records a user chooses,
// so the screen and the HTML report say the same thing; the ranking's weights re-request one section. A record's
// page shows its samples, warnings, energy readings and provenance.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CRITERIA, type HistorySeries, type Weights } from '../../analysis/index.js';
import { InputError } from '../../errors.js';
import { html, jsonScript, num, type SafeHtml, trusted } from '../../report/index.js';
import type { RunRecord } from '../../results/index.js';
import type { ReportText } from '../../share/index.js';
import { siteNames } from '../../sites/index.js';
import { encodePage, runJob } from '../analysis/job.js';
import type { AnalysisResult, JobOutput, RecordRow } from '../analysis/pool.js';
import { idListParam, listParam, parseOr400, textParam, type ServeContext } from '../context.js';
import { datalist, link, multiSelect, page, table, textField, when } from '../page.js';
import { csrfOf, sendPage, weightsFrom, weightsText } from './common.js';

/** The most records one results page reads: beyond it the newest are shown, and the page says so. */
export const MAX_RECORDS = 20_000;

export const selectionSchema = z.object({
  campaign: listParam,
  site: listParam,
  bench: idListParam,
  weights: textParam,
  w_time: textParam,
  w_energy: textParam,
  w_cost: textParam,
  w_co2: textParam,
});
export type Selection = z.infer<typeof selectionSchema>;

export const selectionParams = (s: Selection, weights?: Weights) => ({
  campaign: s.campaign,
  site: s.site,
  bench: s.bench,
  ...(weights ? { weights: weightsText(weights) } : {}),
});

/**
 * Records analysed on the event loop rather than a worker: measured here (2 cores), the results of 560 records took
 * 96–122 ms of server time, about what one page view may hold the loop.
 */
const INLINE_RECORDS = 400;

export interface Selected extends AnalysisResult {
  truncated: boolean;
  weights: Weights;
}

/**
 * The records a selection names, analysed (parsed, redacted when asked, modelled by the report's own model,
 * rendered as `output`) on a worker thread when there are many: one analysis path for screen, report and exports.
 * `redact`: the records (and the report's own text) redacted before the model is built, as `report --redact` does.
 */
export async function select(
  ctx: ServeContext,
  s: Selection,
  title: string,
  output: JobOutput,
  redact = false,
): Promise<Selected> {
  const weights = weightsFrom(s);
  const text: ReportText = {
    title,
    sources: [
      `records read from the results database: ${[
        s.campaign.length ? `campaign ${s.campaign.join(', ')}` : '',
        s.site.length ? `site ${s.site.join(', ')}` : '',
        s.bench.length ? `benchmark ${s.bench.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    ],
    history: undefined as HistorySeries[] | undefined,
    workloads: s.bench.length ? s.bench : undefined,
  };
  const key = JSON.stringify([ctx.dataVersion(), s.campaign, s.site, s.bench, weights, title, output, redact]);
  const job = (pages: Uint8Array[]) => ({
    kind: 'report' as const,
    pages,
    text,
    weights,
    facts: ctx.facts(),
    redact: redact ? { sitesDir: ctx.sitesDir } : null,
    output,
  });
  const pages = ctx.db.recordTexts({
    ...(s.campaign.length ? { campaign: s.campaign } : {}),
    ...(s.site.length ? { site: s.site } : {}),
    ...(s.bench.length ? { bench: s.bench } : {}),
    limit: MAX_RECORDS,
  });
  // A small selection is analysed here at once (a worker would make it wait behind a large one); a large one is
  // read on when a worker is free, so a request waiting for one holds at most a page of text.
  // Each page is encoded as it is read (a millisecond a page), so handing them to the worker costs nothing more.
  const read: Uint8Array[] = [];
  let count = 0;
  let complete = false;
  while (!complete && count <= INLINE_RECORDS) {
    const next = await pages.next();
    if (next.done) complete = true;
    else {
      read.push(encodePage(next.value));
      count += next.value.length;
    }
  }
  let result: AnalysisResult;
  try {
    result =
      complete && count <= INLINE_RECORDS
        ? runJob(job(read))
        : await ctx.analysis.run('report', key, async () => {
            for await (const page of pages) read.push(encodePage(page));
            return job(read);
          });
  } finally {
    await pages.return(undefined); // a shared answer leaves the generator unread
  }
  for (const w of result.warnings) ctx.warn(w);
  return { ...result, truncated: result.count >= MAX_RECORDS, weights };
}

function weightsForm(w: Weights): SafeHtml {
  return html`<fieldset class="weights"><legend>Ranking weights</legend>${CRITERIA.map(
    (c) =>
      html`<label for="w-${c}">${c}</label> <input type="range" id="w-${c}" name="w_${c}" min="0" max="1" step="0.05" value="${String(w[c])}" data-weight="${c}" aria-valuetext="${String(w[c])}"> <output for="w-${c}" id="w-${c}-out">${String(w[c])}</output> `,
  )}</fieldset>`;
}

function filterForm(s: Selection, w: Weights, campaigns: string[], sites: string[], benches: string[]): SafeHtml {
  return html`<form class="filters" method="get" action="/results" aria-label="Choose records">
${multiSelect('campaign', 'Campaigns', campaigns, s.campaign)}
${multiSelect('site', 'Sites', sites, s.site)}
${textField('bench', 'Workload (benchmark or case id)', s.bench.join(' '), 'e.g. gemm; several: separated by spaces', 'benches')}${datalist('benches', benches)}
${weightsForm(w)}
<div class="field"><button type="submit">Show</button></div></form>`;
}

function exportLinks(s: Selection, w: Weights): SafeHtml {
  const p = selectionParams(s, w);
  return html`<p class="exports">Export this view: ${['html', 'csv', 'md', 'json'].map(
    (f, i) =>
      html`${i ? ' · ' : ''}${link('/export', { ...p, format: f }, f === 'html' ? 'HTML report' : f.toUpperCase())}`,
  )}</p>`;
}

function recordRows(rows: readonly RecordRow[]) {
  return rows.map((r) => [
    link('/record', { campaign: r.campaign, case: r.case, id: r.id }, r.id.slice(0, 12)),
    r.case,
    r.site ?? 'local',
    r.node,
    r.status,
    r.figure,
    String(r.warnings),
    when(r.startedAt),
    link('/history', { bench: r.case, ...(r.site ? { site: r.site } : {}) }, 'history'),
  ]);
}

export function registerResults(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/results', async (req, reply) => {
    const s = parseOr400(selectionSchema, req.query, 'query');
    const fragment = (req.query as Record<string, unknown>)['fragment'];
    const campaigns = await ctx.campaigns();
    // nothing chosen: the newest campaign (after `fedbench run`, its results with nothing else to do)
    if (s.campaign.length + s.site.length + s.bench.length === 0 && campaigns[0]) s.campaign = [campaigns[0].campaign];
    const chosen = s.campaign.length + s.site.length + s.bench.length > 0;
    if (fragment !== undefined) {
      // the ranking again with other weights: the same model, only its recommendation section
      if (fragment !== 'recommendation') throw new InputError("fragment: only 'recommendation'");
      const { body } = await select(ctx, s, 'results', 'fragment');
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    }
    const sites = [...new Set([...siteNames(ctx.sitesDir), ...campaigns.flatMap((c) => c.sites)])].sort();
    const weights = weightsFrom(s);
    if (!chosen) {
      const body = html`${filterForm(
        s,
        weights,
        campaigns.map((c) => c.campaign),
        sites,
        [],
      )}<p>Choose campaigns, sites or a workload: the page shows the report's verdicts, intervals, energy, roofline, scaling and ranking for those records.</p>`;
      return sendPage(reply, page({ title: 'Results', active: '/results', csrf: csrfOf(req), body }));
    }
    const sel = await select(ctx, s, 'Results', 'page');
    // markup made by renderReportBody on the worker thread (strings escaped there by the same html template)
    const [nav, body, specs] = [trusted(sel.nav), trusted(sel.body), trusted(sel.specs)];
    const benches = sel.benches;
    const content = html`${filterForm(
      s,
      weights,
      campaigns.map((c) => c.campaign),
      sites,
      benches,
    )}
${exportLinks(s, sel.weights)}
${sel.truncated ? html`<p class="problem">More than ${MAX_RECORDS} records match: the newest ${MAX_RECORDS} are shown. Narrow the choice.</p>` : ''}
${sel.count ? html`<nav aria-label="Sections" class="sections">${nav} <a href="#records">records</a></nav>${body}` : html`<p>No record matches.</p>`}
<section id="records"><h2>Records</h2>${table(
      `The ${sel.rows.length} newest of ${sel.count} record(s)`,
      ['record', 'case', 'site', 'node', 'status', 'figure', 'warnings', 'started (UTC)', ''],
      recordRows(sel.rows),
    )}</section>
${specs}`;
    return sendPage(
      reply,
      page({ title: 'Results', active: '/results', csrf: csrfOf(req), body: content, charts: true }),
    );
  });

  const recordQuery = z.object({
    campaign: z.string().min(1).max(200),
    case: z.string().min(1).max(500),
    id: z.string().min(1).max(200),
  });
  app.get('/record', async (req, reply) => {
    const q = parseOr400(recordQuery, req.query, 'query');
    const found = (await ctx.db.records({ campaign: [q.campaign], bench: [q.case] })).find((r) => r.id === q.id);
    if (!found) return reply.code(404).send({ error: `no record ${q.id} of ${q.case} in campaign ${q.campaign}` });
    return sendPage(
      reply,
      page({
        title: `Record ${found.id}`,
        active: '/results',
        csrf: csrfOf(req),
        body: recordBody(found),
        charts: true,
      }),
    );
  });
}

function samplesChart(r: RunRecord): object | null {
  if (!r.samples.length) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Samples', subtitle: `${r.samples.length} samples, ${r.metric.unit}` },
    width: 620,
    height: 200,
    data: { values: r.samples.map((v) => ({ v })) },
    mark: 'bar',
    encoding: {
      x: { field: 'v', type: 'quantitative', bin: { maxbins: 40 }, title: r.metric.unit },
      y: { aggregate: 'count', type: 'quantitative', title: 'samples' },
    },
  };
}

function recordBody(r: RunRecord): SafeHtml {
  const spec = samplesChart(r);
  const s = r.stats;
  const energy = r.energy;
  const summary = table(
    'Summary',
    ['field', 'value'],
    [
      ['case', r.case],
      ['campaign', link('/results', { campaign: r.campaign }, r.campaign)],
      ['site', r.site ?? 'local'],
      ['status', r.status + (r.error ? `: ${r.error}` : '')],
      ['engine', `${r.engine.name} ${r.engine.backend ?? ''} ${r.engine.version ?? ''}`],
      ['median', s ? `${num(s.median)} ${r.metric.unit} [${num(s.ci95[0])}, ${num(s.ci95[1])}] (n = ${s.n})` : '—'],
      ['started (UTC)', when(r.startedAt)],
      ['history', link('/history', { bench: r.case, ...(r.site ? { site: r.site } : {}) }, 'this case over time')],
    ],
  );
  const warnings = r.warnings?.length
    ? html`<ul>${r.warnings.map((w) => html`<li>${w}</li>`)}</ul>`
    : html`<p>None.</p>`;
  const energyPart =
    energy.status === 'measured'
      ? html`<p>${num(energy.joules)} J, mean ${num(energy.avgWatts)} W, method ${energy.method}, source ${energy.source}.</p><pre class="script">${JSON.stringify(energy, null, 2)}</pre>`
      : html`<p>Unavailable: ${energy.reason}</p>`;
  return html`${summary}
${spec ? html`<div class="chart" data-spec="spec-samples"></div>${jsonScript('spec-samples', spec)}` : ''}
<section><h2>Warnings</h2>${warnings}</section>
<section><h2>Energy</h2>${energyPart}</section>
<section><h2>Provenance</h2><pre class="script">${JSON.stringify({ system: r.system, slurm: r.slurm ?? null, measurement: r.measurement ?? null }, null, 2)}</pre></section>`;
}
