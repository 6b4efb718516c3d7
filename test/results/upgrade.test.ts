// Records stored as fedbench.run/1 stay readable. The fixtures are real v1 records, written by `fedbench run`
// (suite quick, and one Server case) at the last commit before fedbench.run/2; the Single-Stream one also has
// the `site` and `slurm` fields that `fedbench collect` adds, in collect's v1 shape.
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregate, compareSamples, nodeOf } from '../../src/analysis/index.js';
import { buildReportModel } from '../../src/report/index.js';
import {
  checkRecord,
  detailsOf,
  READABLE_RUN_SCHEMAS,
  readRecords,
  RUN_SCHEMA,
  RUN_SCHEMA_V1,
  runRecordSchema,
  slurmOf,
  upgradeRecord,
  writeRecord,
  type RunRecord,
} from '../../src/results/index.js';

const V1 = path.join(import.meta.dirname, 'fixtures', 'run-v1');
const raw = (name: string) => JSON.parse(readFileSync(path.join(V1, `${name}.json`), 'utf8')) as Record<string, any>;

async function v1Records(): Promise<RunRecord[]> {
  const { records, problems } = await readRecords(V1);
  expect(problems).toEqual([]);
  return records.sort((a, b) => a.case.localeCompare(b.case));
}

describe('fedbench.run/1 records', () => {
  it('are read as the current version, their details tagged with the benchmark kind', async () => {
    expect(RUN_SCHEMA).toBe('fedbench.run/2');
    expect(READABLE_RUN_SCHEMAS).toEqual([RUN_SCHEMA_V1, RUN_SCHEMA]);
    const records = await v1Records();
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.schema === RUN_SCHEMA)).toBe(true);
    expect(records.map((r) => [r.benchmark.kind, r.details?.kind ?? null])).toEqual([
      ['kernel', null],
      ['inference', 'inference'],
      ['inference', 'inference'],
      ['training', 'training'],
    ]);
    // nothing but the tag and the version changes
    const byId = new Map(
      ['gemm', 'infer-cnn-single-stream', 'infer-mlp-server', 'train-mlp'].map((f) => [raw(f)['id'], raw(f)]),
    );
    for (const r of records) {
      const original = byId.get(r.id)!;
      const { schema: _s, details, ...rest } = r;
      const { schema: _o, details: originalDetails, ...originalRest } = original;
      expect(rest).toEqual(originalRest);
      if (details) expect(details).toEqual({ kind: r.benchmark.kind, ...originalDetails });
    }
  });

  it('narrow by kind and scenario, and their Slurm fields are typed', async () => {
    const [gemm, cnn, server, train] = await v1Records();
    expect(detailsOf(gemm!, 'kernel')).toBeNull();
    expect(detailsOf(train!, 'training')?.lossTrajectory?.[0]).toEqual(raw('train-mlp')['details'].lossTrajectory[0]);
    const ss = detailsOf(cnn!, 'inference');
    expect(ss?.scenario).toBe('single-stream');
    if (ss?.scenario === 'single-stream') expect(ss.p90Ms).toBe(raw('infer-cnn-single-stream')['details'].p90Ms);
    const sv = detailsOf(server!, 'inference');
    expect(sv?.scenario === 'server' && sv.meetsBound).toBe(true);
    expect(detailsOf(server!, 'training')).toBeNull();
    expect(slurmOf(cnn!)).toMatchObject({ jobId: '1042', arrayTaskId: 3, node: 'a100-07', partition: 'gpu' });
    expect(nodeOf(cnn!)).toBe('a100-07');
    expect(slurmOf(gemm!)).toEqual({});
    expect(train!.measurement?.rules.targetNoise).toBe(0.02);
  });

  it('are reported as before: training and inference rows from their details, partitions from Slurm', async () => {
    const records = await v1Records();
    const m = buildReportModel(records);
    const t = raw('train-mlp')['details'];
    expect(m.training).toHaveLength(1);
    expect(m.training[0]).toMatchObject({
      epochSeconds: t.epochSeconds,
      lossFirst: t.lossTrajectory[0][1],
      lossLast: t.lossTrajectory.at(-1)[1],
      trajectory: t.lossTrajectory,
    });
    const s = raw('infer-mlp-server')['details'];
    const c = raw('infer-cnn-single-stream')['details'];
    expect(m.inference.map((r) => [r.scenario, r.p90Ms, r.targetQps, r.boundMs, r.boundMet])).toEqual(
      expect.arrayContaining([
        ['single-stream', c.p90Ms, null, null, null],
        ['server', s.p90Ms, s.targetQps, s.p99BoundMs, s.meetsBound],
      ]),
    );
    expect(m.overview.find((o) => o.site === 'alpha')?.partitions).toEqual(['gpu']);
  });

  it('compare with the same records written as the current version as they compare with themselves', async () => {
    const v1 = await v1Records();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-v2-'));
    for (const r of v1) await writeRecord(dir, r);
    const { records: v2, problems } = await readRecords(dir);
    expect(problems).toEqual([]);
    expect(v2.sort((a, b) => a.case.localeCompare(b.case))).toEqual(v1);
    const before = new Map(aggregate(v1).map((c) => [c.case, c]));
    for (const c of aggregate(v2)) {
      const a = before.get(c.case)!.sites.flatMap((s) => s.samples);
      const b = c.sites.flatMap((s) => s.samples);
      const cmp = compareSamples(b, a, c.metric.direction);
      expect(cmp, c.case).toEqual(compareSamples(a, a, c.metric.direction));
      expect(['SAME', 'UNCERTAIN'], c.case).toContain(cmp.verdict); // UNCERTAIN: samples with several modes
    }
  });

  it('upgrade without changing their input, and only a version fedbench knows', () => {
    const original = raw('train-mlp');
    const copy = structuredClone(original);
    const up = upgradeRecord(original) as RunRecord;
    expect(original).toEqual(copy);
    expect(runRecordSchema.safeParse(up).success).toBe(true);
    expect(upgradeRecord({ ...original, schema: 'fedbench.run/99' })).toMatchObject({ schema: 'fedbench.run/99' });
    expect(checkRecord({ ...original, schema: 'fedbench.run/99' })).toHaveProperty('error');
    // a v1 record whose inference details lack their scenario takes it from the case's parameters
    const cnn = raw('infer-cnn-single-stream');
    const { scenario: _scenario, ...untagged } = cnn['details'];
    const checked = checkRecord({ ...cnn, details: untagged });
    expect('record' in checked && checked.record.details).toMatchObject({
      kind: 'inference',
      scenario: 'single-stream',
    });
  });
});
