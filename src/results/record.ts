// The run record: one per benchmark case and place, the unit every other part exchanges.
// Versioned by `schema`; readers reject what they do not understand instead of guessing.
import { z } from 'zod';

export const RUN_SCHEMA = 'fedbench.run/1';

const metric = z.object({
  name: z.string(),
  unit: z.string(),
  direction: z.enum(['higher', 'lower']),
});

const stats = z.object({
  n: z.number().int().nonnegative(),
  median: z.number(),
  mean: z.number(),
  stdev: z.number(),
  cv: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  ciMethod: z.enum(['order-statistics', 'order-statistics-autocorrelated', 'between-runs', 'none']),
  /** Separate runs (processes, records) pooled into these statistics, when more than one. */
  runs: z.number().int().optional(),
  /** Absent in records written before autocorrelation was accounted for. */
  effectiveN: z.number().optional(),
  modes: z.array(z.object({ median: z.number(), share: z.number(), n: z.number().int() })).optional(),
  p5: z.number(),
  p95: z.number(),
  p99: z.number(),
  min: z.number(),
  max: z.number(),
  mad: z.number(),
  outliers: z.object({
    threshold: z.number(),
    low: z.number().int(),
    high: z.number().int(),
    indices: z.array(z.number().int()),
  }),
});

const secondary = metric.extend({ stats });

const energyMethod = z.enum(['counter', 'sampled', 'scheduler', 'estimate']);
const energyDomain = z.enum(['gpu', 'cpu', 'memory', 'node']);

/** One domain on one device, as one source read it over the measured window. */
const energyDomainReading = z.object({
  source: z.string(),
  method: energyMethod,
  domain: energyDomain,
  device: z.string(),
  joules: z.number(),
  meanWatts: z.number(),
  /** null when the source gives energy only and no power was sampled. */
  peakWatts: z.number().nullable(),
  samples: z.number().int().nonnegative(),
  /** Fraction of the window covered by the readings (1 for a counter). */
  coverage: z.number().min(0).max(1),
  note: z.string().optional(),
});

const gpuTelemetry = z.object({
  index: z.number().int(),
  name: z.string(),
  uuid: z.string().optional(),
  samples: z.number().int().nonnegative(),
  smClockMHz: z.object({ min: z.number(), mean: z.number(), max: z.number() }).nullable(),
  memClockMHz: z.object({ min: z.number(), max: z.number() }).nullable(),
  maxSmClockMHz: z.number().nullable(),
  temperatureC: z.object({ max: z.number() }).nullable(),
  utilisationPercent: z.object({ mean: z.number() }).nullable(),
  powerLimitWatts: z.number().nullable(),
  throttleReasons: z.array(z.string()),
  /** null: the source cannot tell. */
  otherProcesses: z.number().int().nullable(),
});

const sourceUnavailable = z.object({ source: z.string(), reason: z.string() });

const energy = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('measured'),
    /** Sources of the total, e.g. "nvml + rapl". */
    source: z.string(),
    /** The least direct method among the readings in the total. */
    method: energyMethod,
    /** Total over `scope`: domains that do not contain one another (a node reading stands alone). */
    joules: z.number(),
    avgWatts: z.number(),
    /** Lowest coverage among the readings in the total. */
    coverage: z.number().min(0).max(1),
    // The rest is written by fedbench's own meters; optional so that a figure from elsewhere (a post-hoc
    // scheduler figure, a synthetic record) stays a valid record with the five fields above.
    scope: z.array(energyDomain).optional(),
    /** The measured (sampling) window, warm-up excluded. */
    windowSeconds: z.number().optional(),
    calls: z.number().int().nonnegative().optional(),
    joulesPerCall: z.number().nullable().optional(),
    /** e.g. GFLOP/s per W and J per GFLOP; empty when the work per call is unknown. */
    efficiency: z.array(z.object({ name: z.string(), value: z.number(), unit: z.string() })).optional(),
    readings: z.array(energyDomainReading).optional(),
    telemetry: z.array(gpuTelemetry).optional(),
    /** Sources not used, and why. */
    unavailable: z.array(sourceUnavailable).optional(),
  }),
  z.object({ status: z.literal('unavailable'), reason: z.string(), sources: z.array(sourceUnavailable).optional() }),
]);

const gpu = z.object({
  index: z.number().int(),
  name: z.string(),
  uuid: z.string().optional(),
  memoryMiB: z.number().optional(),
  driver: z.string().optional(),
  cuda: z.string().optional(),
  powerLimitW: z.number().optional(),
  mig: z.string().optional(),
  ecc: z.string().optional(),
});

export const systemSchema = z.object({
  host: z.string(),
  os: z.object({ platform: z.string(), release: z.string(), distro: z.string().nullable(), arch: z.string() }),
  cpu: z.object({
    model: z.string(),
    logicalCores: z.number().int(),
    availableParallelism: z.number().int(),
    flags: z.array(z.string()),
  }),
  memoryBytes: z.number(),
  gpus: z.array(gpu),
  gpuSource: z.string(),
  node: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  env: z.record(z.string(), z.string()),
});

export const runRecordSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  id: z.string(),
  campaign: z.string(),
  suite: z.string(),
  case: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  status: z.enum(['ok', 'failed', 'skipped', 'timeout', 'cancelled']),
  error: z.string().optional(),
  benchmark: z.object({
    id: z.string(),
    kind: z.enum(['kernel', 'training', 'inference']),
    workload: z.string(),
    params: z.record(z.string(), z.unknown()),
  }),
  engine: z.object({
    name: z.enum(['onnxruntime', 'tfjs']),
    /** As actually used, not as requested. Null when the engine never started. */
    backend: z.string().nullable(),
    package: z.string().nullable(),
    version: z.string().nullable(),
    threads: z.number().int().nullable(),
    requested: z.array(z.string()),
    fallbacks: z.array(z.object({ backend: z.string(), reason: z.string() })),
  }),
  metric,
  /** bytesPerCall: least memory traffic of one call (kernels with a FLOP count), for the report's roofline. */
  work: z.object({ perCall: z.number(), note: z.string(), bytesPerCall: z.number().optional() }).optional(),
  verification: z
    .object({
      params: z.record(z.string(), z.unknown()),
      passed: z.boolean(),
      worstExcess: z.number().nullable(),
      tolerance: z.object({ abs: z.number(), rel: z.number() }),
    })
    .optional(),
  samples: z.array(z.number()),
  iterationSeconds: z.array(z.number()),
  stats: stats.optional(),
  secondary: z.array(secondary),
  measurement: z
    .object({
      callsPerSample: z.number().int(),
      warmup: z.object({ iterations: z.number().int(), seconds: z.number(), end: z.enum(['stable', 'time-out']) }),
      stopReason: z.enum(['converged', 'time-out', 'max-samples']),
      samplingSeconds: z.number(),
      rules: z.record(z.string(), z.unknown()),
      harness: z.object({ timerNs: z.number(), loopNsPerCall: z.number(), fractionOfMedian: z.number() }),
    })
    .optional(),
  warnings: z.array(z.string()),
  /** Kind-specific figures: a training run's loss trajectory, an inference scenario's settings and counts. */
  details: z.record(z.string(), z.unknown()).optional(),
  energy,
  system: systemSchema,
  site: z.string().optional(),
  slurm: z.record(z.string(), z.unknown()).optional(),
  /** `fedbench run --repeat K`: this record is repetition `index` of `of`, each measured in a fresh process. */
  repetition: z.object({ index: z.number().int().min(1), of: z.number().int().min(2) }).optional(),
});

export type RunRecord = z.infer<typeof runRecordSchema>;
export type SystemInfo = z.infer<typeof systemSchema>;
export type EnergyReading = z.infer<typeof energy>;
export type MeasuredEnergy = Extract<EnergyReading, { status: 'measured' }>;
