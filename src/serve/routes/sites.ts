// Sites: every profile with its facts, the last campaign that ran there, and a check on demand (connection,
// certificate validity, the partition's state as Slurm reports it).
import type { FastifyInstance } from 'fastify';
import { checkSite, SitePool } from '../../federation/index.js';
import { InputError, errorText } from '../../errors.js';
import { html, num } from '../../report/index.js';
import { loadSite, loginOf, siteNames } from '../../sites/index.js';
import type { ServeContext } from '../context.js';
import { link, page, table } from '../page.js';
import { csrfOf, sendPage } from './common.js';

export function registerSites(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/sites', async (req, reply) => {
    const campaigns = await ctx.campaigns();
    const rows = siteNames(ctx.sitesDir).map((name) => {
      const last = campaigns.find((c) => c.sites.includes(name));
      const check = html`<button type="button" data-check="${name}" aria-describedby="check-${name}">Check</button><div id="check-${name}" class="check" aria-live="polite"></div>`;
      try {
        const s = loadSite(name, ctx.sitesDir);
        const f = s.facts;
        const p = f.peak;
        return [
          name,
          loginOf(s),
          `${s.scheduler.partition}${s.scheduler.account ? ` (account ${s.scheduler.account})` : ''}, ${s.scheduler.timeLimit}`,
          `${f.gpu.perNode}× ${f.gpu.model}`,
          [
            p.fp64TFlops !== undefined ? `fp64 ${num(p.fp64TFlops)}` : '',
            p.fp32TFlops !== undefined ? `fp32 ${num(p.fp32TFlops)}` : '',
            p.tf32TensorTFlops !== undefined ? `tf32 ${num(p.tf32TensorTFlops)}` : '',
            p.fp16TensorTFlops !== undefined ? `fp16 ${num(p.fp16TensorTFlops)} TFLOP/s` : '',
            p.hbmGBs !== undefined ? `${num(p.hbmGBs)} GB/s` : '',
            p.tdpWatts !== undefined ? `${num(p.tdpWatts)} W` : '',
          ]
            .filter(Boolean)
            .join(', ') || '—',
          [
            f.nodeHourCost !== undefined ? `${num(f.nodeHourCost)} ${f.currency ?? ''} per node-hour` : '',
            f.energyPricePerKWh !== undefined ? `${num(f.energyPricePerKWh)} ${f.currency ?? ''} per kWh` : '',
          ]
            .filter(Boolean)
            .join('; ') || '—',
          f.carbonGPerKWh !== undefined ? `${num(f.carbonGPerKWh)} g CO2e/kWh` : '—',
          last ? link('/results', { campaign: last.campaign }, last.campaign) : '—',
          check,
        ];
      } catch (err) {
        return [
          name,
          html`<span class="problem">invalid profile: ${errorText(err)}</span>`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ];
      }
    });
    const body = html`<p>Site profiles in <code>${ctx.sitesDir}</code>. <em>Check</em> connects (host key verified), asks Slurm for the partition and its queue, and checks the working directory and fedbench there.</p>
${table('Sites', ['site', 'login', 'partition, time limit', 'GPUs per node', 'peaks', 'prices', 'grid carbon', 'last campaign', 'connection'], rows)}`;
    return sendPage(reply, page({ title: 'Sites', active: '/sites', csrf: csrfOf(req), body }));
  });

  // a check connects to the site: a POST (it acts in the user's name), with the CSRF token
  app.post<{ Params: { name: string } }>('/api/sites/:name/check', async (req) => {
    const name = req.params.name;
    if (!siteNames(ctx.sitesDir).includes(name)) throw new InputError(`unknown site '${name}'`);
    const pool = new SitePool();
    try {
      return await checkSite(loadSite(name, ctx.sitesDir), pool);
    } finally {
      await pool.close();
    }
  });
}
