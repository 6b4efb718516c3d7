// Ranks started by fedbench (`nodes` × `gpusPerNode`), run for real with a constructed Python program
// (fixtures/ranks.py) that makes a real TCP rendezvous at MASTER_ADDR:MASTER_PORT.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detailsOf, runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { parseSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';
import { ncclTransports, transportFlag } from '../../src/workloads/ranks/index.js';
import { fakeNvidiaSmi } from '../energy/helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const noEnergy = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  visibleDevices: undefined,
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
};

async function run(
  mode: string,
  params: string,
  timeout = 60,
  energy: object = noEnergy,
  markers = false,
): Promise<RunRecord[]> {
  const text = `name: ranks
stop: { minSamples: 2, maxSamples: 2, minSeconds: 0, maxSeconds: 60 }
benchmarks:
  - id: prog
    workload: command
    params: ${params}
    command: [python3, ranks.py, ${mode}]
    warmup: 0
    timeout: ${timeout}
    markers: ${markers}
    metric: { name: throughput, unit: samples/s, direction: higher, regex: 'figure: ([0-9.]+)' }
`;
  const system = await systemInfo();
  const out: RunRecord[] = [];
  for (const c of parseSuite(text, path.join(FIXTURES, 'suite.yaml')).cases) {
    const r = await runCase(c, { campaign: 't', system, energy });
    expect(() => runRecordSchema.parse(r)).not.toThrow();
    out.push(r);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ranks launched by fedbench', () => {
  it('starts N ranks with the rendezvous set, keeps each rank figure and names the slowest; sweeps like a parameter', async () => {
    const records = await run('ok', '{ nodes: 1, gpusPerNode: [1, 3] }');
    expect(records.map((r) => r.case)).toEqual([
      'prog/command/nodes=1,gpusPerNode=1',
      'prog/command/nodes=1,gpusPerNode=3',
    ]);
    const [one, three] = records;
    expect(one!.status, one!.error).toBe('ok');
    expect(three!.status, three!.error).toBe('ok');
    expect(three!.samples).toEqual([10, 10]); // rank 0's figure per invocation
    const d = detailsOf(three!, 'command')!;
    expect(d.ranks).toMatchObject({
      world: 3,
      perNode: 3,
      launcher: 'fedbench (3 local processes)',
      rendezvous: { masterAddr: '127.0.0.1' },
      perRank: [
        { rank: 0, localRank: 0, figure: 10, exitCode: 0 },
        { rank: 1, localRank: 1, figure: 20, exitCode: 0 },
        { rank: 2, localRank: 2, figure: 30, exitCode: 0 },
      ],
      // higher is better: the slowest rank is the one with the lowest figure
      summary: { min: 10, median: 20, max: 30, slowestRank: 0 },
    });
    expect(d.ranks!.nodes).toHaveLength(1);
    expect(d.ranks!.rendezvous.masterPort).toBeGreaterThan(0);
    expect(detailsOf(one!, 'command')!.ranks!.world).toBe(1);
  });

  it('a rank that crashes fails the case naming the rank, and the rank left waiting is killed', async () => {
    const pids = mkdtempSync(path.join(tmpdir(), 'ranks-'));
    process.env.PIDS_DIR = pids;
    const t0 = Date.now();
    const [r] = await run('crash', '{ gpusPerNode: 2 }', 120).finally(() => delete process.env.PIDS_DIR);
    expect(Date.now() - t0).toBeLessThan(60_000); // far inside the 120 s time-out: the crash ends the case
    expect(r!.status).toBe('failed');
    expect(r!.error).toMatch(/rank 1 of 2 on node .*exited with code 3/);
    expect(detailsOf(r!, 'command')!.stderrTail).toContain('simulated fault');
    for (const f of readdirSync(pids)) expect(alive(Number(readFileSync(path.join(pids, f), 'utf8')))).toBe(false);
  });

  it('ranks that hang are killed at the time-out, with a failed record saying so', async () => {
    const pids = mkdtempSync(path.join(tmpdir(), 'ranks-'));
    process.env.PIDS_DIR = pids;
    const [r] = await run('hang', '{ gpusPerNode: 2 }', 2).finally(() => delete process.env.PIDS_DIR);
    expect(r!.status).toBe('failed');
    expect(r!.error).toMatch(/per-invocation time-out \(timeout: 2 s\)/);
    expect(readdirSync(pids)).toHaveLength(2);
    await new Promise((ok) => setTimeout(ok, 3000)); // SIGKILL follows SIGTERM after a 2 s grace
    for (const f of readdirSync(pids)) expect(alive(Number(readFileSync(path.join(pids, f), 'utf8')))).toBe(false);
  });

  it('opens the energy meters before the ranks start, so opening never runs inside their measured part', async () => {
    // A stand-in nvidia-smi that logs when it is asked for the GPU list (the meter's opening query).
    const dir = mkdtempSync(path.join(tmpdir(), 'ranks-smi-'));
    const log = path.join(dir, 'calls');
    const smi = path.join(dir, 'nvidia-smi');
    writeFileSync(
      smi,
      `#!/bin/sh\ncase "$1" in --query-gpu=index,*) date +%s%N >> "${log}" ;; esac\nexec "${fakeNvidiaSmi().binary}" "$@"\n`,
    );
    chmodSync(smi, 0o755);
    const pids = mkdtempSync(path.join(tmpdir(), 'ranks-'));
    process.env.PIDS_DIR = pids;
    const [r] = await run('marked', '{ gpusPerNode: 2 }', 60, { ...noEnergy, nvidiaSmi: smi }, true).finally(
      () => delete process.env.PIDS_DIR,
    );
    expect(r!.status, r!.error).toBe('ok');
    expect(r!.energy).toMatchObject({ status: 'measured', source: 'nvidia-smi' });
    const opened = readFileSync(log, 'utf8').trim().split('\n').map(BigInt);
    const begins = readdirSync(pids)
      .filter((f) => f.startsWith('begin-'))
      .flatMap((f) => readFileSync(path.join(pids, f), 'utf8').trim().split('\n').map(BigInt));
    expect(begins).toHaveLength(4); // 2 ranks × 2 invocations
    expect(opened.length).toBeGreaterThan(0);
    // the meter's opening query ran before any rank entered its measured part
    for (const b of begins) expect(opened[0]! < b).toBe(true);
  });

  it('a world that is not whole numbers ≥ 1 is refused when the suite loads, naming file, line and field', () => {
    const text =
      'name: r\nbenchmarks:\n  - id: p\n    workload: command\n    params: { gpusPerNode: [2, 0] }\n    command: [python3, ranks.py, ok]\n';
    expect(() => parseSuite(text, 'w.yaml')).toThrow(
      /^w\.yaml:5:\d+: benchmarks\[0\]\.params\.gpusPerNode: gpusPerNode must be a whole number ≥ 1 \(got 0\)/,
    );
  });

  it('more than one node outside a Slurm job is a skipped record saying why', async () => {
    const [r] = await run('ok', '{ nodes: 2, gpusPerNode: 1 }');
    expect(r!.status).toBe('skipped');
    expect(r!.error).toMatch(/nodes: 2 needs a Slurm job spanning 2 nodes/);
  });
});

describe('transport from NCCL log lines', () => {
  // constructed lines in NCCL 2.18's format (no GPU here)
  const intra =
    'gpu01:1:1 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC\ngpu01:1:1 [0] NCCL INFO Channel 01/0 : 0[0] -> 1[1] via P2P/IPC';
  const ib =
    'gpu01:1:1 [0] NCCL INFO Channel 00/0 : 1[1] -> 2[0] [send] via NET/IB/0/GDRDMA\ngpu01:1:1 [0] NCCL INFO Channel 01/0 : 1[1] -> 2[0] [send] via NET/IB/1/GDRDMA';
  const socket = 'gpu01:1:1 [0] NCCL INFO Channel 00/0 : 1[1] -> 2[0] [send] via NET/Socket/0';
  it('names each transport once and flags sockets or a single rail between nodes only', () => {
    expect(ncclTransports(intra)).toEqual(['P2P/IPC']);
    expect(ncclTransports(ib)).toEqual(['NET/IB/0/GDRDMA', 'NET/IB/1/GDRDMA']);
    expect(transportFlag(ncclTransports(intra), 1)).toBeUndefined();
    expect(transportFlag(ncclTransports(ib), 2)).toBeUndefined();
    expect(transportFlag(ncclTransports(socket), 2)).toMatch(/sockets/);
    expect(transportFlag(ncclTransports(ib.split('\n')[0]!), 2)).toMatch(/single InfiniBand rail/);
  });
});
