// Scheduler answers (sacct as Slurm 22.05 prints it on the test clusters) and job scripts rendered from slurm/templates.
import { describe, expect, it } from 'vitest';
import { arrayRanges, chunkTasks, nodePairs, planCases } from '../../src/federation/index.js';
import { parseSuite } from '../../src/suite/index.js';
import { parseSite } from '../../src/sites/index.js';
import {
  describeEnd,
  expandArrayIndices,
  parseMaxArraySize,
  parseSacct,
  parseSbatch,
  recordStatusFor,
  renderArrayScript,
  slurmScheduler,
} from '../../src/slurm/index.js';

// Recorded from `sacct -P -n --format=<SACCT_FIELDS>` on the test site alpha (pm_counters energy plugin), plus
// a pending range, a FAILED, a TIMEOUT and a cancelled task as 22.05 writes them.
const SACCT = `7_0|8|COMPLETED|0:0|00:00:04|2026-11-26T17:19:59|2026-11-26T17:20:03|a100-01|None||gpu|alpha
7_0.batch|8.batch|COMPLETED|0:0|00:00:04|2026-11-26T17:19:59|2026-11-26T17:20:03|a100-01||1600||alpha
7_1|9|FAILED|1:0|00:00:01|2026-11-26T17:19:59|2026-11-26T17:20:00|a100-02|NonZeroExitCode||gpu|alpha
7_1.batch|9.batch|FAILED|1:0|00:00:01|2026-11-26T17:19:59|2026-11-26T17:20:00|a100-02||0||alpha
7_2|10|TIMEOUT|0:0|00:01:05|2026-11-26T17:19:59|2026-11-26T17:21:04|a100-01|TimeLimit||gpu|alpha
7_2.batch|10.batch|CANCELLED|0:15|00:01:06|2026-11-26T17:19:59|2026-11-26T17:21:05|a100-01||5100||alpha
7_3|11|CANCELLED by 0|0:0|00:00:09|2026-11-26T17:19:59|2026-11-26T17:20:08|a100-02|None||gpu|alpha
7_3.batch|11.batch|CANCELLED|0:15|00:00:09|2026-11-26T17:19:59|2026-11-26T17:20:08|a100-02||900||alpha
7_7|12|CANCELLED by 0|0:0|00:00:00|None|2026-11-26T17:20:08|None assigned|None||gpu|alpha
7_8|13|COMPLETED|0:0|00:00:17|2026-11-26T17:19:59|Unknown|a100-01|None||gpu|alpha
7_8.batch|13.batch|COMPLETED|0:0|00:00:17|2026-11-26T17:19:59|Unknown|a100-01||0||alpha
7_[4-6,9%2]|7|PENDING|0:0|00:00:00|Unknown|Unknown|None assigned|Priority||gpu|alpha
`;

describe('parseSacct', () => {
  const t = parseSacct(SACCT);
  it('reads array tasks with state, exit code, elapsed, node and the .batch step energy', () => {
    expect(t.get('7_0')).toMatchObject({
      state: 'COMPLETED',
      exitCode: '0:0',
      elapsedSeconds: 4,
      node: 'a100-01',
      consumedEnergyJ: 1600,
      cluster: 'alpha',
      partition: 'gpu',
    });
    expect(t.get('7_1')).toMatchObject({
      state: 'FAILED',
      exitCode: '1:0',
      consumedEnergyJ: null,
      reason: 'NonZeroExitCode',
    });
    expect(t.get('7_1')!.energyNote).toMatch(/no energy/);
    expect(t.get('7_2')).toMatchObject({ state: 'TIMEOUT', elapsedSeconds: 65, consumedEnergyJ: 5100 });
    expect(t.get('7_3')!.state).toBe('CANCELLED');
    // cancelled while its script ran: the script's signal (the batch step's code), which Slurm writes to the job's
    // own row only later; cancelled while pending (no batch step): the job's 0:0
    expect(t.get('7_3')!.exitCode).toBe('0:15');
    expect(t.get('7_7')).toMatchObject({ state: 'CANCELLED', exitCode: '0:0' });
    // a timed-out job keeps its own row's code
    expect(t.get('7_2')!.exitCode).toBe('0:0');
  });
  it('reads a job whose end accounting has not written yet as still completing (its elapsed would change)', () => {
    // constructed from the chaos soak's case: slurmdbd back up moments before the job ended, sacct said COMPLETED
    // with End Unknown and elapsed = now - start; a later sacct gave the real end
    expect(t.get('7_8')).toMatchObject({ state: 'COMPLETING', end: null });
    expect(slurmScheduler.phase(t.get('7_8')!.state)).toBe('running');
    expect(t.get('7_8')!.reason).toMatch(/not written its end/);
  });
  it('stops waiting for a lost end an hour past the latest the job could have ended (start + time limit)', () => {
    const row = (limit: string) =>
      `9_0|20|COMPLETED|0:0|00:00:17|2026-11-26T17:19:59|Unknown|a100-01|None||gpu|alpha|${limit}\n`;
    const at = (iso: string) => Date.parse(iso);
    // a 10-minute job: at 18:20 the end may still come (COMPLETING); at 18:31 it is taken as lost
    expect(parseSacct(row('00:10:00'), at('2026-11-26T18:20:00')).get('9_0')!.state).toBe('COMPLETING');
    expect(parseSacct(row('00:10:00'), at('2026-11-26T18:31:00')).get('9_0')).toMatchObject({
      state: 'COMPLETED',
      elapsedSeconds: null,
      reason: 'Slurm accounting never wrote its end: elapsed unknown',
    });
    // no limit to bound it by: it keeps waiting
    expect(parseSacct(row('UNLIMITED'), at('2027-01-01T00:00:00')).get('9_0')!.state).toBe('COMPLETING');
  });
  it('expands a pending range into its tasks', () => {
    expect([4, 5, 6, 9].map((i) => t.get(`7_${i}`)?.state)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);
    expect(t.get('7_4')!.node).toBeNull();
    expect(expandArrayIndices('[0-2,5%4]')).toEqual([0, 1, 2, 5]);
  });
  it('maps how a job ended to a record status and a reason', () => {
    expect(recordStatusFor('TIMEOUT')).toBe('timeout');
    expect(recordStatusFor('CANCELLED by 0')).toBe('cancelled');
    expect(recordStatusFor('NODE_FAIL')).toBe('failed');
    expect(describeEnd(t.get('7_2')!)).toBe(
      'TIMEOUT (time limit reached; Slurm reason: TimeLimit) after 65 s on a100-01',
    );
    expect(describeEnd(t.get('7_1')!)).toMatch(/job script failed, exit code 1:0/);
  });
});

describe('sbatch, scontrol', () => {
  it('reads --parsable output and MaxArraySize', () => {
    expect(parseSbatch('123\n')).toEqual({ jobId: '123', cluster: null });
    expect(parseSbatch('55;alpha')).toEqual({ jobId: '55', cluster: 'alpha' });
    expect(parseSbatch('sbatch: error: x')).toBeNull();
    expect(parseMaxArraySize('MaxArraySize            = 1001\nMaxJobCount = 10000')).toBe(1001);
  });
  it('chunks tasks to MaxArraySize', () => {
    expect(chunkTasks(5, 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(arrayRanges(45, 20)).toEqual([
      { offset: 0, count: 20 },
      { offset: 20, count: 20 },
      { offset: 40, count: 5 },
    ]);
  });
  it("plans a custom workload's case with the metric its parameters give (a latency for single-stream)", () => {
    const suite = parseSuite(
      `name: lat
engines: ['onnxruntime:cpu']
benchmarks:
  - { id: mlp, workload: infer-mlp, params: { scenario: [single-stream, offline], features: 32, hidden: 32, layers: 1 } }
  - { id: gemm, workload: gemm, params: { n: 32, dtype: fp32 } }
`,
      'lat.yaml',
    );
    expect(planCases(suite.cases).map((c) => [c.benchmark.kind, c.metric])).toEqual([
      ['inference', { name: 'p90 latency', unit: 'ms', direction: 'lower' }],
      ['inference', expect.objectContaining({ direction: 'higher' })],
      ['kernel', { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' }],
    ]);
  });
});

const PROFILE = `name: s1
scheduler:
  partition: gpu
  account: proj1
  qos: short
  gpus: { style: gres, type: a100, perJob: 2 }
  cpusPerGpu: 8
  memory: 64G
modules: [nodejs/20]
env: { X: "a b $(id)" }
workdir: /work/u
facts:
  gpu: { model: A100, perNode: 4 }
`;

describe('renderArrayScript', () => {
  const site = parseSite(PROFILE, 's1.yaml');
  const job = {
    campaign: 'c1',
    part: '0',
    jobName: 'fb-c1-s1-0',
    campaignDir: '/work/u/campaigns/c1',
    count: 20,
    offset: 40,
    wholeNode: false,
    fedbench: ['node', '/opt/fed bench/main.js'],
  };

  it('writes the profile as #SBATCH lines, quotes what reaches bash', () => {
    const s = renderArrayScript(site, job);
    for (const line of [
      '#SBATCH --array=0-19',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=proj1',
      '#SBATCH --qos=short',
      '#SBATCH --gres=gpu:a100:2',
      '#SBATCH --cpus-per-task=16',
      '#SBATCH --mem=64G',
      '#SBATCH --output=/work/u/campaigns/c1/logs/%A_%a.out',
    ]) {
      expect(s).toContain(line);
    }
    expect(s).toContain("export X='a b $(id)'");
    expect(s).toContain("fedbench=(node '/opt/fed bench/main.js')");
    expect(s).toContain('module load nodejs/20');
    expect(s).toContain('task=$((SLURM_ARRAY_TASK_ID + 40))');
    expect(s).not.toMatch(/\{\{/);
  });
  it('uses --gpus in that style, and every GPU with one srun task each for a whole node', () => {
    const g = parseSite(PROFILE.replace('style: gres', 'style: gpus'), 's1.yaml');
    expect(renderArrayScript(g, job)).toContain('#SBATCH --gpus=a100:2');
    const w = renderArrayScript(site, { ...job, wholeNode: true });
    expect(w).toContain('#SBATCH --gres=gpu:a100:4');
    expect(w).toContain('#SBATCH --ntasks-per-node=4');
    expect(w).toContain('srun --ntasks=4');
    expect(renderArrayScript(site, { ...job, node: 'n17' })).toContain('#SBATCH --nodelist=n17');
  });
  it('a nodes × ranks job: every node and one task and GPU per rank in the site style, ranks started by one srun step', () => {
    const w = renderArrayScript(site, { ...job, world: { nodes: 2, perNode: 4 } });
    for (const line of [
      '#SBATCH --nodes=2',
      '#SBATCH --ntasks-per-node=4',
      '#SBATCH --gres=gpu:a100:4', // gres counts per node
      '#SBATCH --cpus-per-task=8',
    ])
      expect(w).toContain(line);
    expect(w).not.toContain('--nodes=1');
    expect(w).toContain(
      `FEDBENCH_RANK_LAUNCHER='["srun","--label","--kill-on-bad-exit=1","--nodes=2","--ntasks=8","--ntasks-per-node=4","/work/u/campaigns/c1/rank-env.sh"]' "\${fedbench[@]}" run`,
    );
    const g = parseSite(PROFILE.replace('style: gres', 'style: gpus'), 's1.yaml');
    expect(renderArrayScript(g, { ...job, world: { nodes: 2, perNode: 4 } })).toContain(
      '#SBATCH --gpus-per-node=a100:4',
    );
  });
  it("a node-pair sweep's job: its two nodes and no one else on them; a node name that could break out refused", () => {
    const w = renderArrayScript(site, { ...job, world: { nodes: 2, perNode: 1 }, nodes: ['a100-01', 'a100-07'] });
    expect(w).toContain('#SBATCH --nodelist=a100-01,a100-07');
    expect(w).toContain('#SBATCH --exclusive');
    expect(renderArrayScript(site, { ...job, world: { nodes: 2, perNode: 1 } })).not.toContain('--nodelist');
    expect(() =>
      renderArrayScript(site, { ...job, world: { nodes: 2, perNode: 1 }, nodes: ['a', 'b\n#SBATCH --x'] }),
    ).toThrow(/bad node name/);
    expect(nodePairs(['n1', 'n2', 'n3', 'n4'])).toEqual([
      ['n1', 'n2'],
      ['n1', 'n3'],
      ['n1', 'n4'],
      ['n2', 'n3'],
      ['n2', 'n4'],
      ['n3', 'n4'],
    ]);
    expect(nodePairs(['n1'])).toEqual([]);
  });
  it("passes the profile's GPU TDP × the run's GPUs as the estimate for cases no meter measures", () => {
    expect(renderArrayScript(site, job)).not.toContain('--estimate-tdp'); // no TDP declared
    const t = parseSite(
      PROFILE.replace(
        'gpu: { model: A100, perNode: 4 }',
        'gpu: { model: A100, perNode: 4 }\n  peak: { tdpWatts: 400 }',
      ),
      's1.yaml',
    );
    expect(renderArrayScript(t, job)).toContain('--out "$out" --estimate-tdp 800 ||'); // 2 GPUs per job
    expect(renderArrayScript(t, { ...job, wholeNode: true })).toMatch(/run --campaign c1 --estimate-tdp 400 \|\|/); // one GPU per worker
  });
  it('refuses a working directory that cannot sit in an #SBATCH line', () => {
    expect(() => renderArrayScript(site, { ...job, campaignDir: '/work/u s/c1' })).toThrow(/absolute path/);
    expect(() => parseSite(PROFILE.replace('partition: gpu', 'partition: "gpu\\n#SBATCH --x"'), 'p.yaml')).toThrow(
      /p.yaml:3:\d+: scheduler.partition/,
    );
  });
});
