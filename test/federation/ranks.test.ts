// Multi-node cases for real on the test sites (slurm/testenv/up.sh: site alpha has 2 nodes): a 2-node × 2-rank
// gloo all-reduce sweep (PyTorch from Debian's python3-torch) submitted, collected and read back; a case asking for
// more nodes than the partition has is refused before anything is submitted.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildReportModel } from '../../src/report/index.js';
import { readJournal } from '../../src/federation/index.js';
import { detailsOf, readRecords, type RunRecord } from '../../src/results/index.js';
import { fedbench } from '../cli/run-cli.js';
import { down, IN_CI, missingPrerequisite, ROOT, up, type TestEnv } from './testenv.js';

const missing = missingPrerequisite();
if (missing && IN_CI) throw new Error(`federation tests cannot run in CI: ${missing}`);

let env: TestEnv;
let work: string;
let sitesDir: string;
let campaigns: string;
const cli = (args: string[]) =>
  fedbench(args, { cwd: work, env: { FEDBENCH_SITES: sitesDir, FEDBENCH_CAMPAIGNS: campaigns } });

/** The comm suite's gloo all-reduce at `nodes` × 2 ranks, sizes 8 B … 64 KiB (Debian's python3 and torch). */
function commSuite(name: string, nodes: number[]): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      name,
      stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 },
      benchmarks: [
        {
          id: 'allreduce',
          workload: 'command',
          params: { nodes, gpusPerNode: 2 },
          cwd: path.join(ROOT, 'benchmarks/scripts'),
          command: [
            '/usr/bin/python3',
            'comm.py',
            '--collective',
            'all_reduce',
            '--backend',
            'gloo',
            '--max-bytes',
            '65536',
            '--seconds',
            '0.01',
          ],
          warmup: 0,
          markers: true,
          timeout: 240,
          metric: { name: 'busbw', unit: 'GB/s', direction: 'higher', json: 'busbw' },
        },
        {
          // the scaling suite's DDP case at 1 and 2 nodes (one rank each)
          id: 'ddp',
          workload: 'command',
          params: { nodes, gpusPerNode: 1 },
          cwd: path.join(ROOT, 'benchmarks/scripts'),
          command: [
            '/usr/bin/python3',
            'ddp_scaling.py',
            '--model',
            'mlp',
            '--batch',
            '32',
            '--steps',
            '5',
            '--rounds',
            '2',
          ],
          samples: 'all',
          markers: true,
          timeout: 240,
          metric: { name: 'throughput', unit: 'samples/s', direction: 'higher', json: 'samples_per_s' },
        },
        {
          // constructed fault: every rank hangs; the srun step must be killed at the 5 s time-out, not at the job's limit
          id: 'hang',
          workload: 'command',
          params: { nodes: 2, gpusPerNode: 1 },
          command: ['/usr/bin/python3', path.join(ROOT, 'test/workloads/fixtures/ranks.py'), 'hang'],
          warmup: 0,
          timeout: 5,
          metric: { name: 'throughput', unit: 'samples/s', direction: 'higher', regex: 'figure: ([0-9.]+)' },
        },
        {
          // constructed fault: rank 1 exits 3 while rank 0 waits for it forever
          id: 'crash',
          workload: 'command',
          params: { nodes: 2, gpusPerNode: 2 },
          command: ['/usr/bin/python3', path.join(ROOT, 'test/workloads/fixtures/ranks.py'), 'crash'],
          warmup: 0,
          timeout: 240,
          metric: { name: 'throughput', unit: 'samples/s', direction: 'higher', regex: 'figure: ([0-9.]+)' },
        },
      ],
    }),
  );
  return file;
}

describe.skipIf(missing !== null)(
  `ranks across nodes on a Slurm site${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    beforeAll(() => {
      env = up();
      work = mkdtempSync(path.join(tmpdir(), 'fedbench-ranks-'));
      sitesDir = path.join(work, 'sites');
      campaigns = path.join(work, 'campaigns');
      mkdirSync(sitesDir);
      writeFileSync(path.join(sitesDir, 'alpha.yaml'), readFileSync(env.sites.alpha.profile));
    });
    afterAll(() => {
      if (env) down();
    });

    it('a 2-node × 2-rank gloo all-reduce sweep and DDP at 1 and 2 nodes: submitted, collected, reported; a crashing rank named, a hung step killed at its time-out', async () => {
      // Slurm's pm_counters plugin on alpha reads these files (both nodes of the site read the same ones): a node
      // drawing 500 W, so that sacct accounts every node of a job. Replaced whole, never read half-written.
      let joules = 1000;
      const put = (name: string, text: string) => {
        const file = path.join(env.sites.alpha.pmCounters, name);
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      };
      const energyWriter = setInterval(() => {
        joules += 50;
        put('energy', `${joules} J\n`);
        put('power', '500 W\n');
      }, 100);
      const s = await cli(['submit', '--suite', commSuite('comm2', [1, 2]), '--sites', 'alpha', '--campaign', 'comm2']);
      expect(s.code, s.stdout + s.stderr).toBe(0);
      // generous: on a busy 2-core machine the 2-node DDP case alone can take minutes to start and run
      const c = await cli(['collect', 'comm2', '--wait', '--interval', '1', '--timeout', '600']).finally(() =>
        clearInterval(energyWriter),
      );
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(path.join(work, 'results', 'comm2'));
      expect(records).toHaveLength(6);
      const hang = records.find((r) => r.benchmark.id === 'hang')!;
      expect(hang.status).toBe('failed');
      expect(hang.error).toMatch(/ran past its per-invocation time-out \(timeout: 5 s\) and was killed/);
      const two = records.find((r) => r.benchmark.id === 'allreduce' && r.benchmark.params.nodes === 2)!;
      expect(two.status, two.error).toBe('ok');
      expect(two.slurm).toMatchObject({ state: 'COMPLETED' });
      const d = detailsOf(two, 'command')!;
      expect(d.ranks!.world).toBe(4);
      // fedbench's meters read one node; collect replaced them with the scheduler's figure for both nodes of the job
      expect(two.energy).toMatchObject({
        status: 'measured',
        method: 'scheduler',
        source: 'slurm sacct ConsumedEnergyRaw',
      });
      const e = two.energy as Extract<RunRecord['energy'], { status: 'measured' }>;
      expect(e.joules).toBe(two.slurm!['consumedEnergyJ']);
      expect(e.readings?.[0]?.note).toMatch(/on every node \(a100-0[12], a100-0[12]\)/);
      expect(e.unavailable?.[0]?.reason).toMatch(/^read on a100-0[12] only, where fedbench ran .*other 1 node\(s\)/);
      expect(two.warnings.filter((w) => w.startsWith('energy covers only this node'))).toEqual([]);
      expect([...d.ranks!.nodes].sort()).toEqual(['a100-01', 'a100-02']);
      expect(d.ranks!.launcher).toMatch(/^srun .*--nodes=2 .*--ntasks-per-node=2/);
      expect(d.ranks!.rendezvous.masterAddr).toBe(env.sites.alpha.address); // the first node's NodeAddr
      expect(d.ranks!.perRank.map((r) => [r.rank, r.localRank])).toEqual([
        [0, 0],
        [1, 1],
        [2, 0],
        [3, 1],
      ]);
      expect(d.ranks!.perRank.every((r) => r.figure !== null && r.figure > 0)).toBe(true);
      expect(d.comm!.backend).toBe('gloo');
      expect(d.comm!.rows.map((r) => r.bytes)).toEqual(Array.from({ length: 14 }, (_, i) => 8 * 2 ** i));
      // all-reduce over 4 ranks: busbw = algbw × 2(n-1)/n = 1.5 algbw
      for (const r of d.comm!.rows) expect(r.busbw).toBeCloseTo(r.algbw * 1.5, 9);
      // a rank that crashes ends the srun step (--kill-on-bad-exit): a failed record naming the rank, inside the time-out
      const crash = records.find((r) => r.benchmark.id === 'crash')!;
      expect(crash.status).toBe('failed');
      expect(crash.error).toMatch(/rank 1 of 4 on node a100-01: Exited with exit code 3/);
      expect(detailsOf(crash, 'command')!.stderrTail).toContain('simulated fault');
      // DDP at 1 and 2 nodes: the report's scaling efficiency T(2) / (2 × T(1)) and communication share, and the
      // all-reduce's busbw curve for 4 ranks on 2 nodes at site alpha
      for (const ddp of records.filter((r) => r.benchmark.id === 'ddp')) {
        expect(
          ddp.status,
          `${ddp.benchmark.params.nodes} node(s): ${ddp.error}\n${detailsOf(ddp, 'command')?.stderrTail ?? ''}`,
        ).toBe('ok');
      }
      const m = buildReportModel(records);
      const eff = m.comm.scaling.filter((r) => r.benchmark === 'ddp' && r.site === 'alpha');
      expect(eff.map((r) => [r.world, r.nodes])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      expect(eff[0]!.efficiency).toBe(1);
      expect(eff[1]!.efficiency).toBeCloseTo(eff[1]!.median / (2 * eff[0]!.median), 9);
      expect(eff[1]!.commShare).toBeGreaterThanOrEqual(0);
      expect(m.comm.curves).toContainEqual(
        expect.objectContaining({ site: 'alpha', collective: 'all_reduce', world: 4, nodes: 2 }),
      );
      const one = records.find((r) => r.benchmark.id === 'allreduce' && r.benchmark.params.nodes === 1)!;
      expect(one.status, one.error).toBe('ok');
      expect(detailsOf(one, 'command')!.ranks!.nodes).toHaveLength(1);
    }, 900_000);

    it("a node-pair sweep: one job on the pair of alpha's nodes, each node's first rank reading its ports, the report's pair view", async () => {
      const file = path.join(work, 'pairs.yaml');
      writeFileSync(
        file,
        stringify({
          name: 'pairs',
          stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 },
          benchmarks: [
            {
              id: 'pair',
              workload: 'command',
              params: { nodes: 2, gpusPerNode: 1 },
              cwd: path.join(ROOT, 'benchmarks/scripts'),
              command: [
                '/usr/bin/python3',
                'comm.py',
                '--collective',
                'all_reduce',
                '--backend',
                'gloo',
                '--max-bytes',
                '65536',
                '--seconds',
                '0.01',
              ],
              warmup: 0,
              markers: true,
              metric: { name: 'busbw', unit: 'GB/s', direction: 'higher', json: 'busbw' },
              timeout: 120,
            },
          ],
        }),
      );
      const s = await cli(['submit', '--suite', file, '--sites', 'alpha', '--campaign', 'pairs', '--node-pairs']);
      expect(s.code, s.stdout + s.stderr).toBe(0);
      const journal = readJournal(campaigns, 'pairs');
      expect(journal.sites.alpha!.jobs.map((j) => j.nodes)).toEqual([['a100-01', 'a100-02']]);
      const c = await cli(['collect', 'pairs', '--wait', '--interval', '1', '--timeout', '300']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(path.join(work, 'results', 'pairs'));
      expect(records).toHaveLength(1);
      const r = records[0]!;
      expect(r.status, r.error).toBe('ok');
      const ranks = detailsOf(r, 'command')!.ranks!;
      expect([...ranks.nodes].sort()).toEqual(['a100-01', 'a100-02']);
      // both nodes reported their ports (the test sites have no HCA: none, said as an empty list)
      expect(ranks.fabric!.map((f) => [f.node, f.infiniband]).sort()).toEqual([
        ['a100-01', []],
        ['a100-02', []],
      ]);
      const [view] = buildReportModel(records).comm.pairs;
      expect(view).toMatchObject({ site: 'alpha', nodes: ['a100-01', 'a100-02'], suspects: [] });
      expect(view!.pairs).toEqual([expect.objectContaining({ a: 'a100-01', b: 'a100-02', runs: 1, ofBest: null })]);
      expect(view!.note).toMatch(/one pair of nodes measured/);
    }, 600_000);

    it('more nodes than the partition has: refused before submit, naming the case, the partition and the count', async () => {
      const s = await cli(['submit', '--suite', commSuite('comm3', [3]), '--sites', 'alpha', '--campaign', 'comm3']);
      expect(s.code).not.toBe(0);
      expect(s.stderr).toMatch(
        /case allreduce\/command\/nodes=3,gpusPerNode=2 asks for 3 nodes; partition 'gpu' of site alpha has 2/,
      );
    });
  },
);
