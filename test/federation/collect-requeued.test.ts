// A task that ran a case twice (requeued after the case had written its record, on a site whose job script predates
// the clean start) leaves two records of one case: collect keeps the later run's and quarantines the other, saying
// why, and a second collect changes nothing. Found by the soak (issue 23). No Slurm needed: the site is this machine
// (local transport), its `sacct` a script printing a finished task; the two records are constructed.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import {
  collectCampaign,
  JOURNAL_SCHEMA,
  journalSites,
  readJournal,
  saveJournal,
  SitePool,
  type Journal,
} from '../../src/federation/index.js';
import { readRecords, type RunRecord } from '../../src/results/index.js';

const CASE = 'gemm/onnxruntime/n=64';

describe('collect of a task that ran a case twice', () => {
  it('keeps one record per case, the later run, and quarantines the earlier one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-requeued-'));
    const campaigns = path.join(dir, 'campaigns');
    const bin = path.join(dir, 'bin');
    const remoteDir = path.join(dir, 'site/campaigns/rq');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, 'sacct'),
      `#!/bin/sh
printf '%s\\n' '9_0|10|COMPLETED|0:0|00:00:20|2026-12-07T07:00:00|2026-12-07T07:00:20|n1|None||gpu|s'
`,
    );
    chmodSync(path.join(bin, 'sacct'), 0o755);
    const profile = path.join(dir, 's.yaml');
    writeFileSync(
      profile,
      stringify({
        name: 's',
        scheduler: { partition: 'gpu', timeLimit: '00:10:00', gpus: { style: 'gres', perJob: 1 } },
        workdir: path.join(dir, 'site'),
        env: { PATH: `${bin}:${process.env['PATH']}` },
        facts: { gpu: { model: 'NVIDIA A100', perNode: 4 }, peak: { fp32TFlops: 19.5 } },
      }),
    );
    // constructed: the first run's record (finished 07:00:05, then the task was requeued) and the rerun's (07:00:18)
    const runs = [
      { seed: 1, finishedAt: '2026-12-07T07:00:05.000Z' },
      { seed: 2, finishedAt: '2026-12-07T07:00:18.000Z' },
    ].map(({ seed, finishedAt }) => {
      const r = syntheticRecord({ site: 's', node: 'n1', case: CASE, median: 100, seed, kind: 'kernel' });
      const record: RunRecord = { ...r, campaign: 'rq', suite: 'rq', finishedAt };
      mkdirSync(path.join(remoteDir, 'records/9_0'), { recursive: true });
      writeFileSync(path.join(remoteDir, `records/9_0/gemm.${r.id}.json`), JSON.stringify(record));
      return record;
    });
    const journal: Journal = {
      schema: JOURNAL_SCHEMA,
      name: 'rq',
      createdAt: '2026-12-07T06:59:00.000Z',
      suite: { name: 'rq', file: 'rq.yaml' },
      options: { eachNode: false, wholeNode: false, casesPerTask: 1 },
      resultsDir: path.join(dir, 'results'),
      cases: [
        {
          index: 0,
          id: CASE,
          suite: 'rq',
          benchmark: { id: 'gemm', workload: 'gemm', kind: 'kernel' },
          engine: 'onnxruntime',
          backend: null,
          params: { n: 64 },
          metric: runs[0]!.metric,
        },
      ],
      tasks: [[0]],
      sites: {
        s: {
          profile,
          remoteDir,
          gpusPerNode: 4,
          jobs: [
            {
              part: '0',
              name: 'fb-rq-s-0',
              script: `${remoteDir}/job-0.sbatch`,
              node: null,
              wholeNode: false,
              offset: 0,
              count: 1,
              jobId: '9',
              cluster: null,
              submittedAt: null,
            },
          ],
          error: null,
          progress: {},
        },
      },
    };
    await saveJournal(campaigns, journal);
    const collect = async () => {
      const j = readJournal(campaigns, 'rq');
      const pool = new SitePool();
      try {
        return await collectCampaign({ journal: j, campaignsDir: campaigns, sites: journalSites(j), pool });
      } finally {
        await pool.close();
      }
    };
    const out = await collect();
    expect(out).toMatchObject({ landed: 1, synthesized: 0, complete: true, errors: [] });
    expect(out.quarantined).toHaveLength(1);
    expect(out.quarantined[0]!.reason).toBe(
      `a second record of case '${CASE}' in this task (finished ${runs[0]!.finishedAt}): the task ran it again (requeued?); the later one is kept`,
    );
    const { records } = await readRecords(journal.resultsDir);
    expect(records.map((r) => r.id)).toEqual([runs[1]!.id]);
    expect(readdirSync(path.join(campaigns, 'rq.quarantine/s/9_0'))).toHaveLength(2); // the file and why
    // collected: a second collect lands nothing more
    expect(await collect()).toMatchObject({ landed: 0, quarantined: [], complete: true });
    expect((await readRecords(journal.resultsDir)).records).toHaveLength(1);
  });
});
