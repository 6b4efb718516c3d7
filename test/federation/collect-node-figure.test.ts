// `fedbench collect` and the report agree on a whole node's figure, here for a latency (lower is better): the
// slowest GPU, not a sum of medians. No Slurm needed: the site is this machine (local transport), its `sacct` a
// script printing what Slurm 22.05 prints for a finished whole-node task, its records written as a job would.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { nodeFigure, wholeNodes } from '../../src/analysis/index.js';
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
import { buildReportModel } from '../../src/report/index.js';
import { fedbench } from '../cli/run-cli.js';

const CASE = 'cnn-single-stream/onnxruntime/scenario=single-stream';
const LATENCY = { name: 'p90 latency', unit: 'ms', direction: 'lower' } as const;
// GPU 2 is the slow one: the node answers no faster than it
const MEDIANS = [10, 10.5, 14, 11];

describe('node figures of a whole-node latency case', () => {
  let dir: string;
  let campaigns: string;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fedbench-nodefig-'));
    campaigns = path.join(dir, 'campaigns');
    const bin = path.join(dir, 'bin');
    const remoteDir = path.join(dir, 'site/campaigns/lat');
    mkdirSync(bin, { recursive: true });
    // sacct as the whole-node task 7_0 left it (no energy plugin); anything else the adapter asks for fails
    writeFileSync(
      path.join(bin, 'sacct'),
      `#!/bin/sh
printf '%s\\n' '7_0|8|COMPLETED|0:0|00:00:09|2026-11-26T17:19:59|2026-11-26T17:20:08|n1|None||gpu|s' \\
  '7_0.batch|8.batch|COMPLETED|0:0|00:00:09|2026-11-26T17:19:59|2026-11-26T17:20:08|n1||||s'
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
    MEDIANS.forEach((m, w) => {
      const r = syntheticRecord({ site: 's', node: 'n1', case: CASE, median: m, seed: w + 1, kind: 'inference' });
      const record: RunRecord = { ...r, campaign: 'lat', suite: 'lat', metric: LATENCY };
      mkdirSync(path.join(remoteDir, `records/7_0/gpu${w}`), { recursive: true });
      // named as fedbench run names records: the case's parameters make it longer than a local name may be
      const name = `cnn-single-stream_onnxruntime_scenario=single-stream_batch=1_queries=200_seconds=5_p99BoundMs=100_findMaxQps=false_features=256_hidden=512_layers=3.${r.id}.json`;
      writeFileSync(path.join(remoteDir, `records/7_0/gpu${w}/${name}`), JSON.stringify(record));
    });
    const journal: Journal = {
      schema: JOURNAL_SCHEMA,
      name: 'lat',
      createdAt: '2026-11-26T17:19:00.000Z',
      suite: { name: 'lat', file: 'lat.yaml' },
      options: { eachNode: false, wholeNode: true, casesPerTask: 1 },
      resultsDir: path.join(dir, 'results'),
      cases: [
        {
          index: 0,
          id: CASE,
          suite: 'lat',
          benchmark: { id: 'cnn-single-stream', workload: 'infer-cnn', kind: 'inference' },
          engine: 'onnxruntime',
          backend: null,
          params: { scenario: 'single-stream' },
          metric: LATENCY,
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
              name: 'fb-lat-s-0',
              script: `${remoteDir}/job-0.sbatch`,
              node: null,
              wholeNode: true,
              offset: 0,
              count: 1,
              jobId: '7',
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
  });

  it('is the slowest GPU by one rule: nodeFigure', () => {
    expect(nodeFigure('lower', MEDIANS, 4)).toBe(14);
    expect(nodeFigure('higher', MEDIANS, 4)).toBe(45.5);
    // a GPU without a result: no figure either way (a partial sum would pass for a slow node)
    expect(nodeFigure('lower', MEDIANS.slice(0, 3), 4)).toBeNull();
    expect(nodeFigure('higher', [], 0)).toBeNull();
  });

  it('collect records and prints the figure the report shows', async () => {
    const j = readJournal(campaigns, 'lat');
    const pool = new SitePool();
    const out = await collectCampaign({ journal: j, campaignsDir: campaigns, sites: journalSites(j), pool });
    await pool.close();
    expect(out).toMatchObject({ landed: 4, synthesized: 0, complete: true, errors: [] });
    const { records } = await readRecords(j.resultsDir);
    const medians = records.map((r) => r.stats!.median);
    const report = buildReportModel(records).wholeNodes;
    expect(report).toHaveLength(1);
    expect(report[0]!.figureName).toBe('slowest GPU');
    const reported = report[0]!.runs[0]!.figure!;
    expect(reported).toBeCloseTo(Math.max(...medians), 9);
    expect(reported).toBe(wholeNodes(records)[0]!.runs[0]!.figure);
    expect(out.nodeFigures).toEqual([
      {
        site: 's',
        node: 'n1',
        case: CASE,
        workers: 4,
        gpus: 4,
        figure: reported,
        figureName: 'slowest GPU',
        unit: 'ms',
        problem: null,
      },
    ]);
    // not the sum of the medians, which is what collect used to print whatever the direction
    expect(out.nodeFigures[0]!.figure).not.toBeCloseTo(
      medians.reduce((a, b) => a + b, 0),
      3,
    );
  });

  it('the CLI prints that figure', async () => {
    const r = await fedbench(['collect', 'lat', '--campaigns-dir', campaigns], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const { records } = await readRecords(path.join(dir, 'results'));
    const figure = buildReportModel(records).wholeNodes[0]!.runs[0]!.figure!;
    expect(r.stdout).toContain(`node s/n1 ${CASE}: ${figure.toPrecision(4)} ms (slowest GPU) over 4 GPU worker(s)\n`);
  });
});
