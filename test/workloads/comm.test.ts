// The comm suite's gloo all-reduce, run for real with PyTorch from Debian (python3-torch, installed by
// test/setup.sh): two ranks started by fedbench on this machine, each size checked and timed; and its MPI all-reduce
// with Open MPI's mpirun and mpi4py from Debian (openmpi-bin, python3-mpi4py).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commCurves } from '../../src/analysis/index.js';
import { detailsOf, runRecordSchema } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { BUILTIN_SUITES_DIR, loadSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';

const noEnergy = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  visibleDevices: undefined,
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
};
// Debian's python3 is the one python3-torch installs into (a pyenv shim may come first on PATH).
process.env.PATH = `/usr/bin:${process.env.PATH}`;

describe('comm suite (gloo, 2 local ranks)', () => {
  it('sweeps all-reduce 8 B … 64 KiB by doubling: each size checked, busbw by nccl-tests formula, transport stated', async () => {
    execFileSync('python3', ['-c', 'import torch.distributed']); // python3-torch is part of the test set-up
    const suite = loadSuite(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'));
    const c = suite.cases.find((k) => k.id.startsWith('comm-gloo/command/collective=all_reduce,'))!;
    const small = { ...c, params: { ...c.params, maxBytes: 65536 } };
    const r = await runCase(small, { campaign: 't', system: await systemInfo(), energy: noEnergy });
    expect(() => runRecordSchema.parse(r)).not.toThrow();
    expect(r.status, r.error).toBe('ok');
    const d = detailsOf(r, 'command')!;
    expect(d.ranks).toMatchObject({ world: 2, perNode: 2, summary: { slowestRank: expect.any(Number) } });
    const comm = d.comm!;
    expect(comm.backend).toBe('gloo');
    expect(comm.transport).toEqual(['gloo over TCP (loopback)']);
    expect(comm.rows.map((row) => row.bytes)).toEqual(Array.from({ length: 14 }, (_, i) => 8 * 2 ** i));
    for (const row of comm.rows) {
      expect(row.checked).toBe(true);
      expect(row.algbw).toBeCloseTo(row.bytes / (row.timeUs * 1e-6) / 1e9, 9);
      expect(row.busbw).toBeCloseTo(row.algbw * ((2 * (2 - 1)) / 2), 12); // all-reduce: 2(n-1)/n
    }
    // the case's figure is busbw at the largest size, from rank 0
    expect(r.samples.at(-1)).toBeCloseTo(comm.rows.at(-1)!.busbw, 9);
    expect(r.metric).toEqual({ name: 'busbw', unit: 'GB/s', direction: 'higher' });
  }, 240_000);

  const gpu = (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, 'nvidia-smi')));
  it.skipIf(gpu)(
    'a GPU-only case on a machine without GPUs is a skipped record with the reason, in seconds',
    async () => {
      const suite = loadSuite(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'));
      const c = suite.cases.find((k) => k.id.startsWith('comm-nccl/'))!;
      const t0 = Date.now();
      const r = await runCase(c, {
        campaign: 't',
        system: await systemInfo(),
        energy: noEnergy,
      });
      expect(r.status).toBe('skipped');
      expect(r.error).toMatch(/nvidia-smi|CUDA|GPU/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    },
  );
});

describe('comm suite (MPI, 2 ranks started by mpirun)', () => {
  it('sweeps all-reduce with Open MPI: rows like the gloo ones, the library named, ranks and nodes as MPI saw them', async () => {
    execFileSync('python3', ['-c', 'import mpi4py']); // python3-mpi4py and openmpi-bin are part of the test set-up
    // CI runs as root, which Open MPI refuses unless told this is deliberate
    if (process.getuid?.() === 0)
      Object.assign(process.env, { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' });
    const suite = loadSuite(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'));
    const c = suite.cases.find((k) => k.id.startsWith('comm-mpi/command/collective=all_reduce,'))!;
    const small = { ...c, params: { ...c.params, maxBytes: 65536 } };
    const r = await runCase(small, { campaign: 't', system: await systemInfo(), energy: noEnergy });
    expect(() => runRecordSchema.parse(r)).not.toThrow();
    expect(r.status, r.error).toBe('ok');
    const comm = detailsOf(r, 'command')!.comm!;
    expect(comm).toMatchObject({ backend: 'mpi', world: 2, nodes: 1 });
    expect(comm.transport).toEqual([expect.stringMatching(/^Open MPI v\d/)]);
    expect(comm.rows.map((row) => row.bytes)).toEqual(Array.from({ length: 14 }, (_, i) => 8 * 2 ** i));
    for (const row of comm.rows) {
      expect(row.checked).toBe(true);
      expect(row.busbw).toBeCloseTo(row.algbw, 12); // all-reduce over 2 ranks: 2(n-1)/n = 1
    }
    expect(r.samples.at(-1)).toBeCloseTo(comm.rows.at(-1)!.busbw, 9);
    // the report draws it beside fedbench-launched sweeps, with the world MPI reported
    expect(commCurves([r])).toEqual([expect.objectContaining({ backend: 'mpi', world: 2, nodes: 1 })]);
  }, 240_000);
});
