// The server under load: the analysis of a large selection runs on a worker thread, so another user's pages (a small
// selection, a history) answer while it runs; the same request made while it runs shares its answer. A real embedded database and real records
// (synthetic ones, laid out as bench:serve lays them); the order of the answers is asserted, not a time threshold.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignName, nightlyRecord, PER_CAMPAIGN } from '../../src/bench/nightly.js';
import { openDb, type ResultsDb } from '../../src/db/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-serve-load-'));
const CAMPAIGNS = 3;
const TOTAL = CAMPAIGNS * PER_CAMPAIGN;

let db: ResultsDb;
let server: RunningServer;
let cookie: string;

beforeAll(async () => {
  db = await openDb({ kind: 'embedded', dir: path.join(tmp, 'db') });
  await db.ingest(Array.from({ length: TOTAL }, (_, i) => nightlyRecord(i, TOTAL)));
  mkdirSync(path.join(tmp, 'sites'));
  server = await startServer({
    db,
    port: 0,
    sitesDir: path.join(tmp, 'sites'),
    campaignsDir: path.join(tmp, 'campaigns'),
    resultsDir: path.join(tmp, 'results'),
    benchmarksDir: path.join(tmp, 'benchmarks'),
    warn: () => undefined,
  });
  const login = await server.app.inject({ method: 'GET', url: `/?token=${server.token}` });
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
}, 300_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const get = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html' } });

const everything = `/results?${Array.from({ length: CAMPAIGNS }, (_, c) => `campaign=${campaignName(c)}`).join('&')}`;

describe('the server under load', () => {
  it('answers a light page while a large selection is analysed, before that analysis ends', async () => {
    const done: string[] = [];
    const heavy = get(everything).then((r) => {
      done.push('heavy');
      return r;
    });
    // the light pages are asked for after the heavy one, one after another
    const case0 = nightlyRecord(0, TOTAL).case;
    const light = (async () => {
      const answers = [];
      const oneCase = `/results?campaign=${campaignName(CAMPAIGNS - 1)}&bench=${case0}`;
      for (const url of ['/', oneCase, `/history?bench=${case0}&site=leonardo`, oneCase]) answers.push(await get(url));
      done.push('light');
      return answers;
    })();
    const [h, l] = await Promise.all([heavy, light]);
    expect(h.statusCode).toBe(200);
    expect(h.body).toContain(`of ${TOTAL} record(s)`);
    for (const r of l) expect(r.statusCode).toBe(200);
    expect(l[1]!.body).toContain('of 80 record(s)');
    expect(l[2]!.body).toContain('leonardo');
    expect(done).toEqual(['light', 'heavy']);
  }, 300_000);

  it('gives the same request made while it runs the same answer, and a narrower selection its own', async () => {
    const one = `/results?campaign=${campaignName(CAMPAIGNS - 1)}`;
    const [a, b, c] = await Promise.all([get(everything), get(everything), get(one)]);
    expect(a.statusCode).toBe(200);
    expect(b.body).toBe(a.body);
    expect(a.body).toContain(`of ${TOTAL} record(s)`);
    expect(c.body).toContain(`of ${PER_CAMPAIGN} record(s)`);
  }, 300_000);
});
