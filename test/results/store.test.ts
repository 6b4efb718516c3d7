import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords, recordFileName, RUN_SCHEMA, writeRecord, type RunRecord } from '../../src/results/index.js';
import { systemInfo } from '../../src/system/index.js';

async function sample(overrides: Partial<RunRecord> = {}): Promise<RunRecord> {
  return {
    schema: RUN_SCHEMA,
    id: '0123456789abcdef',
    campaign: 'c',
    suite: 's',
    case: 'gemm/onnxruntime/n=64,dtype=fp32',
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(1000).toISOString(),
    status: 'skipped',
    error: 'why',
    benchmark: { id: 'gemm', kind: 'kernel', workload: 'gemm', params: { n: 64 } },
    engine: {
      name: 'onnxruntime',
      backend: null,
      package: null,
      version: null,
      threads: null,
      requested: [],
      fallbacks: [],
    },
    metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
    samples: [],
    iterationSeconds: [],
    secondary: [],
    warnings: [],
    energy: { status: 'unavailable', reason: 'test' },
    system: await systemInfo(),
    ...overrides,
  };
}

describe('results store', () => {
  it('writes one file per record and reads it back identical, leaving no temp files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-store-'));
    const r = await sample();
    const file = await writeRecord(dir, r);
    expect(path.basename(file)).toBe('gemm_onnxruntime_n=64_dtype=fp32.0123456789abcdef.json');
    expect(await readdir(dir)).toEqual([path.basename(file)]);
    const { records, problems } = await readRecords(dir);
    expect(problems).toEqual([]);
    expect(records).toEqual([r]);
  });

  it('refuses to write a record that readers would reject', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-store-'));
    const bad = { ...(await sample()), status: 'great' } as unknown as RunRecord;
    await expect(writeRecord(dir, bad)).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports malformed files by name and still reads the good ones', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-store-'));
    await writeRecord(dir, await sample());
    await writeFile(path.join(dir, 'broken.json'), '{"schema": "fedbench.run/1", ');
    await writeFile(path.join(dir, 'other.json'), JSON.stringify({ schema: 'fedbench.run/99' }));
    const { records, problems } = await readRecords(dir);
    expect(records).toHaveLength(1);
    expect(problems.map((p) => path.basename(p.file)).sort()).toEqual(['broken.json', 'other.json']);
    expect(problems.find((p) => p.file.endsWith('other.json'))!.error).toContain('schema');
  });

  it('keeps hostile case ids out of the path', () => {
    const name = recordFileName({ case: '../../etc/passwd;rm -rf /', id: 'abcdefgh12' });
    expect(name).not.toContain('/');
    expect(name.startsWith('.')).toBe(false);
  });
});

describe('JSONL bundles', () => {
  it('reads one record per line and names the bad line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-store-'));
    const a = await sample({ id: 'aaaaaaaaaaaa' });
    const b = await sample({ id: 'bbbbbbbbbbbb' });
    await writeFile(path.join(dir, 'bundle.jsonl'), `${JSON.stringify(a)}\n{"broken"\n\n${JSON.stringify(b)}\n`);
    const { records, problems } = await readRecords(dir);
    expect(records.map((r) => r.id)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);
    expect(problems.map((p) => path.basename(p.file))).toEqual(['bundle.jsonl:2']);
  });
});
