// The node's fabric in the record: InfiniBand ports read from sysfs and nvidia-smi's GPU topology. These machines have
// neither an HCA nor a GPU, so the sysfs tree and nvidia-smi below are CONSTRUCTED in a temporary folder, in the
// kernel's and nvidia-smi's formats (the same files `ibstat` reads).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fabricProblems, transports } from '../../src/analysis/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { buildReportModel, renderReportBody } from '../../src/report/index.js';
import { runRecordSchema } from '../../src/results/index.js';
import { gpuTopology, infinibandPorts } from '../../src/system/index.js';

function sysfs(ports: Array<[string, number, string, string, string]>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fedbench-ib-'));
  for (const [device, port, state, rate, layer] of ports) {
    const dir = path.join(root, device, 'ports', String(port));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'state'), `${state}\n`);
    writeFileSync(path.join(dir, 'rate'), `${rate}\n`);
    writeFileSync(path.join(dir, 'link_layer'), `${layer}\n`);
  }
  return root;
}

describe('fabric', () => {
  it("reads every HCA's ports with state and rate, and names a port that is down or slower than the others", async () => {
    const root = sysfs([
      ['mlx5_1', 1, '1: DOWN', '10 Gb/sec (4X SDR)', 'InfiniBand'],
      ['mlx5_0', 1, '4: ACTIVE', '200 Gb/sec (4X HDR)', 'InfiniBand'],
      ['mlx5_2', 1, '4: ACTIVE', '100 Gb/sec (2X HDR)', 'InfiniBand'],
      ['mlx5_3', 1, '4: ACTIVE', '25 Gb/sec (1X EDR)', 'Ethernet'],
    ]);
    const ports = await infinibandPorts(root);
    expect(ports.map((p) => [p.device, p.port, p.gbitPerSec])).toEqual([
      ['mlx5_0', 1, 200],
      ['mlx5_1', 1, 10],
      ['mlx5_2', 1, 100],
      ['mlx5_3', 1, 25],
    ]);
    // the RoCE port (Ethernet) is not held to the InfiniBand ports' rate
    expect(fabricProblems(ports)).toEqual([
      'InfiniBand port mlx5_1/1 is DOWN, not ACTIVE',
      "InfiniBand port mlx5_2/1 runs at 100 Gb/sec (2X HDR), slower than the node's 200 Gb/sec",
    ]);
    expect(fabricProblems(ports.filter((p) => p.device === 'mlx5_0'))).toEqual([]);
    expect(await infinibandPorts(path.join(root, 'absent'))).toEqual([]);
  });

  it("keeps nvidia-smi's topology matrix where there are GPUs, and none without", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-smi-'));
    const smi = path.join(dir, 'nvidia-smi');
    writeFileSync(
      smi,
      '#!/bin/sh\n[ "$1 $2" = "topo -m" ] || exit 2\nprintf "\\tGPU0\\tGPU1\\nGPU0\\t X \\tNV12\\nGPU1\\tNV12\\t X \\n"\n',
    );
    chmodSync(smi, 0o755);
    expect(await gpuTopology(2, smi)).toBe('\tGPU0\tGPU1\nGPU0\t X \tNV12\nGPU1\tNV12\t X');
    expect(await gpuTopology(0, smi)).toBeNull();
    expect(await gpuTopology(2, path.join(dir, 'missing'))).toBeNull();
  });

  it("flags a down port of the node a comm case ran on in the report's transport table", () => {
    const r = syntheticRecord({ site: 's', benchmark: 'comm', median: 1, kind: 'command' });
    r.system.fabric = {
      infiniband: [
        {
          device: 'mlx5_0',
          port: 1,
          state: '4: ACTIVE',
          rate: '200 Gb/sec (4X HDR)',
          gbitPerSec: 200,
          linkLayer: 'InfiniBand',
        },
        {
          device: 'mlx5_1',
          port: 1,
          state: '1: DOWN',
          rate: '200 Gb/sec (4X HDR)',
          gbitPerSec: 200,
          linkLayer: 'InfiniBand',
        },
      ],
      gpuTopology: null,
    };
    r.details = {
      kind: 'command',
      argv: ['x'],
      exitCode: 0,
      extraction: 'json path busbw',
      comm: {
        backend: 'nccl',
        transport: ['NET/IB/0'],
        flag: '2 nodes over a single InfiniBand rail (NET/IB/0)',
        rows: [],
        world: 8,
        nodes: 2,
      },
    };
    const record = runRecordSchema.parse(r);
    expect(transports([record])[0]!.fabric).toEqual(['InfiniBand port mlx5_1/1 is DOWN, not ACTIVE']);
    const text = renderReportBody(buildReportModel([record]), ['communication']).body.toString();
    expect(text).toContain(
      '<span class="bad">2 nodes over a single InfiniBand rail (NET/IB/0); InfiniBand port mlx5_1/1 is DOWN, not ACTIVE</span>',
    );
  });
});
