// Acceptance: the chosen records against a references file (one from benchmarks/references by name, or one the user
// loads in the page), PASS / FAIL / NO REFERENCE per node and benchmark, stragglers from the node variability,
// downloadable as CSV. The report's own acceptance and variability sections draw it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { acceptanceCsv, buildReportModel, html, renderReportBody } from '../../report/index.js';
import { referencesFileSchema, type Reference } from '../../suite/index.js';
import { loadYamlAs } from '../../yaml.js';
import { idListParam, listParam, parseOr400, type ServeContext } from '../context.js';
import { link, multiSelect, page, textField } from '../page.js';
import { csrfOf, sendPage } from './common.js';
import { MAX_RECORDS } from './results.js';

const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.(ya?ml|json)$/;

function referenceFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => REF_NAME.test(f))
        .sort()
    : [];
}

/** A references file by name: only names listed in the folder, never a path from the request. */
function namedReferences(ctx: ServeContext, name: string): Reference[] {
  if (!referenceFiles(ctx.referencesDir).includes(name))
    throw new InputError(
      `unknown references file '${name}'. Files: ${referenceFiles(ctx.referencesDir).join(', ') || '(none)'}`,
    );
  const file = path.join(ctx.referencesDir, name);
  return loadYamlAs(readFileSync(file, 'utf8'), name, referencesFileSchema).data.references;
}

const acceptQuery = z.object({
  refs: z.string().max(120).optional(),
  campaign: listParam,
  site: listParam,
  bench: idListParam,
});

export const acceptBody = z.strictObject({
  /** A references file's text (YAML or JSON). */
  references: z
    .string()
    .min(1, 'the references file is empty')
    .max(512 * 1024),
  campaign: z.array(z.string().max(200)).max(100).default([]),
  site: z.array(z.string().max(200)).max(100).default([]),
  bench: z.array(z.string().max(200)).max(100).default([]),
  format: z.enum(['html', 'csv', 'json']).default('html'),
});

async function judged(
  ctx: ServeContext,
  refs: Reference[],
  s: { campaign: string[]; site: string[]; bench: string[] },
) {
  if (!s.campaign.length && !s.site.length && !s.bench.length)
    throw new InputError('choose campaigns, sites or a workload to judge');
  const records = await ctx.db.records({
    ...(s.campaign.length ? { campaign: s.campaign } : {}),
    ...(s.site.length ? { site: s.site } : {}),
    ...(s.bench.length ? { bench: s.bench } : {}),
    limit: MAX_RECORDS,
  });
  return buildReportModel(records, { references: refs, facts: ctx.facts(), title: 'Acceptance' });
}

const SECTIONS = ['acceptance', 'variability', 'whole-nodes'];

export function registerAcceptance(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/acceptance', async (req, reply) => {
    const q = parseOr400(acceptQuery, req.query, 'query');
    const campaigns = (await ctx.campaigns()).map((c) => c.campaign);
    const files = referenceFiles(ctx.referencesDir);
    const form = html`<form class="filters" method="get" action="/acceptance" aria-label="Choose records and references" id="accept-form">
<div class="field"><label for="f-refs">References file</label><select id="f-refs" name="refs"><option value="">(load one below)</option>${files.map(
      (f) => html`<option value="${f}"${q.refs === f ? html` selected` : ''}>${f}</option>`,
    )}</select></div>
<div class="field"><label for="f-upload">…or load a file</label><input type="file" id="f-upload" accept=".yaml,.yml,.json" data-references-upload></div>
${multiSelect('campaign', 'Campaigns', campaigns, q.campaign)}
${textField('site', 'Sites', q.site.join(','), 'comma-separated')}${textField('bench', 'Workload', q.bench.join(' '), 'benchmark or case ids, separated by spaces')}
<div class="field"><button type="submit">Judge</button></div></form>`;
    let result = html`<div id="accept-result" aria-live="polite"></div>`;
    let specs = html``;
    if (q.refs) {
      const model = await judged(ctx, namedReferences(ctx, q.refs), q);
      const r = renderReportBody(model, SECTIONS);
      specs = r.specs;
      result = html`<div id="accept-result" aria-live="polite"><p>${link('/acceptance.csv', { refs: q.refs, campaign: q.campaign, site: q.site, bench: q.bench }, 'Download the result (CSV)')}</p>${r.body}</div>`;
    }
    return sendPage(
      reply,
      page({
        title: 'Acceptance',
        active: '/acceptance',
        csrf: csrfOf(req),
        body: html`${form}<p>Each node's figure against the references (most specific match wins): PASS inside the tolerance, FAIL outside, NO REFERENCE when none matches. Stragglers: nodes more than 5% below their site's typical node.</p>${result}${specs}`,
        charts: true,
      }),
    );
  });

  app.get('/acceptance.csv', async (req, reply) => {
    const q = parseOr400(acceptQuery, req.query, 'query');
    if (!q.refs) throw new InputError('refs: name a references file');
    const model = await judged(ctx, namedReferences(ctx, q.refs), q);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="acceptance.csv"')
      .send(acceptanceCsv(model.acceptance.rows));
  });

  // references loaded in the page: their text in a JSON body (a POST: it is the user's file, not a link to follow)
  app.post('/api/acceptance', async (req, reply) => {
    const b = parseOr400(acceptBody, req.body, 'body');
    const refs = loadYamlAs(b.references, 'the loaded references file', referencesFileSchema).data.references;
    const model = await judged(ctx, refs, b);
    if (b.format === 'csv') return reply.type('text/csv; charset=utf-8').send(acceptanceCsv(model.acceptance.rows));
    if (b.format === 'json') return { rows: model.acceptance.rows, variability: model.variability };
    const r = renderReportBody(model, SECTIONS);
    return reply.type('text/html; charset=utf-8').send(`${r.body}${r.specs}`);
  });
}
