// nccl-tests' tables read into the record: the comm suite's nccl-tests case, run for real through the command
// workload with a stand-in program (fixtures/nccl-tests-standin.py prints a CONSTRUCTED table in nccl-tests 2.19's
// layout: its binaries need CUDA GPUs, which these machines lack).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { detailsOf, runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { BUILTIN_SUITES_DIR, loadSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';
import { ncclTestsTable } from '../../src/workloads/ranks/index.js';

const STANDIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'nccl-tests-standin.py');
const noEnergy = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  visibleDevices: undefined,
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
};

/** The shipped comm suite's nccl-tests benchmark, its command replaced by the stand-in (metric and rules kept). */
function shippedCase(extra: string[] = [], maxBytes = '1073741824') {
  const comm = parse(readFileSync(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'), 'utf8')) as {
    benchmarks: Array<Record<string, unknown>>;
  };
  const bench = comm.benchmarks.find((b) => b.id === 'nccl-tests')!;
  const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-nccl-tests-'));
  const file = path.join(dir, 'suite.yaml');
  const suite = {
    ...comm,
    benchmarks: [
      {
        ...bench,
        params: { collective: 'all_reduce', gpus: 4, maxBytes },
        command: ['python3', STANDIN, '{collective}_perf', '{maxBytes}', ...extra],
        requires: undefined,
      },
    ],
  };
  writeFileSync(file, stringify(suite));
  return { shipped: bench, suite: loadSuite(file) };
}

async function run(extra: string[] = [], maxBytes?: string): Promise<RunRecord> {
  const { suite } = shippedCase(extra, maxBytes);
  const r = await runCase(suite.cases[0]!, { campaign: 't', system: await systemInfo(), energy: noEnergy });
  return runRecordSchema.parse(r);
}

describe("nccl-tests' tables", () => {
  it('reads the out-of-place columns of every size, the collective from its banner and the dtype in our names', () => {
    const out = execFileSync('python3', [STANDIN, 'all_gather_perf', '1024', '--ranks', '2'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const table = ncclTestsTable(out.split('\n'))!;
    expect(table.collective).toBe('all_gather');
    expect(table.rows.map((r) => r.bytes)).toEqual([8, 16, 32, 64, 128, 256, 512, 1024]);
    // the model's out-of-place time at 1024 B is 10.01 µs; in-place is printed twice as slow
    expect(table.rows.at(-1)).toEqual({
      collective: 'all_gather',
      dtype: 'fp32',
      bytes: 1024,
      timeUs: 10.01,
      algbw: 0.1,
      busbw: 0.05,
      checked: true,
    });
    expect(table.wrong).toEqual([]);
    expect(ncclTestsTable(['# just a comment', '12 not a table'])).toBeNull();
  });

  it('the comm suite case runs a binary, keeps its table in details.comm and takes busbw at the largest size', async () => {
    const r = await run();
    expect(r.status, r.error).toBe('ok');
    const comm = detailsOf(r, 'command')?.comm;
    expect(comm?.backend).toBe('nccl');
    expect(comm?.transport).toEqual(['P2P/IPC']);
    expect(comm).toMatchObject({ world: 4, nodes: 1 }); // its "#  Rank N … on HOST" lines
    expect(comm?.rows).toHaveLength(28); // 8 B … 1 GiB by doubling
    const largest = comm!.rows.at(-1)!;
    expect(largest).toMatchObject({ collective: 'all_reduce', bytes: 2 ** 30, checked: true });
    // 1 GiB at 10 µs + 10.737 ms: algbw 99.91, busbw × 2·3/4 as printed with two decimals
    expect(largest.busbw).toBe(149.86);
    expect(r.samples.every((x) => x === largest.busbw)).toBe(true);
    expect(r.metric).toEqual({ name: 'busbw', unit: 'GB/s', direction: 'higher' });
  });

  it('fails the case naming the size where nccl-tests counted wrong elements, and marks unchecked sizes', async () => {
    const bad = await run(['--corrupt-at', '4096'], '65536');
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/nccl-tests found 3 wrong elements at 4096 B \(#wrong\): the collective corrupted data/);
    const unchecked = await run(['--no-check'], '65536');
    expect(unchecked.status, unchecked.error).toBe('ok');
    expect(detailsOf(unchecked, 'command')?.comm?.rows.every((x) => !x.checked)).toBe(true);
  });

  const onPath = (p: string) => (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, p)));
  it.skipIf(onPath('nvidia-smi') && onPath('all_reduce_perf'))(
    'is skipped in seconds, saying why, where the GPU or the binaries are missing',
    async () => {
      const { shipped } = shippedCase();
      expect(shipped.requires).toEqual({ program: ['nvidia-smi', 'all_reduce_perf'] });
      const suite = loadSuite(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'));
      const c = suite.cases.find((x) => x.id.startsWith('nccl-tests/'))!;
      const r = await runCase(c, { campaign: 't', system: await systemInfo(), energy: noEnergy });
      expect(r.status).toBe('skipped');
      expect(r.error).toMatch(/nvidia-smi|all_reduce_perf/);
    },
  );
});
