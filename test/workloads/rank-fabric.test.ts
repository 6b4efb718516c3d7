// Every node's InfiniBand ports in a ranked case's record, as the job script's rank-env.sh reads them on each
// node's first rank. No Slurm here: a stand-in launcher plays `srun --label` (each task numbered, its node named,
// SLURM_* set) and runs the real rank-env.sh, with a stand-in `scontrol` and a constructed sysfs tree per node.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { transports } from '../../src/analysis/index.js';
import { detailsOf, runRecordSchema } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { parseSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';
import { LAUNCHER_ENV, portOf } from '../../src/workloads/ranks/launch.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RANK_ENV = path.resolve(HERE, '../../slurm/templates/rank-env.sh');
const noEnergy = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  visibleDevices: undefined,
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
};

/** A constructed sysfs port. */
function port(root: string, device: string, n: number, state: string, rate: string, layer = 'InfiniBand'): void {
  const dir = path.join(root, device, 'ports', String(n));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'state'), `${state}\n`);
  writeFileSync(path.join(dir, 'rate'), `${rate}\n`);
  writeFileSync(path.join(dir, 'link_layer'), `${layer}\n`);
}

const saved = process.env[LAUNCHER_ENV];
const savedPath = process.env.PATH;
afterEach(() => {
  if (saved === undefined) delete process.env[LAUNCHER_ENV];
  else process.env[LAUNCHER_ENV] = saved;
  process.env.PATH = savedPath;
});

describe("every node's fabric in a ranked record", () => {
  it('reads the ports of each node of the job, and the report flags a down port on a node other than rank 0s', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'fb-rank-fabric-'));
    // n1: two healthy HDR ports; n2: one HDR port and one that is down; n3: no HCA at all
    port(path.join(tmp, 'ib', 'n1'), 'mlx5_0', 1, '4: ACTIVE', '200 Gb/sec (4X HDR)');
    port(path.join(tmp, 'ib', 'n1'), 'mlx5_1', 1, '4: ACTIVE', '200 Gb/sec (4X HDR)');
    port(path.join(tmp, 'ib', 'n2'), 'mlx5_0', 1, '4: ACTIVE', '200 Gb/sec (4X HDR)');
    port(path.join(tmp, 'ib', 'n2'), 'mlx5_1', 1, '1: DOWN', '10 Gb/sec (4X SDR)');
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'scontrol'),
      '#!/bin/sh\n# stand-in: the three nodes of the job, each at this machine\ncase "$2" in hostnames) printf "n1\\nn2\\nn3\\n";; node) echo "NodeName=$3 NodeAddr=127.0.0.1 State=ALLOCATED";; esac\n',
    );
    // stand-in for `srun --label --ntasks=6 --ntasks-per-node=2 rank-env.sh PROGRAM…`: two tasks per node
    writeFileSync(
      path.join(bin, 'fake-srun'),
      `#!/bin/bash
for t in 0 1 2 3 4 5; do
  node="n$((t / 2 + 1))"
  SLURM_PROCID=$t SLURM_LOCALID=$((t % 2)) SLURM_NTASKS=6 SLURM_NTASKS_PER_NODE=2 SLURMD_NODENAME=$node \\
    SLURM_JOB_NODELIST=n[1-3] FEDBENCH_INFINIBAND_ROOT=${JSON.stringify(path.join(tmp, 'ib'))}/$node \\
    ${JSON.stringify(RANK_ENV)} "$@" 2>&1 | sed -u "s/^/$t: /" &
done
wait
`,
    );
    for (const f of ['scontrol', 'fake-srun']) chmodSync(path.join(bin, f), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
    process.env[LAUNCHER_ENV] = JSON.stringify([path.join(bin, 'fake-srun')]);

    const suite = parseSuite(
      `name: fabric
stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 }
benchmarks:
  - id: prog
    workload: command
    params: { nodes: 3, gpusPerNode: 2 }
    command: [python3, ranks.py, ok]
    warmup: 0
    timeout: 60
    metric: { name: throughput, unit: samples/s, direction: higher, regex: 'figure: ([0-9.]+)' }
`,
      path.join(HERE, 'fixtures', 'suite.yaml'),
    );
    const r = await runCase(suite.cases[0]!, { campaign: 't', system: await systemInfo(), energy: noEnergy });
    const ranks = detailsOf(r, 'command')?.ranks;
    expect(r.status, r.error ?? '').toBe('ok');
    expect(runRecordSchema.parse(r)).toBeTruthy();
    expect(ranks!.nodes.sort()).toEqual(['n1', 'n2', 'n3']);
    // one entry per node, from its first rank only (the second rank of a node reports nothing)
    expect(ranks!.fabric!.map((f) => f.node).sort()).toEqual(['n1', 'n2', 'n3']);
    const byNode = Object.fromEntries(ranks!.fabric!.map((f) => [f.node, f.infiniband]));
    expect(byNode.n1!.map((p) => [p.device, p.port, p.state, p.gbitPerSec])).toEqual([
      ['mlx5_0', 1, '4: ACTIVE', 200],
      ['mlx5_1', 1, '4: ACTIVE', 200],
    ]);
    expect(byNode.n2![1]).toEqual({
      device: 'mlx5_1',
      port: 1,
      state: '1: DOWN',
      rate: '10 Gb/sec (4X SDR)',
      gbitPerSec: 10,
      linkLayer: 'InfiniBand',
    });
    // the port lines are not the program's: each rank's figure is still its own
    expect(ranks!.perRank.map((x) => x.figure)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(byNode.n3).toEqual([]); // no HCA: said as no ports

    // the transport table names the node of the down port (a comm table makes the record a collective's)
    const d = detailsOf(r, 'command')!;
    d.comm = { backend: 'gloo', transport: ['gloo over TCP'], rows: [] };
    const [row] = transports([r]);
    expect(row!.fabric).toEqual(['n2: InfiniBand port mlx5_1/1 is DOWN, not ACTIVE']);
  });

  it('reads a port line only in its exact shape', () => {
    expect(portOf('FEDBENCH:PORT|mlx5_0|1|4: ACTIVE|100 Gb/sec (4X EDR)|InfiniBand')).toMatchObject({
      gbitPerSec: 100,
    });
    expect(portOf('FEDBENCH:PORT|mlx5_0|x|4: ACTIVE|100 Gb/sec|InfiniBand')).toBeNull();
    expect(portOf('FEDBENCH:PORT|mlx5_0|1|ACTIVE')).toBeNull();
    expect(portOf('figure: 12')).toBeNull();
  });
});
