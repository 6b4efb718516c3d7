// `fedbench serve`: one screen for the federation (sites, campaigns, results, history, acceptance) on
// http://127.0.0.1:PORT. One public function: startServer(opts) → { url, token, close() }.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { InputError, errorText } from '../errors.js';
import type { SiteFacts } from '../sites/index.js';
import { loadSite, siteFacts, siteNames, sitesDir as defaultSitesDir } from '../sites/index.js';
import { BUILTIN_SUITES_DIR } from '../suite/index.js';
import { registerAssets } from './assets.js';
import type { AnalysePairs } from '../analysis/kept-regressions.js';
import { analysisPool } from './analysis/pool.js';
import { cached, type ServeContext, type ServeDb } from './context.js';
import { Launcher } from './launch.js';
import { errorPage } from './page.js';
import { registerAcceptance } from './routes/acceptance.js';
import { registerCampaigns } from './routes/campaigns.js';
import { registerExport } from './routes/export.js';
import { registerHistory } from './routes/history.js';
import { registerHome } from './routes/home.js';
import { registerResults } from './routes/results.js';
import { registerSites } from './routes/sites.js';
import { addressProblem, Guard, isLoopback, newSecret, wantsHtml } from './security.js';

export interface ServeOptions {
  db: ServeDb;
  /** Default 127.0.0.1; anything else needs TLS or `insecure`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  tls?: { cert: string; key: string };
  /** Serve plain HTTP on a non-loopback address (a warning is given). */
  insecure?: boolean;
  /** Origins besides the server's own that may send state-changing requests (a reverse proxy's public URL). */
  allowedOrigins?: string[];
  /** The access token; default: a new random one. */
  token?: string;
  sitesDir?: string;
  campaignsDir?: string;
  resultsDir?: string;
  benchmarksDir?: string;
  pollMs?: number;
  /** Request bodies larger than this are refused (413). Default 1 MiB. */
  bodyLimit?: number;
  warn?: (line: string) => void;
  /** For tests: the sessions' clock (default Date.now). */
  now?: () => number;
}

export interface RunningServer {
  url: string;
  token: string;
  /** For tests: fastify's inject() and routes. */
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A non-loopback address without TLS is refused unless `insecure` (then a warning is given at start). */
export function checkBind(host: string, tls: boolean, insecure: boolean): void {
  if (!isLoopback(host) && !tls && !insecure)
    throw new InputError(
      `--host ${host} would serve on the network without TLS: give --tls-cert and --tls-key (or --insecure, only behind a proxy that adds TLS)`,
    );
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const warn = opts.warn ?? ((l: string) => process.stderr.write(`fedbench: ${l}\n`));
  checkBind(host, Boolean(opts.tls), Boolean(opts.insecure));
  if (!isLoopback(host) && !opts.tls)
    warn(`warning: serving plain HTTP on ${host}: the access token and session cookie cross the network unencrypted`);
  const token = opts.token ?? newSecret();
  const secure = Boolean(opts.tls);
  const sitesDir = defaultSitesDir(opts.sitesDir);
  const resultsDir = path.resolve(opts.resultsDir ?? 'results');
  const benchmarksDir = path.resolve(opts.benchmarksDir ?? BUILTIN_SUITES_DIR);
  const launcher = new Launcher({
    sitesDir,
    ...(opts.campaignsDir ? { campaignsDir: opts.campaignsDir } : {}),
    resultsDir,
    benchmarksDir,
    db: opts.db,
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    warn,
  });
  let facts: { at: number; value: Record<string, SiteFacts> } | null = null;
  const campaigns = cached(() => opts.db.campaigns(), 15_000);
  let dataVersion = 0;
  const analysis = analysisPool();
  let pairsSeq = 0;
  const onWorkers: AnalysePairs = (points) =>
    analysis.run('pairs', String(++pairsSeq), async () => ({ kind: 'pairs' as const, points }));
  const ctx: ServeContext = {
    db: opts.db,
    sitesDir,
    campaignsDir: launcher.campaignsDir,
    resultsDir,
    benchmarksDir,
    referencesDir: path.join(benchmarksDir, 'references'),
    // profiles change rarely; reading them on every results page would cost more than the page
    facts: () => {
      if (!facts || Date.now() - facts.at > 10_000) {
        // each valid profile's facts; an invalid one is shown as such on the Sites page, and left out here
        const value: Record<string, SiteFacts> = {};
        for (const name of siteNames(sitesDir))
          try {
            value[name] = siteFacts(loadSite(name, sitesDir));
          } catch {
            /* invalid profile */
          }
        facts = { at: Date.now(), value };
      }
      return facts.value;
    },
    campaigns: () => campaigns.get(),
    dataVersion: () => dataVersion,
    launcher,
    analysis,
    analysePairs: onWorkers,
    warn,
  };
  void campaigns.get(); // warmed while the server starts: on a big database it is a scan of every record
  launcher.onIngest = () => {
    dataVersion++;
    campaigns.invalidate();
  };

  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // a query string is parsed into lists for repeated keys (campaign=a&campaign=b)
    routerOptions: { maxParamLength: 200 },
    ...(opts.tls ? { https: { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) } } : {}),
    // an address the router cannot decode: answered only after the same checks as any other request
    frameworkErrors: async (err, req, reply) => {
      req.cookies = app.parseCookie(req.headers.cookie ?? '');
      await guard.check(req, reply);
      if (reply.sent) return;
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      guard.refuse(
        req,
        reply,
        tooLong ? 414 : 400,
        tooLong ? 'a name in the address is too long' : (addressProblem(req.url) ?? 'the address cannot be read'),
      );
    },
  });
  await app.register(fastifyCookie);
  const guard = new Guard({
    token,
    secure,
    allowedOrigins: opts.allowedOrigins ?? [],
    loopback: isLoopback(host),
    ...(opts.now ? { now: opts.now } : {}),
  });
  app.decorateRequest('auth', null);
  // the server's own time for each answer (Server-Timing), for the browser's devtools and bench:serve
  const started = new WeakMap<object, number>();
  app.addHook('onRequest', async (req, reply) => {
    started.set(req, performance.now());
    await guard.check(req, reply);
    if (reply.sent) return;
    const why = addressProblem(req.url);
    if (why) guard.refuse(req, reply, 400, why);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const t = started.get(req);
    if (t !== undefined) reply.header('server-timing', `app;dur=${(performance.now() - t).toFixed(1)}`);
    return payload;
  });

  app.setErrorHandler((err, req, reply) => {
    const e = err as Error & { statusCode?: number; code?: string };
    const code =
      err instanceof InputError ? 400 : e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (code === 500) warn(`${req.method} ${req.url.split('?')[0]}: ${errorText(err)}`);
    const message = code === 500 ? 'internal error (the server log says more)' : errorText(err);
    reply.code(code);
    if (wantsHtml(req))
      return reply.type('text/html; charset=utf-8').send(errorPage(code, String(code), message).toString());
    return reply.send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404);
    return wantsHtml(req)
      ? reply.type('text/html; charset=utf-8').send(errorPage(404, 'not found', 'not found').toString())
      : reply.send({ error: 'not found' });
  });

  registerAssets(app);
  registerHome(app, ctx);
  registerSites(app, ctx);
  registerCampaigns(app, ctx);
  registerResults(app, ctx);
  registerHistory(app, ctx);
  registerAcceptance(app, ctx);
  registerExport(app, ctx);

  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  // the cookie's name carries the real port (a free port is known only now)
  guard.cookieName = `fedbench-${port}`;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `${secure ? 'https' : 'http'}://${shown}:${port}/`;
  return {
    url,
    token,
    app,
    close: async () => {
      await launcher.close();
      await app.close();
      await ctx.analysis.close();
    },
  };
}
