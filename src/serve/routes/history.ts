// History and regressions: a case's figure over time per site (per node where a site has node sweeps) with its
// change points marked, drawn by the report's own history section; the open regressions with what changed.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RegressionFound } from '../../analysis/index.js';
import { keptChanges, keptRegressions } from '../../analysis/kept-regressions.js';
import { errorText, InputError } from '../../errors.js';
import { html, num, type SafeHtml, trusted } from '../../report/index.js';
import { parseOr400, type ServeContext } from '../context.js';
import { link, page, table, textField, when } from '../page.js';
import { csrfOf, sendPage } from './common.js';

const historyQuery = z.object({
  bench: z.string().max(500).optional(),
  site: z.string().max(200).optional(),
  gpu: z.string().max(200).optional(),
  since: z.string().max(40).optional(),
});

function sinceOf(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new InputError(`since: not a date: '${text}' (e.g. 2026-01-31)`);
  return new Date(t);
}

const opt = <K extends string>(k: K, v: string | undefined) => (v ? ({ [k]: v } as Record<K, string>) : {});

const HISTORY_TTL_MS = 60_000;

export function registerHistory(app: FastifyInstance, ctx: ServeContext): void {
  const histories = new Map<string, { at: number; body: SafeHtml; specs: SafeHtml }>();
  app.get('/history', async (req, reply) => {
    const q = parseOr400(historyQuery, req.query, 'query');
    const since = sinceOf(q.since);
    const form = html`<form class="filters" method="get" action="/history" aria-label="Choose a history">
${textField('bench', 'Benchmark or case id', q.bench, 'required, e.g. gemm')}
${textField('site', 'Site', q.site)}${textField('gpu', 'GPU model contains', q.gpu)}${textField('since', 'Since', q.since, 'a date, e.g. 2026-01-31')}
<div class="field"><button type="submit">Show</button></div></form>`;
    if (!q.bench) {
      return sendPage(
        reply,
        page({
          title: 'History',
          active: '/history',
          csrf: csrfOf(req),
          body: html`${form}<p>Name a benchmark (every case of it) or one case; the Results page links each record's case here.</p>`,
        }),
      );
    }
    // change points of long histories cost seconds (E-Divisive's permutation tests): each history is computed once
    // per state of the database; records added by another process show within HISTORY_TTL_MS, redrawn while the
    // last drawing is still shown (no view waits for a redraw)
    const key = JSON.stringify([ctx.dataVersion(), q.bench, q.site, q.gpu, q.since]);
    const redraw = async () => {
      const history = { bench: q.bench, ...opt('site', q.site), ...opt('gpu', q.gpu), ...(since ? { since } : {}) };
      // series and change points on a worker thread: the points travel as the database's JSON texts, with the change
      // points kept for their series (found once after the records arrived; pairs marked since are analysed first,
      // on the pairs' worker, before the history's is taken); none for a filtered history, whose series have other
      // runs than those they were kept for
      const kept =
        since || q.gpu ? [] : await keptChanges(ctx.db, { bench: q.bench, ...opt('site', q.site) }, ctx.analysePairs);
      const out = await ctx.analysis.run('history', key, async () => {
        // a case at a time (a benchmark's every case at once can outgrow what the database allocates for a value)
        const points: string[] = [];
        for await (const text of ctx.db.historyTexts(history)) points.push(text);
        return { kind: 'history' as const, points, kept };
      });
      // markup made by renderReportBody on the worker thread (strings escaped there by the same html template)
      const fresh = { at: Date.now(), body: trusted(out.body), specs: trusted(out.specs) };
      histories.set(key, fresh);
      for (const k of histories.keys()) if (histories.size > 32) histories.delete(k);
      return fresh;
    };
    let drawn = histories.get(key);
    if (!drawn) drawn = await redraw();
    else if (Date.now() - drawn.at > HISTORY_TTL_MS)
      redraw().catch((err: unknown) => ctx.warn(`history of ${q.bench} not redrawn: ${errorText(err)}`));
    const { body, specs } = drawn;
    return sendPage(
      reply,
      page({
        title: `History of ${q.bench}`,
        active: '/history',
        csrf: csrfOf(req),
        body: html`${form}${body}${specs}`,
        charts: true,
      }),
    );
  });

  // Regressions of every series are worth computing once per state of the database, not per page view.
  let cache: { key: string; at: number; found: RegressionFound[]; series: number } | null = null;
  app.get('/regressions', async (req, reply) => {
    const q = parseOr400(historyQuery, req.query, 'query');
    const since = sinceOf(q.since);
    // per state of the database as this server knows it; records added by another process show within an hour
    const key = JSON.stringify([ctx.dataVersion(), q.bench, q.site, q.gpu, q.since]);
    if (cache?.key !== key || Date.now() - cache.at > 3_600_000) {
      const history = { ...opt('bench', q.bench), ...opt('site', q.site), ...opt('gpu', q.gpu) };
      // kept per case and site in the database (found after records arrive); a GPU filter changes the series, so
      // those are found over the filtered history
      const search = () =>
        ctx.analysis.run('regressions', key, async () => {
          // one case at a time: between cases the server answers other requests
          const points: string[] = [];
          for await (const text of ctx.db.historyTexts(history)) points.push(text);
          return { kind: 'regressions' as const, points, since: since ? since.toISOString() : null };
        });
      // where the kept answers cannot serve (pairs analysed on the workers first), the search runs there too
      const { found, series } = q.gpu
        ? await search()
        : await keptRegressions(
            ctx.db,
            { ...opt('bench', q.bench), ...opt('site', q.site), ...(since ? { since } : {}) },
            ctx.analysePairs,
            search,
          );
      cache = { key, at: Date.now(), found, series };
    }
    const rows = cache.found.map((r) => [
      link('/history', { bench: r.case, ...(r.site ? { site: r.site } : {}) }, r.case),
      r.site ?? 'local',
      r.node ?? '—',
      when(r.firstAfter.startedAt),
      `${num(r.comparison.ratio)} [${num(r.comparison.ratioRange[0])}, ${num(r.comparison.ratioRange[1])}]`,
      r.comparison.reason,
      `${r.before.to - r.before.from} → ${r.after.to - r.after.from}`,
      r.changed.map((c) => `${c.field}: ${c.before ?? '—'} → ${c.after ?? '—'}`).join('; ') || 'nothing recorded',
    ]);
    const form = html`<form class="filters" method="get" action="/regressions" aria-label="Filter regressions">
${textField('bench', 'Benchmark or case id', q.bench)}${textField('site', 'Site', q.site)}${textField('since', 'Since', q.since, 'first slower run on or after this date')}
<div class="field"><button type="submit">Show</button></div></form>`;
    return sendPage(
      reply,
      page({
        title: 'Regressions',
        active: '/regressions',
        csrf: csrfOf(req),
        body: html`${form}<p>${cache.found.length} regression(s) in ${cache.series} series: change points where later runs are slower by the comparisons' test and minimum effect.</p>${table(
          'Open regressions',
          [
            'case',
            'site',
            'node',
            'from (UTC)',
            'after / before [range]',
            'why',
            'runs before → after',
            'what changed',
          ],
          rows,
        )}`,
      }),
    );
  });
}
