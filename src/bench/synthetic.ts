// Synthetic run records, for report tests and the report benchmark: deterministic, schema-valid, and
// labelled synthetic in their campaign. They exercise analysis and display — no figure here is a measurement.
import { newRecord, runDetailsSchema, tagDetails, type RunRecord } from '../results/index.js';
import { summarize } from '../measure/index.js';
import { prng } from '../workloads/data.js';

export interface SyntheticSpec {
  site: string;
  node?: string;
  case?: string;
  benchmark?: string;
  params?: Record<string, unknown>;
  /** Centre of the samples, and their relative spread. */
  median: number;
  spread?: number;
  n?: number;
  seed?: number;
  gpu?: string;
  backend?: string;
  status?: RunRecord['status'];
  error?: string;
  watts?: number;
  kind?: RunRecord['benchmark']['kind'];
  /** The kind's details without their tag (the record tags them with `kind`); checked against the schema. */
  details?: Record<string, unknown>;
}

export function syntheticRecord(s: SyntheticSpec): RunRecord {
  const next = prng(s.seed ?? 1);
  const n = s.n ?? 30;
  const samples =
    s.status && s.status !== 'ok'
      ? []
      : Array.from({ length: n }, () => s.median * (1 + (s.spread ?? 0.01) * (next() * 2 - 1)));
  const params = s.params ?? { n: 2048, dtype: 'fp32' };
  const benchmark = s.benchmark ?? 'gemm';
  const work = 2 * 2048 ** 3;
  const iterationSeconds = samples.map((g) => work / g / 1e9);
  const node = s.node ?? `${s.site}-node01`;
  const kind = s.kind ?? 'kernel';
  return newRecord({
    id: `synthetic-${Math.floor(next() * 1e12).toString(16)}`,
    campaign: 'synthetic-test',
    suite: 'synthetic',
    case:
      s.case ??
      `${benchmark}/onnxruntime/${Object.entries(params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')}`,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    status: s.status ?? 'ok',
    ...(s.error ? { error: s.error } : {}),
    benchmark: { id: benchmark, kind, workload: benchmark, params },
    engine: {
      name: 'onnxruntime',
      backend: s.backend ?? 'cuda',
      package: 'onnxruntime-node',
      version: '1.30.0',
      threads: 1,
      requested: [],
      fallbacks: [],
    },
    metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
    work: { perCall: work, note: '2·n³' },
    samples,
    iterationSeconds,
    ...(samples.length ? { stats: summarize(samples) } : {}),
    secondary: [],
    warnings: [],
    energy: s.watts
      ? {
          status: 'measured',
          source: 'synthetic',
          method: 'counter',
          joules: s.watts * 10,
          avgWatts: s.watts,
          coverage: 1,
        }
      : { status: 'unavailable', reason: 'synthetic record' },
    system: {
      host: node,
      os: { platform: 'linux', release: '5.14', distro: 'Synthetic Linux', arch: 'x64' },
      cpu: { model: 'Synthetic CPU', logicalCores: 64, availableParallelism: 64, flags: ['avx2'] },
      memoryBytes: 512 * 2 ** 30,
      gpus: s.gpu ? [{ index: 0, name: s.gpu, memoryMiB: 40960, driver: '0.0' }] : [],
      gpuSource: s.gpu ? 'synthetic' : 'none: synthetic',
      node: 'v20.0.0',
      packages: { fedbench: '0.1.0' },
      env: {},
    },
    ...(s.details ? { details: runDetailsSchema.parse(tagDetails(kind, s.details)) } : {}),
    site: s.site,
    slurm: { node, partition: 'gpu' },
  });
}
