// Defects the chaos soak (src/soak/, issue 23) found, each replayed deterministically on the Slurm test sites:
// - fedbench killed between sbatch's answer and the journal write, the job ended before submit was resumed: the
//   resumed submit ran the job again (it looked only in the queue) and the first job's records were never collected;
// - a task requeued while running ran its cases again beside the records of its first run: collect landed both.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readJournal } from '../../src/federation/index.js';
import { runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { CREDENTIAL_REVOKE_SETTLE_MS } from '../../src/soak/faults.js';
import { fedbench } from '../cli/run-cli.js';
import { down, IN_CI, missingPrerequisite, up, type TestEnv } from './testenv.js';

const missing = missingPrerequisite();
if (missing && IN_CI) throw new Error(`federation tests cannot run in CI: ${missing}`);

function recordsUnder(dir: string): RunRecord[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.json'))
    .map((f) => runRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing !== null)(`defects the soak found${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let env: TestEnv;
  let work: string;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    fedbench(args, {
      cwd: work,
      env: {
        FEDBENCH_SITES: path.join(work, 'sites'),
        FEDBENCH_CAMPAIGNS: path.join(work, 'campaigns'),
        FEDBENCH_DB: 'off',
        ...extra,
      },
    });
  const slurm = (argv: string[]) =>
    execFileSync(argv[0]!, argv.slice(1), {
      env: { ...process.env, SLURM_CONF: env.sites.alpha.slurmConf },
    }).toString();
  const suite = (name: string, seconds: number[]) =>
    writeFileSync(
      path.join(work, `${name}.yaml`),
      stringify({
        name,
        stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 },
        benchmarks: [
          {
            id: 'nap',
            workload: 'command',
            params: { s: seconds },
            command: ['sh', '-c', 'sleep {s}; echo "rate: {s}"'],
            metric: { name: 'rate', unit: 'items/s', direction: 'higher', regex: 'rate: ([0-9.]+)' },
            warmup: 0,
            timeout: 60,
          },
        ],
      }),
    );
  /** Polls squeue until no task of the job is pending, running or requeued. */
  const ended = async (jobName: string) => {
    for (let i = 0; i < 240; i++) {
      const active = slurm(['squeue', '-h', '-r', `--name=${jobName}`, '-o', '%T']).trim();
      if (!active) return;
      await sleep(500);
    }
    throw new Error(`job ${jobName} still active after 120 s`);
  };

  beforeAll(() => {
    env = up();
    work = mkdtempSync(path.join(tmpdir(), 'fedbench-soak-defects-'));
    mkdirSync(path.join(work, 'sites'));
    writeFileSync(path.join(work, 'sites', 'alpha.yaml'), readFileSync(env.sites.alpha.profile));
  });

  afterAll(() => {
    if (env) down();
  });

  it('a submit killed right after sbatch, resumed after the job ended, adopts that job: its cases run once and are collected', async () => {
    suite('quick', [1]);
    const args = ['submit', '--suite', 'quick.yaml', '--sites', 'alpha', '--campaign', 'killed'];
    const killed = await cli(args, { FEDBENCH_FAULT: 'after-sbatch' });
    expect(killed.code).toBeNull(); // SIGKILLed by the hook, after sbatch answered
    const before = readJournal(path.join(work, 'campaigns'), 'killed').sites.alpha!.jobs[0]!;
    expect(before.jobId).toBeNull();
    expect(before.sbatchAt).toBeTruthy(); // the intent was journalled before sbatch ran
    await ended(before.name);
    const resumed = await cli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/alpha: adopted \(submitted before fedbench was stopped\) job \d+/);
    const jobId = readJournal(path.join(work, 'campaigns'), 'killed').sites.alpha!.jobs[0]!.jobId;
    // one job of that name at the site, the one adopted
    const named = slurm(['squeue', '-h', '--states=all', `--name=${before.name}`, '-o', '%F'])
      .trim()
      .split('\n');
    expect([...new Set(named)]).toEqual([jobId]);
    const collected = await cli(['collect', 'killed', '--wait', '--interval', '1', '--timeout', '120']);
    expect(collected.code, collected.stderr).toBe(0);
    const records = recordsUnder(path.join(work, 'results', 'killed'));
    expect(records.map((r) => [r.case, r.status, r.slurm?.jobId])).toEqual([['nap/command/s=1', 'ok', jobId]]);
  }, 240_000);

  it('a task requeued while it ran: each of its cases has one record at home, from the run that finished', async () => {
    suite('pair', [2, 6]);
    const sub = await cli([
      'submit',
      ...['--suite', 'pair.yaml', '--sites', 'alpha', '--campaign', 'requeued', '--cases-per-task', '2'],
    ]);
    expect(sub.code, sub.stderr).toBe(0);
    const j = readJournal(path.join(work, 'campaigns'), 'requeued');
    const job = j.sites.alpha!.jobs[0]!;
    const dir = path.join(j.sites.alpha!.remoteDir!, 'records', `${job.jobId}_0`);
    // the first case has written its record, the second is running: requeue the task now
    for (let i = 0; i < 240; i++) {
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      } catch {
        /* not yet */
      }
      if (files.length === 1) break;
      await sleep(250);
    }
    const firstRun = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(firstRun).toHaveLength(1);
    const firstId = runRecordSchema.parse(JSON.parse(readFileSync(path.join(dir, firstRun[0]!), 'utf8'))).id;
    slurm(['scontrol', 'requeue', `${job.jobId}_0`]);
    // Slurm holds a requeued task back about two minutes (reason BeginTime): it may start now
    for (let i = 0; i < 120; i++) {
      const pending = slurm(['squeue', '-h', '-r', `--name=${job.name}`, '--states=PENDING', '-o', '%r']).trim();
      if (pending === 'BeginTime') {
        // released as the soak does: not within the second slurmd revoked the first run's credential in
        await sleep(CREDENTIAL_REVOKE_SETTLE_MS);
        slurm(['scontrol', 'update', `jobid=${job.jobId}_0`, 'starttime=now']);
        break;
      }
      await sleep(500);
    }
    await ended(job.name);
    const collected = await cli(['collect', 'requeued', '--wait', '--interval', '1', '--timeout', '180']);
    expect(collected.code, collected.stderr).toBe(0);
    const records = recordsUnder(path.join(work, 'results', 'requeued'));
    const onSite = (
      readdirSync(path.join(j.sites.alpha!.remoteDir!, 'records'), { recursive: true }) as string[]
    ).sort();
    expect(
      records.map((r) => `${r.case} ${r.status}`).sort(),
      `${collected.stderr}\non the site: ${onSite.join(', ')}\n${records.map((r) => `${r.case}: ${r.error ?? ''}`).join('\n')}`,
    ).toEqual(['nap/command/s=2 ok', 'nap/command/s=6 ok']);
    // the first run's record of the first case is not among them: the rerun started from scratch
    expect(records.map((r) => r.id)).not.toContain(firstId);
    // ... and is kept on the site beside it, where collect does not look
    expect(onSite).toContain(path.join(`${job.jobId}_0.before-restart-1`, firstRun[0]!));
  }, 240_000);
});
