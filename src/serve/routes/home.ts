// The overview: what the database holds, the latest campaigns, where to go next.
import type { FastifyInstance } from 'fastify';
import { html } from '../../report/index.js';
import type { ServeContext } from '../context.js';
import { link, page, table, when } from '../page.js';
import { csrfOf, sendPage } from './common.js';

export function registerHome(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/', async (req, reply) => {
    const [status, campaigns] = await Promise.all([ctx.db.status(), ctx.campaigns()]);
    const journals = ctx.launcher.journals().slice(0, 10);
    const body = html`<p>${status.records} run record(s) in the results database (${status.where}).
${status.records ? '' : html` Run <code>npx fedbench run --suite quick</code>, or launch a campaign on the <a href="/campaigns">Campaigns</a> page.`}</p>
${table(
  'Campaigns in the results database (newest first)',
  ['campaign', 'records', 'sites', 'first run', 'last run', ''],
  campaigns
    .slice(0, 30)
    .map((c) => [
      c.campaign,
      String(c.records),
      c.sites.join(', ') || 'local',
      when(c.first),
      when(c.last),
      link('/results', { campaign: c.campaign }, 'results'),
    ]),
)}
${table(
  'Campaigns submitted from here (journals)',
  ['campaign', 'suite', 'created', 'sites', ''],
  journals.map((j) => [
    j.name,
    j.suite.name,
    when(j.createdAt),
    Object.keys(j.sites).join(', '),
    link(`/campaigns/${encodeURIComponent(j.name)}`, {}, 'progress'),
  ]),
)}`;
    return sendPage(reply, page({ title: 'Overview', active: '/', csrf: csrfOf(req), body }));
  });
}
