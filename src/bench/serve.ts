// npm run bench:serve — `fedbench serve` over a big results database: FEDBENCH_BENCH_RECORDS synthetic records
// (default 1,000,000; labelled synthetic, nothing here is a GPU measurement) in an embedded database, laid out as
// bench:db lays them (nightly campaigns × 4 sites × 50 cases × 20 nodes, a 10% drop at one site late on). Timed:
//   server time of the results and history pages (the Server-Timing header the server sets on every answer),
//   median of 5 after one untimed request, for several selections;
//   render time in Debian's Chromium: from navigation start to the last chart drawn (the page's data-charts=done).
// Targets (issue 13): ≤ 300 ms server time, ≤ 1 s to render.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { openDb } from '../db/index.js';
import type { RunRecord } from '../results/index.js';
import { startServer } from '../serve/index.js';
import { CASES, campaignName, NODES, nightlyRecord, PER_CAMPAIGN, SITES } from './nightly.js';

const TOTAL = Number(process.env.FEDBENCH_BENCH_RECORDS ?? 1_000_000);
const CAMPAIGNS = Math.ceil(TOTAL / PER_CAMPAIGN);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const now = () => performance.now() / 1000;

const recordAt = (i: number): RunRecord => nightlyRecord(i, TOTAL);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fedbench-bench-serve-'));
  const db = await openDb({ kind: 'embedded', dir: path.join(work, 'db') });
  try {
    console.log(
      `${TOTAL} synthetic records: ${CAMPAIGNS} nightly campaigns × ${SITES.length} sites × ${CASES} cases × ${NODES} nodes`,
    );
    let t = now();
    for (let i = 0; i < TOTAL; i += 10_000) {
      await db.ingest(Array.from({ length: Math.min(10_000, TOTAL - i) }, (_, k) => recordAt(i + k)));
      if ((i / 10_000) % 20 === 19) process.stderr.write(`  ${i + 10_000} ingested\n`);
    }
    console.log(`ingest (generation included): ${(now() - t).toFixed(1)} s`);

    const server = await startServer({ db, port: 0, warn: (l) => process.stderr.write(`serve: ${l}\n`) });
    const login = await fetch(`${server.url}?token=${server.token}`, { redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const last = CAMPAIGNS - 1;
    const case0 = recordAt(0).case;
    const q = (p: Record<string, string | string[]>) => {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries(p)) for (const x of typeof v === 'string' ? [v] : v) u.append(k, x);
      return u.toString();
    };
    const pages: Array<[string, string]> = [
      [
        `results: one case, latest campaign (${SITES.length * NODES} records)`,
        `/results?${q({ campaign: campaignName(last), bench: case0 })}`,
      ],
      [
        `results: one case, last 7 campaigns (${7 * SITES.length * NODES} records)`,
        `/results?${q({ campaign: Array.from({ length: 7 }, (_, k) => campaignName(last - k)), bench: case0 })}`,
      ],
      [
        `results: benchmark gemm, latest campaign (${PER_CAMPAIGN} records)`,
        `/results?${q({ campaign: campaignName(last), bench: 'gemm' })}`,
      ],
      [
        `history: one case at one site (${NODES} node series × ${CAMPAIGNS} runs)`,
        `/history?${q({ bench: case0, site: 'leonardo' })}`,
      ],
      [`history: one case, every site (${SITES.length * NODES} series)`, `/history?${q({ bench: case0 })}`],
    ];
    const rows: Array<[string, string, string, string]> = [];
    for (const [label, url] of pages) {
      const times: number[] = [];
      let bytes = 0;
      for (let k = 0; k < 6; k++) {
        const r = await fetch(new URL(url, server.url), { headers: { cookie } });
        const body = await r.text();
        if (r.status !== 200) throw new Error(`${url}: ${r.status} ${body.slice(0, 300)}`);
        bytes = body.length;
        times.push(Number(/dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1]));
      }
      const again = times.slice(1);
      rows.push([
        label,
        `${times[0]!.toFixed(0)} ms`,
        `${median(again).toFixed(0)} ms (${Math.min(...again).toFixed(0)}–${Math.max(...again).toFixed(0)})`,
        `${(bytes / 1024).toFixed(0)} KiB`,
      ]);
    }
    t = now();
    const reg = await fetch(new URL('/regressions', server.url), { headers: { cookie } });
    const regFirst = now() - t;
    const regText = await reg.text();
    const regAgain = Number(
      /dur=([\d.]+)/.exec(
        (await fetch(new URL('/regressions', server.url), { headers: { cookie } })).headers.get('server-timing') ?? '',
      )?.[1],
    );

    // Under load: one heavy request (the newest 20,000 records of everything, analysed on a worker) and, while it
    // runs, light ones one after another (a one-case selection, analysed at once; a history, cached); their wall
    // time as a client sees it. Then 8 different heavy requests at once against one alone, and the peak RSS.
    const heavyUrl = (k: number) =>
      `/results?${q({ campaign: Array.from({ length: 5 }, (_, j) => campaignName(Math.max(0, last - k - j))) })}`;
    const timed = async (url: string) => {
      const t0 = now();
      const r = await fetch(new URL(url, server.url), { headers: { cookie } });
      await r.text();
      if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      return now() - t0;
    };
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const lightUrls = [pages[0]![1], pages[3]![1]];
    const heavyAlone = await timed(heavyUrl(0));
    const light: number[] = [];
    const worst = lightUrls.map(() => 0);
    let heavyDone = false;
    const heavy = timed(heavyUrl(1)).then((x) => {
      heavyDone = true;
      return x;
    });
    for (let k = 0; !heavyDone; k++) {
      const x = await timed(lightUrls[k % lightUrls.length]!);
      light.push(x);
      worst[k % lightUrls.length] = Math.max(worst[k % lightUrls.length]!, x);
    }
    const heavyWithLight = await heavy;
    light.sort((a, b) => a - b);
    const p99 = light[Math.min(light.length - 1, Math.ceil(light.length * 0.99) - 1)]!;
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const t8 = now();
    await Promise.all(Array.from({ length: 8 }, (_, k) => timed(heavyUrl(k))));
    const eight = now() - t8;
    clearInterval(sampler);

    const render: Array<[string, string]> = [];
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addCookies([
          { name: cookie.split('=')[0]!, value: cookie.split('=').slice(1).join('='), url: server.url },
        ]);
        const page = await context.newPage();
        for (const [label, url] of pages) {
          const visible: number[] = [];
          const done: number[] = [];
          let charts = 0;
          for (let k = 0; k < 4; k++) {
            await page.goto(new URL(url, server.url).toString());
            await page.waitForFunction(() => document.body.dataset['charts'] === 'done', undefined, {
              timeout: 120_000,
            });
            // from navigation start: the charts in view drawn, and every chart drawn (the page script's marks)
            const at = await page.evaluate(() => ({
              visible: Number(document.body.dataset['visibleAt']),
              done: Number(document.body.dataset['doneAt']),
              charts: document.querySelectorAll('[data-spec]').length,
            }));
            charts = at.charts;
            if (k > 0) {
              visible.push(at.visible);
              done.push(at.done);
            }
          }
          render.push([
            label,
            `${median(visible).toFixed(0)} ms; all ${charts} chart(s): ${median(done).toFixed(0)} ms`,
          ]);
        }
      } finally {
        await browser.close();
      }
    }
    await server.close();

    console.log('\nserver time (Server-Timing): the first request; then the median (range) of 5 more:');
    for (const [l, first, ms, size] of rows)
      console.log(`  ${l.padEnd(64)} ${first.padEnd(9)} ${ms.padEnd(20)} page ${size}`);
    console.log(
      `  regressions over every series: first ${regFirst.toFixed(1)} s (${/(\d+) regression\(s\) in (\d+) series/.exec(regText)?.[0] ?? '?'}), then ${regAgain.toFixed(0)} ms (cached until the database changes)`,
    );
    console.log(
      `under load: one heavy request (results of the newest 20,000 records) ${heavyAlone.toFixed(1)} s alone, ${heavyWithLight.toFixed(1)} s with light requests beside it; the light ones (one case's results, a history) while it ran: p99 ${(p99 * 1000).toFixed(0)} ms, median ${(median(light) * 1000).toFixed(0)} ms, max ${(light.at(-1)! * 1000).toFixed(0)} ms (one case's results ${(worst[0]! * 1000).toFixed(0)} ms, the history ${(worst[1]! * 1000).toFixed(0)} ms; n=${light.length}; target p99 ≤ 100 ms)`,
    );
    console.log(
      `  8 different heavy requests at once: ${eight.toFixed(1)} s (${(eight / heavyAlone).toFixed(1)}× one; target ≤ 2×), the process's peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (${(rssBefore / 2 ** 20).toFixed(0)} MiB before)`,
    );
    if (render.length) {
      console.log(
        'render in Chromium (navigation start to the charts in view drawn; to every chart drawn; median of 3 after one):',
      );
      for (const [l, ms] of render) console.log(`  ${l.padEnd(64)} ${ms}`);
    } else console.log(`render: skipped (${CHROMIUM} not installed)`);
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
