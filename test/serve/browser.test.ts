/// <reference lib="dom" />
// fedbench serve end to end in Debian's Chromium (playwright-core) against the two real Slurm test sites
// (slurm/testenv/up.sh): sign in with the token, launch a campaign on both sites from the page after looking at
// its job scripts, watch it finish over server-sent events, see the comparison (weights moved live) and the
// history; the token, CSRF and Origin checks refused; hostile strings shown as text. Screenshots go to
// test-artifacts/serve/. Outside CI a machine without the sites or Chromium skips, saying why; with CI=true it fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { openDb, type ResultsDb } from '../../src/db/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { down, IN_CI, missingPrerequisite, ROOT, up, type TestEnv } from '../federation/testenv.js';
import { CHROMIUM, launch } from '../report/browser.js';

const missing =
  missingPrerequisite() ?? (existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed: run 'bash test/setup.sh'`);
if (missing && IN_CI) throw new Error(`serve browser tests cannot run in CI: ${missing}`);

const SHOTS = path.join(ROOT, 'test-artifacts', 'serve');
const HOSTILE_SITE = '<script>alert("site")</script>';
const HOSTILE_BENCH = '<img src=x onerror=alert(1)>';
const HOSTILE_ERROR = 'sbatch: error: Batch job submission failed: <b onmouseover=alert(3)>Invalid account</b>';

let env: TestEnv;
let work: string;
let db: ResultsDb;
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
let campaign = '';

const at = (p: string) => new URL(p, server.url).toString();

async function chartsDone(p: Page): Promise<Array<string | null>> {
  await p.waitForFunction(() => document.body.dataset['charts'] === 'done', undefined, { timeout: 60_000 });
  return p.$$eval('[data-spec]', (els) => els.map((e) => (e as HTMLElement).dataset['rendered'] ?? null));
}

/** Reads a campaign's server-sent events until it is complete; the event numbers it saw. */
async function followEvents(url: string, cookie: string): Promise<number[]> {
  const res = await fetch(url, { headers: { cookie, accept: 'text/event-stream' } });
  if (res.status !== 200) throw new Error(`events: ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const seqs: number[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`events ended before the campaign did (saw ${seqs.join(', ')})`);
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!data) continue;
      const v = JSON.parse(data) as { seq: number; complete: boolean };
      seqs.push(v.seq);
      if (v.complete) {
        await reader.cancel();
        return seqs;
      }
    }
  }
}

/** The whole page, and the first screen of it (what the README's tour shows). */
async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await p.screenshot({ path: path.join(SHOTS, `${name}.screen.png`) });
}

describe.skipIf(missing !== null)(`fedbench serve in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    env = up();
    work = mkdtempSync(path.join(tmpdir(), 'fedbench-serve-e2e-'));
    mkdirSync(SHOTS, { recursive: true });
    const sitesDir = path.join(work, 'sites');
    const bench = path.join(work, 'benchmarks');
    mkdirSync(sitesDir);
    mkdirSync(bench);
    for (const s of ['alpha', 'beta'] as const)
      writeFileSync(path.join(sitesDir, `${s}.yaml`), readFileSync(env.sites[s].profile));
    // a site whose jobs cannot start fedbench: its tasks end FAILED, and the page says why
    const broken = parse(readFileSync(env.sites.alpha.profile, 'utf8')) as Record<string, any>;
    broken.name = 'alpha-broken';
    broken.fedbench = { command: [process.execPath, '/nonexistent/fedbench/main.js'] };
    broken.workdir = `${broken.workdir}-broken`; // its own campaign folder on the cluster it shares with alpha
    writeFileSync(path.join(sitesDir, 'alpha-broken.yaml'), stringify(broken));
    writeFileSync(
      path.join(bench, 'tiny.yaml'),
      stringify({
        name: 'tiny',
        engines: ['onnxruntime:cpu'],
        stop: {
          warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
          minSamples: 5,
          minSeconds: 0.05,
          maxSeconds: 0.3,
          targetNoise: 0.2,
        },
        benchmarks: [{ id: 'gemm', workload: 'gemm', params: { n: [32, 48], dtype: 'fp32' } }],
      }),
    );
    db = await openDb({ kind: 'embedded', dir: path.join(work, 'db') });
    // what the hostile-strings check looks at: a record whose site, benchmark id and Slurm message are markup
    const evil = syntheticRecord({ site: HOSTILE_SITE, median: 50, benchmark: HOSTILE_BENCH, seed: 5 });
    await db.ingest([{ ...evil, id: 'evil', campaign: 'c-evil', status: 'failed', error: HOSTILE_ERROR }]);
    server = await startServer({
      db,
      port: 0,
      sitesDir,
      campaignsDir: path.join(work, 'campaigns'),
      resultsDir: path.join(work, 'results'),
      benchmarksDir: bench,
      pollMs: 1000,
      warn: (l) => process.stderr.write(`serve: ${l}\n`),
    });
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
    if (env) down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a page without the token, then signs in with it (the token leaves the address)', async () => {
    const anonymous = await browser.newContext();
    const p = await anonymous.newPage();
    const r = await p.goto(at('/'));
    expect(r?.status()).toBe(401);
    expect(await p.innerText('body')).toMatch(/token/);
    await anonymous.close();
    await page.goto(`${server.url}?token=${server.token}`);
    expect(page.url()).toBe(server.url);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await shot(page, 'overview');
  });

  it('launches a campaign on both sites from the page, after showing its job scripts, and follows it to the end (20 more clients miss no update)', async () => {
    await page.goto(at('/campaigns'));
    await page.selectOption('#l-suite', 'tiny');
    await page.getByLabel('alpha', { exact: true }).check();
    await page.getByLabel('beta', { exact: true }).check();
    await page.getByLabel('alpha-broken').check();
    await page.getByRole('button', { name: 'Show job scripts' }).click();
    await page.waitForSelector('#scripts pre.script', { timeout: 60_000 });
    const scripts = await page.$$eval('#scripts pre.script', (els) => els.map((e) => e.textContent ?? ''));
    expect(scripts).toHaveLength(3);
    for (const s of scripts) expect(s).toMatch(/#SBATCH --array=0-1/);
    await shot(page, 'launch-dry-run');
    const launchButton = page.getByRole('button', { name: 'Launch' });
    expect(await launchButton.isEnabled()).toBe(true);
    await Promise.all([page.waitForURL(/\/campaigns\/tiny-/, { timeout: 60_000 }), launchButton.click()]);
    campaign = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const followers = Array.from({ length: 20 }, () => followEvents(at(`/api/campaigns/${campaign}/events`), cookie));
    // live: events arrive while tasks move; the page ends with every task collected
    const seen = new Set<string>();
    const deadline = Date.now() + 240_000;
    for (;;) {
      const state = await page.$eval('#progress', (e) => ({
        complete: (e as HTMLElement).dataset['complete'] ?? '',
        seq: Number((e as HTMLElement).dataset['seq'] ?? 0),
        phases: [...e.querySelectorAll('tr[data-phase]')].map((r) => (r as HTMLElement).dataset['phase']!),
      }));
      for (const p of state.phases) seen.add(p);
      if (state.complete === 'true') {
        expect(state.phases).toEqual(Array(6).fill('collected'));
        // on a busy machine the first look at the sites may already find every task collected: one event then
        expect(state.seq).toBeGreaterThanOrEqual(1);
        break;
      }
      if (Date.now() > deadline) throw new Error(`campaign ${campaign} did not finish: ${[...seen].join(', ')}`);
      await page.waitForTimeout(500);
    }
    const progressText = await page.innerText('#progress');
    expect(progressText).toMatch(/alpha: 0 pending, 0 running, 0 ended, 2 collected/);
    // the broken site's tasks: FAILED, with how they ended
    expect(progressText).toMatch(/alpha-broken: .*2 collected/);
    expect(progressText).toMatch(/FAILED\s+collected\s+\S+\s+FAILED \(job script failed, exit code 1:0\)/);
    await shot(page, 'campaign-progress');
    // every follower saw every state from the one it joined at to the last, in order, and the same last one
    const streams = await Promise.all(followers);
    const finals = new Set(streams.map((s) => s.at(-1)));
    expect(finals.size).toBe(1);
    for (const s of streams) {
      expect(s.length).toBeGreaterThan(0);
      expect(s).toEqual(Array.from({ length: s.length }, (_, k) => s[0]! + k));
    }
    process.stderr.write(
      `serve: 20 followers, ${Math.min(...streams.map((s) => s.length))}–${Math.max(...streams.map((s) => s.length))} events each, none missed\n`,
    );
  }, 300_000);

  it('shows the comparison of the two sites, with the ranking re-weighted live', async () => {
    await page.goto(at(`/results?campaign=${encodeURIComponent(campaign)}`));
    const charts = await chartsDone(page);
    expect(charts.length).toBeGreaterThan(0);
    expect(charts.every((c) => c === 'true')).toBe(true);
    const text = await page.innerText('#benchmarks');
    expect(text).toContain('alpha');
    expect(text).toContain('beta');
    expect(text).toMatch(/BEST/);
    await shot(page, 'results');
    await page.locator('#w-time').fill('1');
    await page.locator('#w-cost').fill('0');
    await page.waitForFunction(() => document.body.dataset['weights']?.includes('cost=0'), undefined, {
      timeout: 30_000,
    });
    expect(await page.innerText('#recommendation')).toMatch(/time 1, energy 0\.2, cost 0, co2 0\.1/);
    expect(page.url()).toMatch(/weights=time%3D1/);
    const records = await page.$$('#records tbody tr');
    expect(records.length).toBe(6);
    await page.click('#records tbody tr:first-child a');
    expect(await chartsDone(page)).toEqual(['true']);
    await shot(page, 'record');
  });

  it('draws the history of the case with the campaign in it', async () => {
    await page.goto(at('/history?bench=gemm'));
    const charts = await chartsDone(page);
    expect(charts.length).toBe(2);
    expect(charts.every((c) => c === 'true')).toBe(true);
    expect(await page.innerText('#history')).toMatch(/4 run\(s\)/);
    await shot(page, 'history');
  });

  it('checks a site on demand', async () => {
    await page.goto(at('/sites'));
    await page.click('button[data-check="alpha"]');
    await page.waitForFunction(
      () => /OK|FAIL/.test(document.getElementById('check-alpha')?.textContent ?? ''),
      undefined,
      {
        timeout: 60_000,
      },
    );
    expect(await page.innerText('#check-alpha')).toMatch(/OK[\s\S]*partition gpu: up, 2 node\(s\)/);
    await shot(page, 'sites');
  });

  it('refuses state changes without the CSRF token or from another origin, from the browser itself', async () => {
    const errorsBefore = pageErrors.length;
    const noToken = await page.evaluate(async () => {
      const r = await fetch('/api/campaigns/dry-run', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ suite: 'tiny', sites: ['alpha'] }),
      });
      return r.status;
    });
    expect(noToken).toBe(403);
    // the browser logs the refusal it was meant to get; nothing else may be logged
    expect(pageErrors.splice(errorsBefore)).toEqual([expect.stringMatching(/403/)]);
    const csrf = await page.$eval('meta[name="csrf-token"]', (m) => (m as HTMLMetaElement).content);
    const foreign = await context.request.post(at('/api/campaigns/dry-run'), {
      headers: { 'x-csrf-token': csrf, origin: 'http://attacker.example', 'content-type': 'application/json' },
      data: { suite: 'tiny', sites: ['alpha'] },
    });
    expect(foreign.status()).toBe(403);
    const noOrigin = await context.request.post(at('/api/campaigns/dry-run'), {
      headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' },
      data: { suite: 'tiny', sites: ['alpha'] },
    });
    expect(noOrigin.status()).toBe(403);
  });

  it('shows hostile site names, benchmark ids and Slurm messages as text', async () => {
    await page.goto(at('/results?campaign=c-evil'));
    await chartsDone(page);
    const text = await page.innerText('main');
    expect(text).toContain(HOSTILE_SITE);
    expect(text).toContain(HOSTILE_BENCH);
    expect(text).toContain('<b onmouseover=alert(3)>Invalid account</b>');
    expect(
      await page.$$('main img[src="x"], main b[onmouseover], main script:not([type="application/json"])'),
    ).toHaveLength(0);
    await shot(page, 'hostile');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
