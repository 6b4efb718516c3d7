// fedbench cancel: a campaign launched by mistake is stopped, per site or everywhere, and every case that will not
// run ends as `cancelled` saying who cancelled it and when; collected records stay; cancel is idempotent and a
// cancelled site is never submitted again. For real on the Slurm test sites (slurm/testenv/up.sh); the cases of jobs
// that were never submitted are checked on a journal alone.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cancelCampaign, readJournal, saveJournal, SitePool } from '../../src/federation/index.js';
import { runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { fedbench } from '../cli/run-cli.js';
import { unsubmittedJournal } from './journals.js';
import { down, IN_CI, missingPrerequisite, up, type TestEnv } from './testenv.js';

const missing = missingPrerequisite();
if (missing && IN_CI) throw new Error(`federation tests cannot run in CI: ${missing}`);

function recordsUnder(dir: string): RunRecord[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.json'))
    .map((f) => runRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))));
}

describe('cancel, before anything was submitted', () => {
  it('records every case of a never-submitted job as cancelled, once, with who and when', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'fedbench-cancel-'));
    const campaigns = path.join(work, 'campaigns');
    mkdirSync(campaigns);
    const j = unsubmittedJournal('unsent', path.join(work, 'results', 'unsent'));
    await saveJournal(campaigns, j);
    const pool = new SitePool();
    const cancel = () =>
      cancelCampaign({
        journal: readJournal(campaigns, 'unsent'),
        campaignsDir: campaigns,
        site: () => {
          throw new Error('no site is reached: nothing was submitted');
        },
        pool,
        by: 'ada@login1',
      });
    const first = await cancel();
    expect(first.sites).toEqual([{ site: 'alpha', cancelledJobs: [], neverSubmitted: 2, error: null }]);
    const again = await cancel();
    expect(again.sites[0]!.neverSubmitted).toBe(0);
    expect(again.at.alpha).toEqual(first.at.alpha);
    await pool.close();
    const records = recordsUnder(j.resultsDir);
    expect(records.map((r) => [r.case, r.status]).sort()).toEqual([
      ['gemm/onnxruntime/n=16', 'cancelled'],
      ['gemm/onnxruntime/n=32', 'cancelled'],
    ]);
    for (const r of records)
      expect(r.error).toBe(
        `never submitted to site alpha: cancelled by ada@login1 at ${first.at.alpha!.at} (fedbench cancel)`,
      );
    expect(readJournal(campaigns, 'unsent').sites.alpha!.cancelled).toEqual({
      by: 'ada@login1',
      at: first.at.alpha!.at,
    });
  });
});

describe.skipIf(missing !== null)(`cancel on the Slurm test sites${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let env: TestEnv;
  let work: string;
  const cli = (args: string[]) =>
    fedbench(args, {
      cwd: work,
      env: { FEDBENCH_SITES: path.join(work, 'sites'), FEDBENCH_CAMPAIGNS: path.join(work, 'campaigns') },
    });

  beforeAll(() => {
    env = up();
    work = mkdtempSync(path.join(tmpdir(), 'fedbench-cancel-'));
    mkdirSync(path.join(work, 'sites'));
    for (const s of ['alpha', 'beta'] as const)
      writeFileSync(path.join(work, 'sites', `${s}.yaml`), readFileSync(env.sites[s].profile));
    // cases that would sample for minutes: only a cancel ends them early
    writeFileSync(
      path.join(work, 'slow.yaml'),
      stringify({
        name: 'slow',
        engines: ['onnxruntime:cpu'],
        stop: {
          warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
          minSamples: 5,
          minSeconds: 300,
          maxSeconds: 400,
          targetNoise: 0.2,
        },
        benchmarks: [{ id: 'gemm', workload: 'gemm', params: { n: [16, 24, 32], dtype: 'fp32' } }],
      }),
    );
  });

  afterAll(() => {
    if (env) down();
  });

  it('per site, then everywhere: jobs stopped, every case cancelled with who and when, nothing resubmitted, nothing left queued', async () => {
    const sub = await cli(['submit', '--suite', 'slow.yaml', '--sites', 'alpha,beta', '--campaign', 'wrong']);
    expect(sub.code, sub.stderr).toBe(0);
    const campaigns = path.join(work, 'campaigns');
    const jobsAt = (site: string) => readJournal(campaigns, 'wrong').sites[site]!.jobs.map((x) => x.jobId);
    const alphaJobs = jobsAt('alpha');

    const one = await cli(['cancel', 'wrong', '--site', 'alpha']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(new RegExp(`alpha: cancelled job\\(s\\) ${alphaJobs[0]}`));
    expect(one.stdout).toMatch(/campaign wrong: cancelled at alpha; run 'fedbench collect wrong --wait'/);
    const journal = readJournal(campaigns, 'wrong');
    const mark = journal.sites.alpha!.cancelled!;
    expect(mark.by).toMatch(new RegExp(`^${userInfo().username}@`));
    expect(journal.sites.beta!.cancelled).toBeUndefined();
    // again: nothing new to stop, the first mark kept
    const twice = await cli(['cancel', 'wrong', '--site', 'alpha', '--json']);
    expect(twice.code, twice.stderr).toBe(0);
    expect(JSON.parse(twice.stdout).at.alpha).toEqual(mark);
    // a resumed submit leaves the cancelled site alone
    const resubmit = await cli(['submit', '--suite', 'slow.yaml', '--sites', 'alpha,beta', '--campaign', 'wrong']);
    expect(resubmit.code, resubmit.stderr).toBe(0);
    expect(resubmit.stderr).toMatch(/alpha: cancelled by .* \(fedbench cancel\): nothing submitted/);
    expect(jobsAt('alpha')).toEqual(alphaJobs);

    const all = await cli(['cancel', 'wrong']);
    expect(all.code, all.stderr).toBe(0);
    const collected = await cli(['collect', 'wrong', '--wait', '--interval', '1', '--timeout', '120', '--json']);
    expect(collected.code, collected.stderr).toBe(0);
    const records = recordsUnder(path.join(work, 'results', 'wrong'));
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.status, `${r.site} ${r.case}: ${r.error}`).toBe('cancelled');
      const by = readJournal(campaigns, 'wrong').sites[r.site!]!.cancelled!;
      expect(r.error).toContain(`cancelled by ${by.by} at ${by.at} (fedbench cancel)`);
    }
    // nothing of the campaign is left pending or running at either site
    const status = JSON.parse((await cli(['status', 'wrong', '--json'])).stdout) as {
      sites: Array<{ site: string; states: Record<string, number>; collected: number; tasks: number }>;
    };
    for (const s of status.sites) {
      expect(Object.keys(s.states), s.site).toEqual(['CANCELLED']);
      expect(s.collected).toBe(s.tasks);
    }
  });
});
