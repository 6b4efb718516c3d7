// Results: the report's own model and markup (buildReportModel, renderReportBody) for the records a user chooses,
// so the screen and the HTML report say the same thing; the ranking's weights re-request one section. A record's
// page shows its samples, warnings, energy readings and provenance.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CRITERIA, type HistorySeries, type Weights } from '../../analysis/index.js';
import { InputError } from '../../errors.js';
import {
  buildReportModel,
  html,
  jsonScript,
  num,
  renderReportBody,
  type ReportModel,
  type SafeHtml,
} from '../../report/index.js';
import type { RunRecord } from '../../results/index.js';
import { redactForSharing, type ReportText } from '../../share/index.js';
import { siteNames } from '../../sites/index.js';
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

export interface Selected {
  records: RunRecord[];
  truncated: boolean;
  model: ReportModel;
  weights: Weights;
}

/**
 * The records a selection names, and the report model of them: one analysis path for screen, report and exports.
 * `redact`: the records (and the report's own text) redacted before the model is built, as `report --redact` does.
 */
export async function select(ctx: ServeContext, s: Selection, title: string, redact = false): Promise<Selected> {
  const weights = weightsFrom(s);
  let records = await ctx.db.records({
    ...(s.campaign.length ? { campaign: s.campaign } : {}),
    ...(s.site.length ? { site: s.site } : {}),
    ...(s.bench.length ? { bench: s.bench } : {}),
    limit: MAX_RECORDS,
  });
  const truncated = records.length >= MAX_RECORDS;
  let text: ReportText = {
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
  // before anything is built from them: every view of a redacted export sees labels only
  const shared = redact ? redactForSharing(records, text, ctx.sitesDir, [], ctx.warn) : null;
  if (shared) ({ records, extra: text } = shared);
  const model = buildReportModel(records, {
    title: text.title,
    weights,
    facts: ctx.facts(),
    ...(text.workloads ? { workloads: text.workloads } : {}),
    sources: text.sources,
    ...(shared ? { redaction: shared.summary } : {}),
  });
  return { records, truncated, model, weights };
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

function recordRows(records: readonly RunRecord[]) {
  return records
    .slice(-200)
    .reverse()
    .map((r) => [
      link('/record', { campaign: r.campaign, case: r.case, id: r.id }, r.id.slice(0, 12)),
      r.case,
      r.site ?? 'local',
      r.slurm?.node ?? r.system.host,
      r.status,
      r.stats ? `${num(r.stats.median)} ${r.metric.unit}` : (r.error ?? '—'),
      String(r.warnings?.length ?? 0),
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
      const { model } = await select(ctx, s, 'results');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(renderReportBody(model, ['recommendation']).body.toString());
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
    const sel = await select(ctx, s, 'Results');
    const { nav, body, specs } = renderReportBody(sel.model);
    const benches = [...new Set(sel.records.map((r) => r.benchmark.id))].sort();
    const content = html`${filterForm(
      s,
      weights,
      campaigns.map((c) => c.campaign),
      sites,
      benches,
    )}
${exportLinks(s, sel.weights)}
${sel.truncated ? html`<p class="problem">More than ${MAX_RECORDS} records match: the newest ${MAX_RECORDS} are shown. Narrow the choice.</p>` : ''}
${sel.records.length ? html`<nav aria-label="Sections" class="sections">${nav} <a href="#records">records</a></nav>${body}` : html`<p>No record matches.</p>`}
<section id="records"><h2>Records</h2>${table(
      `The ${Math.min(200, sel.records.length)} newest of ${sel.records.length} record(s)`,
      ['record', 'case', 'site', 'node', 'status', 'figure', 'warnings', 'started (UTC)', ''],
      recordRows(sel.records),
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
