import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecords, writeRecord } from '../../src/results/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { fedbench } from './run-cli.js';

let tmp: string;
let siteA: string;
let siteB: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-analyse-'));
  siteA = path.join(tmp, 'a');
  siteB = path.join(tmp, 'b');
  let seed = 1;
  for (const n of [1024, 2048]) {
    for (const node of ['a1', 'a2'])
      await writeRecord(
        siteA,
        syntheticRecord({
          site: 'alpha',
          node,
          params: { n, dtype: 'fp32' },
          median: 10000,
          gpu: 'NVIDIA A100-SXM4-40GB',
          seed: seed++,
        }),
      );
    await writeRecord(
      siteB,
      syntheticRecord({
        site: 'beta',
        node: 'b1',
        params: { n, dtype: 'fp32' },
        median: n === 1024 ? 12000 : 10010,
        gpu: 'NVIDIA A100-SXM4-40GB',
        seed: seed++,
      }),
    );
  }
});

describe('fedbench compare', () => {
  it('gives a direction-aware verdict per case', async () => {
    const r = await fedbench(['compare', siteA, siteB, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ case: string; verdict: string }>;
    expect(rows.map((x) => [x.case, x.verdict])).toEqual([
      ['gemm/onnxruntime/n=1024,dtype=fp32', 'FASTER'],
      ['gemm/onnxruntime/n=2048,dtype=fp32', 'SAME'],
    ]);
  });
});

describe('fedbench validate', () => {
  it('exits 1 when a node fails its reference, 0 when all pass', async () => {
    const refs = path.join(tmp, 'refs.yaml');
    await writeFile(
      refs,
      'references:\n  - { benchmark: gemm, device: A100, value: 11000, unit: GFLOP/s, tolerance: { rel: 0.05 } }\n',
    );
    const fail = await fedbench(['validate', '--references', refs, '--results', siteA, siteB]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/1 PASS, 5 FAIL, 0 NO REFERENCE/);
    await writeFile(
      refs,
      'references:\n  - { benchmark: gemm, value: 9000, unit: GFLOP/s, tolerance: { rel: 0.05 } }\n',
    );
    const pass = await fedbench(['validate', '--references', refs, '--results', siteA, siteB, '--json']);
    expect(pass.code).toBe(0);
    expect((JSON.parse(pass.stdout) as Array<{ verdict: string }>).every((r) => r.verdict === 'PASS')).toBe(true);
  });

  it('names file, line and field of a bad references file, exit 2', async () => {
    const refs = path.join(tmp, 'bad-refs.yaml');
    await writeFile(refs, 'references:\n  - benchmark: gemm\n    value: fast\n    unit: GFLOP/s\n');
    const r = await fedbench(['validate', '--references', refs, '--results', siteA]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${refs}:3:12: references[0].value:`);
  });
});

describe('fedbench recommend', () => {
  it('ranks sites for a workload and states the weights used', async () => {
    const r = await fedbench(['recommend', '--workload', 'gemm', '--results', siteA, siteB, '--weights', 'time=1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('weights used: time 1');
    const json = await fedbench([
      'recommend',
      '--workload',
      'gemm/onnxruntime/n=1024,dtype=fp32',
      '--results',
      siteA,
      siteB,
      '--json',
    ]);
    const [ranking] = JSON.parse(json.stdout) as Array<{ sites: Array<{ site: string }> }>;
    expect(ranking!.sites.map((s) => s.site)).toEqual(['beta', 'alpha']);
  });

  it('ranks by cost and CO2 from the site profiles given', async () => {
    const dir = path.join(tmp, 'sites');
    const profile = (name: string, cost: number, carbon: number) =>
      `name: ${name}\nscheduler: { partition: gpu, timeLimit: "00:10:00", gpus: { style: gres, perJob: 1 } }\nworkdir: /tmp/x\nfacts:\n  gpu: { model: NVIDIA A100, perNode: 4 }\n  nodeHourCost: ${cost}\n  currency: EUR\n  carbonGPerKWh: ${carbon}\n`;
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'alpha.yaml'), profile('alpha', 4, 50));
    await writeFile(path.join(dir, 'beta.yaml'), profile('beta', 40, 500));
    const r = await fedbench([
      'recommend',
      '--workload',
      'gemm/onnxruntime/n=2048,dtype=fp32',
      '--results',
      siteA,
      siteB,
      '--weights',
      'cost=1',
      '--sites-dir',
      dir,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [ranking] = JSON.parse(r.stdout) as Array<{
      weightsUsed: Record<string, number>;
      sites: Array<{ site: string; values: { cost: number } }>;
    }>;
    // same speed, a tenth of the price: alpha first
    expect(ranking!.weightsUsed).toEqual({ cost: 1 });
    expect(ranking!.sites.map((s) => s.site)).toEqual(['alpha', 'beta']);
    expect(ranking!.sites[1]!.values.cost / ranking!.sites[0]!.values.cost).toBeCloseTo(10, 0);
  });

  it('lists the workloads it knows for an unknown one, and rejects bad weights', async () => {
    const r = await fedbench(['recommend', '--workload', 'nope', '--results', siteA]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown workload 'nope'. Valid workloads: gemm/);
    const w = await fedbench(['recommend', '--workload', 'gemm', '--results', siteA, '--weights', 'speed=2']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--weights: unknown criterion 'speed'/);
  });
});

describe('compare, validate and recommend on a terminal', () => {
  it('fit their tables to the width, case ids with every parameter included; --json keeps the full ids', async () => {
    // an inference case's id carries every parameter, defaults included: ~150 columns before any figure
    const params = (batch: number) => ({
      scenario: 'offline',
      batch,
      queries: 1000,
      seconds: 10,
      p99BoundMs: 100,
      findMaxQps: false,
      image: 224,
      channels: 64,
      blocks: 16,
      classes: 1000,
      precision: 'fp32',
      warmupQueries: 50,
    });
    const [a, b] = [path.join(tmp, 'long-a'), path.join(tmp, 'long-b')];
    let seed = 100;
    for (const batch of [8, 32]) {
      for (const node of ['a1', 'a2'])
        await writeRecord(
          a,
          syntheticRecord({
            site: 'alpha',
            node,
            benchmark: 'infer-resnet50',
            params: params(batch),
            median: 1000,
            gpu: 'NVIDIA A100-SXM4-40GB',
            seed: seed++,
          }),
        );
      await writeRecord(
        b,
        syntheticRecord({
          site: 'beta',
          node: 'b1',
          benchmark: 'infer-resnet50',
          params: params(batch),
          median: batch === 8 ? 1200 : 1001,
          gpu: 'NVIDIA A100-SXM4-40GB',
          seed: seed++,
        }),
      );
    }
    const refs = path.join(tmp, 'long-refs.yaml');
    await writeFile(
      refs,
      'references:\n  - { benchmark: infer-resnet50, device: A100, value: 1100, unit: GFLOP/s, tolerance: { rel: 0.05 } }\n',
    );
    const commands = [
      ['compare', a, b],
      ['validate', '--references', refs, '--results', a, b],
      ['recommend', '--workload', 'infer-resnet50', '--results', a, b],
    ];
    for (const columns of [80, 100]) {
      for (const args of commands) {
        const r = await fedbench(args, { env: { COLUMNS: String(columns) } });
        expect(r.code === 0 || r.code === 1, r.stderr).toBe(true);
        expect(
          r.stdout.split('\n').filter((l) => [...l].length > columns),
          `${args[0]} at ${columns} columns:\n${r.stdout}`,
        ).toEqual([]);
        expect(r.stdout).toContain('every infer-resnet50 case below: scenario=offline, queries=1000,');
        expect(r.stdout).toMatch(/batch=32/);
      }
    }
    const json = await fedbench(['compare', a, b, '--json'], { env: { COLUMNS: '80' } });
    expect((JSON.parse(json.stdout) as Array<{ case: string }>).map((x) => x.case)).toEqual(
      [8, 32].map(
        (n) =>
          `infer-resnet50/onnxruntime/${Object.entries(params(n))
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(',')}`,
      ),
    );
  });
});

describe('fedbench report', () => {
  it('writes the HTML and the exports asked for', async () => {
    const out = path.join(tmp, 'rep', 'fed.html');
    const r = await fedbench(['report', '--results', siteA, siteB, '--out', out, '--export', 'csv,md,json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const w = JSON.parse(r.stdout) as { html: string; exports: Record<string, string>; records: number };
    expect(w.records).toBe(6);
    expect(Object.keys(w.exports).sort()).toEqual(['csv', 'json', 'md']);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('reports a missing results folder and an unknown export format as bad input', async () => {
    expect((await fedbench(['report', '--results', path.join(tmp, 'none')])).stderr).toMatch(
      /results folder not found/,
    );
    const e = await fedbench(['report', '--results', siteA, '--export', 'pdf']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/Valid export formats: csv, json, md/);
  });

  it('reports and compares fedbench.run/1 records, alone and against the same records written as fedbench.run/2', async () => {
    const v1 = path.join(import.meta.dirname, '..', 'results', 'fixtures', 'run-v1');
    const v2 = path.join(tmp, 'v2');
    for (const r of (await readRecords(v1)).records) await writeRecord(v2, r);
    const out = path.join(tmp, 'rep-v1', 'v1.html');
    const r = await fedbench(['report', '--results', v1, '--out', out, '--export', 'json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/skipped/);
    expect((JSON.parse(r.stdout) as { records: number }).records).toBe(4);
    const c = await fedbench(['compare', v1, v2, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const rows = JSON.parse(c.stdout) as Array<{ case: string; verdict: string; ratio: number }>;
    expect(rows).toHaveLength(4);
    expect(rows.every((x) => x.ratio === 1 && ['SAME', 'UNCERTAIN'].includes(x.verdict))).toBe(true);
  });

  it('keeps going past a corrupt record file, naming it', async () => {
    await writeFile(path.join(siteB, 'corrupt.json'), '{ not json');
    const r = await fedbench(['report', '--results', siteA, siteB, '--out', path.join(tmp, 'rep2.html')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped .*corrupt\.json/);
  });
});
