// fedbench serve through fastify's inject (no sockets involved in the checks): the access token and its cookie, CSRF
// and Origin refusals, body validation and size limits, paths that must not reach the file system, the CSP, hostile
// strings shown as text; and the pages over a real embedded results database.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { openDb, type ResultsDb } from '../../src/db/index.js';
import type { RunRecord } from '../../src/results/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { CSP, isLoopback } from '../../src/serve/security.js';
import { redactRecords, type ReplacedValue, survivors } from '../../src/redact/index.js';
import {
  identifyingRecords,
  leaksIn,
  ORIGINALS,
  SURVIVED,
  SURVIVED_VALUES,
  survivedRecords,
} from '../redact/records.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-serve-test-'));
const HOSTILE_SITE = '<script>alert("site")</script>';
const HOSTILE_BENCH = '<img src=x onerror=alert(1)>';

let db: ResultsDb;
let server: RunningServer;
let cookie: string;
let csrf: string;
let origin: string;
let secretCampaigns: string[];

/** Records of two sites over time: a step down at alpha (a regression), a hostile site and benchmark id. */
function records(): RunRecord[] {
  const out: RunRecord[] = [];
  for (let day = 0; day < 12; day++)
    for (const [site, median] of [
      ['alpha', day < 6 ? 1000 : 900],
      ['beta', 800],
    ] as const) {
      const r = syntheticRecord({
        site,
        median,
        seed: day * 7 + site.length,
        gpu: 'NVIDIA A100-SXM4-40GB',
        watts: 300,
      });
      out.push({
        ...r,
        id: `rec-${site}-${day}`,
        campaign: day < 6 ? 'c-early' : 'c-late',
        startedAt: new Date(Date.UTC(2026, 0, 1 + day)).toISOString(),
      });
    }
  const evil = syntheticRecord({ site: HOSTILE_SITE, median: 50, benchmark: HOSTILE_BENCH, seed: 99 });
  out.push({ ...evil, id: 'rec-evil', campaign: 'c-evil', error: '</td><script>alert(2)</script>' });
  return out;
}

const get = (url: string, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html', ...headers } });

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: {
      cookie,
      host: new URL(origin).host,
      'content-type': 'application/json',
      'x-csrf-token': csrf,
      origin,
      ...headers,
    },
  });

beforeAll(async () => {
  db = await openDb({ kind: 'embedded', dir: path.join(tmp, 'db') });
  await db.ingest(records());
  const secret = await identifyingRecords();
  secretCampaigns = [...new Set(secret.map((r) => r.campaign))];
  await db.ingest(secret);
  await db.ingest(survivedRecords());
  const bench = path.join(tmp, 'benchmarks');
  mkdirSync(path.join(bench, 'references'), { recursive: true });
  writeFileSync(
    path.join(bench, 'references', 'a100.yaml'),
    'references:\n  - { benchmark: gemm, device: A100, value: 900, unit: GFLOP/s, tolerance: { rel: 0.05 } }\n',
  );
  writeFileSync(
    path.join(bench, 'mine.yaml'),
    'name: mine\nbenchmarks:\n  - { id: gemm, workload: gemm, params: { n: 64 } }\n',
  );
  mkdirSync(path.join(tmp, 'sites'));
  server = await startServer({
    db,
    port: 0,
    sitesDir: path.join(tmp, 'sites'),
    campaignsDir: path.join(tmp, 'campaigns'),
    resultsDir: path.join(tmp, 'results'),
    benchmarksDir: bench,
    warn: () => undefined,
  });
  origin = new URL(server.url).origin;
  const login = await server.app.inject({ method: 'GET', url: `/?token=${server.token}` });
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const home = await get('/');
  csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(home.body)![1]!;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('access', () => {
  it('answers 401 to a request without the token or its cookie, on pages, assets and the API alike', async () => {
    for (const url of ['/', '/results?campaign=c-early', '/assets/app.css', '/api/campaigns/x']) {
      const r = await server.app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(401);
      expect(r.headers['content-security-policy']).toBe(CSP);
    }
    const wrong = await server.app.inject({ method: 'GET', url: '/?token=nope' });
    expect(wrong.statusCode).toBe(401);
    const forged = await server.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: `${cookie.split('=')[0]}=forged` },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict session cookie and takes the token out of the address', async () => {
    const r = await server.app.inject({ method: 'GET', url: `/results?token=${server.token}&campaign=c-early` });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/results?campaign=c-early');
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^fedbench-${new URL(server.url).port}=`));
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toContain(server.token);
  });

  it('takes the token as a bearer header (scripts), and serves pages with a strict CSP and no inline script', async () => {
    const r = await server.app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(r.statusCode).toBe(200);
    const page = await get('/results?campaign=c-early');
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    // every script element either loads a file of the server's or is inert JSON
    for (const tag of page.body.match(/<script\b[^>]*>/g) ?? [])
      expect(tag).toMatch(/src="\/assets\/[a-z.-]+\.js"|type="application\/json"/);
  });

  it('refuses a request whose Host is another name (DNS rebinding), even with a valid session', async () => {
    const port = new URL(server.url).port;
    const rebound = await server.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie, host: `attacker.example:${port}` },
    });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().error).toBe(`refused: Host attacker.example:${port} is not this server's address`);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      expect((await server.app.inject({ method: 'GET', url: '/', headers: { cookie, host } })).statusCode, host).toBe(
        200,
      );
  });

  it('refuses a state-changing request without the CSRF token, without or with a foreign Origin, or cross-site (403)', async () => {
    const body = { suite: 'quick', sites: ['nowhere'] };
    expect((await post('/api/campaigns/dry-run', body, { 'x-csrf-token': '' })).statusCode).toBe(403);
    expect((await post('/api/campaigns/dry-run', body, { 'x-csrf-token': 'wrong' })).statusCode).toBe(403);
    const noOrigin = await server.app.inject({
      method: 'POST',
      url: '/api/campaigns/dry-run',
      payload: JSON.stringify(body),
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
    });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().error).toMatch(/Origin/);
    expect((await post('/api/campaigns/dry-run', body, { origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await post('/api/campaigns/dry-run', body, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    // all there: past the guard, the body is judged (an unknown site is bad input)
    const ok = await post('/api/campaigns/dry-run', body);
    expect(ok.statusCode).toBe(400);
    expect(ok.json().error).toMatch(/unknown site 'nowhere'/);
  });

  it('refuses to listen beyond loopback without TLS unless told --insecure', async () => {
    await expect(startServer({ db, host: '0.0.0.0', port: 0 })).rejects.toThrow(/without TLS/);
  });
});

describe('input', () => {
  it('validates bodies with clear 400 messages, and refuses large ones (413)', async () => {
    const r = await post('/api/campaigns/dry-run', { suite: 'quick', sites: [] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('body: sites: choose at least one site');
    const extra = await post('/api/campaigns/dry-run', { suite: 'quick', sites: ['a'], command: 'rm -rf /' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatch(/command/);
    const bad = await post('/api/campaigns/dry-run', '{not json');
    expect(bad.statusCode).toBe(400);
    const big = await post('/api/acceptance', { references: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.statusCode).toBe(413);
  });

  it('lets no path from a request reach the file system', async () => {
    for (const url of ['/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e%2fpackage.json', '/assets/../../package.json'])
      expect([400, 401, 404]).toContain((await get(url)).statusCode);
    const refs = await get('/acceptance?refs=..%2F..%2Fpackage.json&campaign=c-early');
    expect(refs.statusCode).toBe(400);
    expect(refs.body).toContain('unknown references file');
    const campaign = await get('/campaigns/..%2F..%2Fetc%2Fpasswd');
    expect(campaign.statusCode).toBe(400);
    const suite = await post('/api/campaigns/dry-run', { suite: '../../etc/passwd', sites: ['a'] });
    expect(suite.statusCode).toBe(400);
    expect(suite.json().error).toMatch(/suite/);
    const absolute = await post('/api/campaigns/dry-run', { suite: '/etc/passwd', sites: ['a'] });
    expect(absolute.statusCode).toBe(400);
  });
});

describe('pages', () => {
  it('shows hostile strings from records as text', async () => {
    const r = await get('/results?campaign=c-evil');
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('<script>alert');
    expect(r.body).not.toContain('<img src=x');
    expect(r.body).toContain('&lt;script&gt;alert(&quot;site&quot;)&lt;/script&gt;');
    expect(r.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const home = await get('/');
    expect(home.body).toContain('c-evil');
    expect(home.body).not.toContain('<script>alert');
  });

  it('shows the report model of the chosen records: verdicts, intervals, ranking with adjustable weights', async () => {
    const r = await get('/results?campaign=c-late&bench=gemm');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('id="benchmarks"');
    expect(r.body).toMatch(/b-best|b-slower|b-faster/);
    expect(r.body).toContain('id="recommendation"');
    expect(r.body).toContain('data-spec="spec-0"');
    const frag = await get('/results?campaign=c-late&bench=gemm&weights=time=1,energy=0&fragment=recommendation');
    expect(frag.statusCode).toBe(200);
    expect(frag.body).toMatch(/^<section id="recommendation">/);
    expect(frag.body).toContain('time 1, energy 0');
    const bad = await get('/results?campaign=c-late&weights=speed=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('unknown criterion');
  });

  it('drills down to one record', async () => {
    const r = await get('/record?campaign=c-late&case=gemm%2Fonnxruntime%2Fn%3D2048%2Cdtype%3Dfp32&id=rec-alpha-7');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('spec-samples');
    expect(r.body).toContain('Provenance');
  });

  it('draws the history with change points, and lists the regression with what changed', async () => {
    const h = await get('/history?bench=gemm&site=alpha');
    expect(h.statusCode).toBe(200);
    expect(h.body).toContain('id="history"');
    expect(h.body).toContain('b-slower');
    const reg = await get('/regressions');
    expect(reg.statusCode).toBe(200);
    expect(reg.body).toMatch(/1 regression\(s\) in \d+ series/);
    expect(reg.body).toContain('alpha');
  });

  it('judges records against a references file and gives the result as CSV', async () => {
    const r = await get('/acceptance?refs=a100.yaml&campaign=c-late');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('b-fail');
    expect(r.body).toContain('b-pass');
    const csv = await get('/acceptance.csv?refs=a100.yaml&campaign=c-late');
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    expect(csv.body.split('\n')[0]).toBe('case,site,node,median,unit,reference,lower,upper,verdict,why');
    const uploaded = await post('/api/acceptance', {
      references: 'references:\n  - { benchmark: gemm, value: 1, unit: GFLOP/s }\n',
      campaign: ['c-late'],
      format: 'json',
    });
    expect(uploaded.statusCode).toBe(200);
    expect(uploaded.json().rows.length).toBeGreaterThan(0);
    const broken = await post('/api/acceptance', { references: 'references: [ { value: x } ]', campaign: ['c-late'] });
    expect(broken.statusCode).toBe(400);
  });

  it('exports the view as the self-contained report, CSV and Markdown', async () => {
    const html = await get('/export?campaign=c-late&format=html');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-disposition']).toMatch(/attachment; filename="fedbench-.*\.html"/);
    expect(html.body).toContain('<!doctype html>');
    const csv = await get('/export?campaign=c-late&format=csv');
    expect(csv.body.split('\n').length).toBe(12 + 2);
    const md = await get('/export?campaign=c-late&format=md');
    expect(md.body).toContain('## Benchmarks');
  });

  it('exports redacted: no identifying value survives anywhere in any format', async () => {
    const campaigns = secretCampaigns.map((c) => `campaign=${encodeURIComponent(c)}`).join('&');
    const plain = await get(`/export?${campaigns}&format=csv`);
    expect(leaksIn(plain.body, ORIGINALS).length).toBeGreaterThan(5); // the records do hold them
    for (const format of ['html', 'csv', 'md', 'json']) {
      const r = await get(`/export?${campaigns}&format=${format}&redact=1`);
      expect(r.statusCode, format).toBe(200);
      expect(leaksIn(r.body, ORIGINALS), format).toEqual([]);
    }
    const html = await get(`/export?${campaigns}&format=html&redact=1`);
    expect(html.body).toMatch(/node-1/);
  });

  it('exports redacted what the hostile review found leaking, in every format, the typed workload id included', async () => {
    const values: ReplacedValue[] = [
      ...redactRecords(survivedRecords()).replaced.filter((v) => v.inText),
      ...SURVIVED_VALUES.map((value) => ({ kind: 'value' as const, value, label: '', inText: true })),
    ];
    const query = `campaign=c-survived&bench=${encodeURIComponent(`mycmd/${SURVIVED.workloadUser}`)}`;
    const plain = await get(`/export?${query}&format=json`);
    expect(survivors(plain.body, values).length).toBeGreaterThan(5); // the records do hold them
    for (const format of ['html', 'csv', 'md', 'json']) {
      const r = await get(`/export?${query}&format=${format}&redact=1`);
      expect(r.statusCode, format).toBe(200);
      expect(
        survivors(r.body, values).map((v) => `${v.value.value} (${v.form})`),
        format,
      ).toEqual([]);
    }
    const json = await get(`/export?${query}&format=json&redact=1`);
    expect(json.json().rankings.note).toMatch(/^ranked for mycmd\/user-\d+$/);
  });

  it('redacts with the valid profiles when one is invalid, and refuses when the invalid one is of a site exported', async () => {
    const sites = path.join(tmp, 'sites');
    const broken = path.join(sites, 'broken.yaml');
    writeFileSync(broken, 'name: broken\nscheduler: { partition: 12 }\n');
    try {
      const ok = await get('/export?campaign=c-survived&format=csv&redact=1');
      expect(ok.statusCode).toBe(200);
      writeFileSync(path.join(sites, 'gamma.yaml'), 'name: gamma\nscheduler: [ ]\n');
      const refused = await get('/export?campaign=c-survived&format=csv&redact=1', { accept: 'application/json' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatch(
        /^cannot redact the records of site gamma: its profile is invalid \(.*gamma\.yaml/,
      );
    } finally {
      rmSync(broken, { force: true });
      rmSync(path.join(sites, 'gamma.yaml'), { force: true });
    }
  });

  it('offers the built-in suites and the benchmarks folder for launching, and lists sites', async () => {
    const r = await get('/campaigns');
    expect(r.body).toContain('value="quick"');
    expect(r.body).toContain('value="mine"');
    expect((await get('/sites')).statusCode).toBe(200);
  });
});

describe('hardening', () => {
  const headersOk = (r: { headers: Record<string, unknown> }) => {
    expect(r.headers['content-security-policy']).toBe(CSP);
    expect(r.headers['x-frame-options']).toBe('DENY');
  };

  it('answers a NUL byte in a query parameter with 400 naming it, on every page that reads one', async () => {
    for (const url of [
      '/results?campaign=a%00b',
      '/history?bench=gemm&site=a%00b',
      '/export?campaign=a%00b&format=csv',
      '/regressions?site=a%00b',
      '/record?campaign=c-late&case=gemm&id=a%00b',
    ]) {
      const r = await get(url, { accept: 'application/json' });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error, url).toBe('a NUL byte in the address');
      headersOk(r);
    }
  });

  it('answers an HTML request that fails with an error page holding the message as text, and a way back', async () => {
    const bad = await get(`/campaigns/${encodeURIComponent('<img src=x onerror=alert(3)>')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^text\/html/);
    expect(bad.body).toContain('bad campaign name &#39;&lt;img src=x onerror=alert(3)&gt;&#39;');
    expect(bad.body).not.toContain('<img');
    expect(bad.body).toContain('<a href="/">Back</a>');
    headersOk(bad);
    const refused = await server.app.inject({
      method: 'GET',
      url: '/?token=<b>x</b>',
      headers: { accept: 'text/html' },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('<h1>Sign in</h1>');
    expect(refused.body).not.toContain('<b>');
  });

  it('answers a malformed percent-encoding after the sign-in check, with the security headers', async () => {
    const anonymous = await server.app.inject({ method: 'GET', url: '/campaigns/%E0%A4%A' });
    expect(anonymous.statusCode).toBe(401);
    headersOk(anonymous);
    const signedIn = await get('/campaigns/%E0%A4%A', { accept: 'application/json' });
    expect(signedIn.statusCode).toBe(400);
    expect(signedIn.json().error).toMatch(/malformed percent-encoding/);
    headersOk(signedIn);
    const query = await get('/results?campaign=%E0%A4%A', { accept: 'application/json' });
    expect(query.statusCode).toBe(400);
    headersOk(query);
  });

  it('redirects after sign-in only to a path of its own, never to another host (//evil.example)', async () => {
    // over a socket, with the path sent as written (inject and fetch would normalise it first)
    const { port } = new URL(server.url);
    const raw = (p: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port, path: p }, (res) => resolve(res.resume())).on('error', reject),
      );
    for (const url of ['/.//evil.example/', '//evil.example/', '/.///evil.example/', '/./\\evil.example/']) {
      const r = await raw(`${url}?token=${server.token}`);
      expect(r.statusCode, url).toBe(303);
      const location = String(r.headers.location);
      expect(location, url).toMatch(/^\/(?![/\\])/);
      expect(new URL(location, 'http://127.0.0.1/').host, url).toBe('127.0.0.1');
    }
  });

  it('ends a session unused for 12 hours, and finds a session without scanning all of them', async () => {
    let now = Date.now();
    const s = await startServer({ db, port: 0, sitesDir: path.join(tmp, 'sites'), now: () => now, warn: () => {} });
    try {
      const signIn = async () => {
        const r = await s.app.inject({ method: 'GET', url: `/?token=${s.token}` });
        return String(r.headers['set-cookie']).split(';')[0]!;
      };
      const mine = await signIn();
      const at = (c: string) => s.app.inject({ method: 'GET', url: '/regressions', headers: { cookie: c } });
      expect((await at(mine)).statusCode).toBe(200);
      now += 11 * 3600_000;
      expect((await at(mine)).statusCode).toBe(200); // used: the idle time starts again
      now += 11 * 3600_000;
      expect((await at(mine)).statusCode).toBe(200);
      now += 12 * 3600_000 + 1000;
      expect((await at(mine)).statusCode).toBe(401);

      // per-request time with one session, then with 3,000 more: a scan of every session made it ~20 times slower
      const fresh = await signIn();
      const time = async () => {
        const t = performance.now();
        for (let i = 0; i < 30; i++)
          await s.app.inject({ method: 'GET', url: '/assets/app.css', headers: { cookie: fresh } });
        return performance.now() - t;
      };
      await time();
      const few = await time();
      const first = await signIn();
      for (let i = 0; i < 3000; i++) {
        await signIn();
        if (i % 100 === 0) await at(fresh); // in use: not the least recently used one
      }
      expect((await at(fresh)).statusCode).toBe(200);
      // past 1,000 sessions the least recently used ends: the token's holder cannot fill the memory
      expect((await at(first)).statusCode).toBe(401);
      const many = await time();
      expect(many).toBeLessThan(few * 5 + 100);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('treats every spelling of a loopback address as loopback, ::ffff:127.0.0.1 included (the Host check is on)', async () => {
    for (const h of [
      '127.0.0.1',
      '127.3.4.5',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '[::ffff:7f00:1]',
    ])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', 'evil.example', '127.0.0.1.evil.example'])
      expect(isLoopback(h), h).toBe(false);
    const s = await startServer({
      db,
      host: '::ffff:127.0.0.1',
      port: 0,
      sitesDir: path.join(tmp, 'sites'),
      warn: () => {},
    });
    try {
      const login = await s.app.inject({ method: 'GET', url: `/?token=${s.token}` });
      const c = String(login.headers['set-cookie']).split(';')[0]!;
      const port = new URL(s.url).port;
      const evil = await s.app.inject({
        method: 'GET',
        url: '/',
        headers: { cookie: c, host: `evil.example:${port}` },
      });
      expect(evil.statusCode).toBe(403);
      const own = await s.app.inject({
        method: 'GET',
        url: '/',
        headers: { cookie: c, host: `[::ffff:127.0.0.1]:${port}` },
      });
      expect(own.statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('sends HSTS under TLS (and not over plain HTTP, where browsers ignore it)', async () => {
    const dir = mkdtempSync(path.join(tmp, 'tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const s = await startServer({ db, port: 0, sitesDir: path.join(tmp, 'sites'), tls: { cert, key }, warn: () => {} });
    try {
      const r = await s.app.inject({ method: 'GET', url: '/' });
      expect(r.statusCode).toBe(401);
      expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
      const login = await s.app.inject({ method: 'GET', url: `/?token=${s.token}` });
      expect(String(login.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await s.close();
    }
    expect((await get('/')).headers['strict-transport-security']).toBeUndefined();
  });
});
