// Cancelling a campaign from its page in fedbench serve: the button is there while a site is not cancelled, the API
// refuses a request without the session's CSRF token, and a cancel through it ends as the CLI's does (here on a
// constructed journal whose job was never submitted: its cases are recorded as cancelled, with who and when).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type ResultsDb } from '../../src/db/index.js';
import { readJournal, saveJournal } from '../../src/federation/index.js';
import { startServer, type RunningServer } from '../../src/serve/index.js';
import { unsubmittedJournal } from '../federation/journals.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-serve-cancel-'));
const campaigns = path.join(tmp, 'campaigns');
let db: ResultsDb;
let server: RunningServer;
let cookie: string;
let csrf: string;

const get = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html' } });
const post = (url: string, headers: Record<string, string>) => {
  const origin = new URL(server.url).origin;
  return server.app.inject({
    method: 'POST',
    url,
    payload: '{}',
    headers: { cookie, host: new URL(origin).host, origin, 'content-type': 'application/json', ...headers },
  });
};

beforeAll(async () => {
  mkdirSync(campaigns, { recursive: true });
  await saveJournal(campaigns, unsubmittedJournal('unsent', path.join(tmp, 'results', 'unsent')));
  db = await openDb({ kind: 'embedded', dir: path.join(tmp, 'db') });
  mkdirSync(path.join(tmp, 'sites'));
  server = await startServer({
    db,
    port: 0,
    sitesDir: path.join(tmp, 'sites'),
    campaignsDir: campaigns,
    resultsDir: path.join(tmp, 'results'),
    benchmarksDir: path.join(tmp, 'benchmarks'),
    warn: () => undefined,
  });
  const login = await server.app.inject({ method: 'GET', url: `/?token=${server.token}` });
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
  csrf = /<meta name="csrf-token" content="([^"]+)"/.exec((await get('/')).body)![1]!;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cancel from the campaign page', () => {
  it('offers the button, refuses a forged request, cancels, and then says who cancelled instead', async () => {
    const before = await get('/campaigns/unsent');
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('<button type="button" data-action="cancel" data-campaign="unsent">');
    const forged = await post('/api/campaigns/unsent/cancel', {});
    expect(forged.statusCode).toBe(403);
    expect(readJournal(campaigns, 'unsent').sites.alpha!.cancelled).toBeUndefined();

    const r = await post('/api/campaigns/unsent/cancel', { 'x-csrf-token': csrf });
    expect(r.statusCode, r.body).toBe(200);
    const body = JSON.parse(r.body) as { sites: Array<{ site: string; neverSubmitted: number; error: string | null }> };
    expect(body.sites).toEqual([{ site: 'alpha', cancelledJobs: [], neverSubmitted: 2, error: null }]);
    const mark = readJournal(campaigns, 'unsent').sites.alpha!.cancelled!;
    expect(mark.by).toMatch(/ \(fedbench serve\)$/);
    expect(readdirSync(path.join(tmp, 'results', 'unsent', 'alpha'), { recursive: true }).length).toBeGreaterThan(0);

    const after = await get('/campaigns/unsent');
    expect(after.body).not.toContain('data-action="cancel"');
    expect(after.body).toContain('alpha: cancelled by ');
    // again: the same end, nothing written twice
    const again = await post('/api/campaigns/unsent/cancel', { 'x-csrf-token': csrf });
    expect(again.statusCode).toBe(200);
    expect((JSON.parse(again.body) as typeof body).sites[0]!.neverSubmitted).toBe(0);
    // an unknown campaign is bad input
    expect((await post('/api/campaigns/nope/cancel', { 'x-csrf-token': csrf })).statusCode).toBe(400);
  });
});
