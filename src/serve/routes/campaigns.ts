// Campaigns: the launch form (a suite, sites, options; the job scripts shown before anything is submitted), and
// each campaign's live progress per site and task, pushed as server-sent events. Only fedbench's own submit runs,
// for profiles on disk, chosen by name: no command from the page reaches a shell.
import type { FastifyInstance } from 'fastify';
import { SECURITY_HEADERS } from '../security.js';
import { errorText } from '../../errors.js';
import { html, type SafeHtml } from '../../report/index.js';
import { siteNames } from '../../sites/index.js';
import { parseOr400, type ServeContext } from '../context.js';
import { launchSchema, type CampaignView } from '../launch.js';
import { link, page, table, when } from '../page.js';
import { csrfOf, sendPage } from './common.js';

function launchForm(suites: string[], sites: string[]): SafeHtml {
  return html`<form id="launch" class="filters" aria-label="Launch a campaign">
<div class="field"><label for="l-suite">Suite</label><select id="l-suite" name="suite" required>${suites.map(
    (s) => html`<option value="${s}"${s === 'quick' ? html` selected` : ''}>${s}</option>`,
  )}</select></div>
<fieldset><legend>Sites</legend>${sites.map(
    (s) => html`<label><input type="checkbox" name="sites" value="${s}"> ${s}</label> `,
  )}</fieldset>
<div class="field"><label for="l-bench">Only benchmarks</label><input id="l-bench" name="bench" aria-describedby="l-bench-hint"><small id="l-bench-hint">benchmark ids; empty: the whole suite</small></div>
<fieldset><legend>Options</legend>
<label><input type="checkbox" name="eachNode"> node sweep (every node of the partition)</label><br>
<label><input type="checkbox" name="wholeNode"> whole nodes (every GPU, one worker each)</label><br>
<label><input type="checkbox" name="nodePairs"> node pairs (2-node cases on every pair of nodes)</label></fieldset>
<div class="field"><label for="l-time">Time limit</label><input id="l-time" name="timeLimit" placeholder="profile's" aria-describedby="l-time-hint"><small id="l-time-hint">HH:MM:SS; empty: each profile's own</small></div>
<div class="field"><label for="l-name">Campaign name</label><input id="l-name" name="campaign" placeholder="SUITE-DATE-TIME"></div>
<div class="field"><button type="button" data-action="dry-run">Show job scripts</button></div>
<div class="field"><button type="button" data-action="launch" disabled>Launch</button></div>
</form>
<noscript><p class="problem">Launching needs the page's script (it sends the session's CSRF token).</p></noscript>
<div id="launch-status" role="status" aria-live="polite"></div>
<div id="scripts"></div>`;
}

/** Cancel: stops the campaign's queued and running jobs at every site (collected records stay). */
function cancelForm(j: { name: string; sites: Record<string, { cancelled?: { by: string; at: string } }> }): SafeHtml {
  const cancelled = Object.entries(j.sites).filter(([, e]) => e.cancelled);
  const said = cancelled.map(
    ([s, e]) => html`<p>${s}: cancelled by ${e.cancelled!.by} at ${when(e.cancelled!.at)} UTC.</p>`,
  );
  if (cancelled.length === Object.keys(j.sites).length) return html`${said}`;
  return html`${said}<p><button type="button" data-action="cancel" data-campaign="${j.name}">Cancel this campaign</button> stops its pending and running jobs at every site; records already collected stay.</p>
<div id="cancel-status" role="status" aria-live="polite"></div>`;
}

/** The progress table, rendered on the server for the first view; the page script redraws it from each event. */
function progress(v: CampaignView | null): SafeHtml {
  if (!v) return html`<p class="busy">Asking the sites where the tasks stand</p>`;
  return html`<p>${v.complete ? 'Complete: every task collected.' : `Following (event ${v.seq}, ${when(v.at)} UTC).`}</p>
${v.problems.map((p) => html`<p class="problem">${p}</p>`)}
${v.sites.map((s) =>
  table(
    `${s.site}: ${s.counts.pending} pending, ${s.counts.running} running, ${s.counts.ended} ended, ${s.counts.collected} collected${s.error ? ` — ${s.error}` : ''}`,
    ['task', 'cases', 'state', 'phase', 'node', 'why', 'records'],
    s.tasks.map((t) => [
      t.key,
      t.cases.join(', '),
      t.state,
      html`<span class="phase-${t.phase}">${t.phase}</span>`,
      t.node ?? '—',
      t.reason ?? '',
      String(t.records),
    ]),
  ),
)}`;
}

export function registerCampaigns(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/campaigns', async (req, reply) => {
    const journals = ctx.launcher.journals();
    const body = html`<h2>Launch</h2>${launchForm(ctx.launcher.suites(), siteNames(ctx.sitesDir))}
<h2>Campaigns</h2>${table(
      'Campaigns submitted (journals), newest first',
      ['campaign', 'suite', 'created (UTC)', 'sites', 'cases', ''],
      journals.map((j) => [
        link(`/campaigns/${encodeURIComponent(j.name)}`, {}, j.name),
        j.suite.name,
        when(j.createdAt),
        Object.keys(j.sites).join(', '),
        String(j.cases.length),
        link('/results', { campaign: j.name }, 'results'),
      ]),
    )}`;
    return sendPage(reply, page({ title: 'Campaigns', active: '/campaigns', csrf: csrfOf(req), body }));
  });

  app.get<{ Params: { name: string } }>('/campaigns/:name', async (req, reply) => {
    const j = ctx.launcher.journal(req.params.name);
    ctx.launcher.follow(j.name);
    const body = html`<p>Suite ${j.suite.name}, ${j.cases.length} case(s), created ${when(j.createdAt)} UTC. ${link('/results', { campaign: j.name }, 'Results of this campaign')}.</p>
<div id="progress" data-campaign="${j.name}" aria-live="polite">${progress(ctx.launcher.current(j.name))}</div>
${cancelForm(j)}`;
    return sendPage(reply, page({ title: `Campaign ${j.name}`, active: '/campaigns', csrf: csrfOf(req), body }));
  });

  app.get<{ Params: { name: string } }>('/api/campaigns/:name', async (req) => {
    const j = ctx.launcher.journal(req.params.name);
    ctx.launcher.follow(j.name);
    return ctx.launcher.current(j.name) ?? { campaign: j.name, seq: 0 };
  });

  // Server-sent events: every event is the whole state, numbered; a page that reconnects gets the current one.
  app.get<{ Params: { name: string } }>('/api/campaigns/:name/events', (req, reply) => {
    const j = ctx.launcher.journal(req.params.name);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // a reverse proxy must pass events on as they come
    });
    res.write('retry: 2000\n\n');
    const send = (v: CampaignView) => {
      try {
        res.write(`id: ${v.seq}\nevent: progress\ndata: ${JSON.stringify(v)}\n\n`);
      } catch (err) {
        ctx.warn(`event stream: ${errorText(err)}`);
      }
    };
    const stop = ctx.launcher.subscribe(j.name, send);
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      stop();
    });
  });

  app.post('/api/campaigns/dry-run', async (req) => ctx.launcher.dryRun(parseOr400(launchSchema, req.body, 'body')));

  app.post<{ Params: { name: string } }>('/api/campaigns/:name/cancel', async (req) => {
    const out = await ctx.launcher.cancel(req.params.name);
    return { campaign: req.params.name, ...out };
  });

  app.post('/api/campaigns', async (req, reply) => {
    const r = await ctx.launcher.launch(parseOr400(launchSchema, req.body, 'body'));
    return reply.code(201).send({ ...r, url: `/campaigns/${encodeURIComponent(r.campaign)}` });
  });
}
