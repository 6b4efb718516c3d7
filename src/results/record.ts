// The run record: one per benchmark case and place, the unit every other part exchanges. This schema is the
// contract: every type of the record (energy, telemetry, stop reasons, kind-specific details, the scheduler's
// view) is inferred from it, never restated. Versioned by `schema`; readers upgrade the versions they know
// (`upgrade.ts`) and reject what they do not understand instead of guessing.
import { z } from 'zod';
import { commSchema, copiesSchema, infinibandPortSchema, ranksSchema } from './ranks.js';

export const RUN_SCHEMA = 'fedbench.run/2';

/** Which way is better for a figure. */
export const directionSchema = z.enum(['higher', 'lower']);

export const metricSchema = z.object({
  name: z.string(),
  unit: z.string(),
  direction: directionSchema,
});

export const outliersSchema = z.object({
  /** Modified z-score threshold (Iglewicz & Hoaglin; hyperfine uses 3.5 too). */
  threshold: z.number(),
  low: z.number().int(),
  high: z.number().int(),
  /** Indices into the sample array, in sampling order. */
  indices: z.array(z.number().int()),
});

/** One mode of multimodal samples: its median, the fraction of the samples in it, and their count. */
export const modeSchema = z.object({ median: z.number(), share: z.number(), n: z.number().int() });

export const statsSchema = z.object({
  n: z.number().int().nonnegative(),
  median: z.number(),
  mean: z.number(),
  stdev: z.number(),
  /** Coefficient of variation: stdev / mean. */
  cv: z.number(),
  /** 95% confidence interval of the median. */
  ci95: z.tuple([z.number(), z.number()]),
  /**
   * How ci95 was obtained: distribution-free order statistics; the same with ranks widened for samples that come in
   * phases (autocorrelated: `effectiveN` independent samples' worth); pooled runs; or none when there are too few.
   */
  ciMethod: z.enum(['order-statistics', 'order-statistics-autocorrelated', 'between-runs', 'none']),
  /** Separate runs (processes, records) pooled into these statistics, when more than one. */
  runs: z.number().int().optional(),
  /** Absent in records written before autocorrelation was accounted for. */
  effectiveN: z.number().optional(),
  /** Present when the samples have more than one mode (clusters apart): each mode's median and share, low to high. */
  modes: z.array(modeSchema).optional(),
  p5: z.number(),
  p95: z.number(),
  p99: z.number(),
  min: z.number(),
  max: z.number(),
  /** Median absolute deviation (raw, not scaled). */
  mad: z.number(),
  outliers: outliersSchema,
});

const secondary = metricSchema.extend({ stats: statsSchema });

/** counter: a hardware energy counter read at both ends; sampled: power integrated over samples;
 *  scheduler: the batch system's accounting; estimate: declared power × time, nothing measured. */
export const energyMethodSchema = z.enum(['counter', 'sampled', 'scheduler', 'estimate']);
/** What a reading covers. `node` contains all the others (Cray pm_counters), so totals never add to it. */
export const energyDomainSchema = z.enum(['gpu', 'cpu', 'memory', 'node']);

/** One domain on one device, as one source read it over the measured window. */
export const energyDomainReadingSchema = z.object({
  source: z.string(),
  method: energyMethodSchema,
  domain: energyDomainSchema,
  /** Which one, e.g. "gpu0 NVIDIA H100 (GPU-…)", "package-0", "node". */
  device: z.string(),
  joules: z.number(),
  meanWatts: z.number(),
  /** Highest power seen; null when the source gives energy only and no power was sampled. */
  peakWatts: z.number().nullable(),
  /** Power or energy readings taken inside the window (2 for a counter read at start and stop). */
  samples: z.number().int().nonnegative(),
  /** Fraction of the window covered by the readings (1 for a counter). */
  coverage: z.number().min(0).max(1),
  note: z.string().optional(),
});

/** Clocks, temperature, utilisation and throttling of one GPU during the window. */
export const gpuTelemetrySchema = z.object({
  index: z.number().int(),
  name: z.string(),
  uuid: z.string().optional(),
  samples: z.number().int().nonnegative(),
  smClockMHz: z.object({ min: z.number(), mean: z.number(), max: z.number() }).nullable(),
  memClockMHz: z.object({ min: z.number(), max: z.number() }).nullable(),
  /** Reference for the throttle rule: the GPU's maximum SM clock. */
  maxSmClockMHz: z.number().nullable(),
  temperatureC: z.object({ max: z.number() }).nullable(),
  utilisationPercent: z.object({ mean: z.number() }).nullable(),
  powerLimitWatts: z.number().nullable(),
  /** Active throttle reasons seen at any sample, by name (GPU idle excluded). */
  throttleReasons: z.array(z.string()),
  /** Compute processes on this GPU other than this one (null when the source cannot tell). */
  otherProcesses: z.number().int().nullable(),
});

export const sourceUnavailableSchema = z.object({ source: z.string(), reason: z.string() });

const energy = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('measured'),
    /** Sources of the total, e.g. "nvml + rapl". */
    source: z.string(),
    /** The least direct method among the readings in the total. */
    method: energyMethodSchema,
    /** Total over `scope`: domains that do not contain one another (a node reading stands alone). */
    joules: z.number(),
    avgWatts: z.number(),
    /** Lowest coverage among the readings in the total. */
    coverage: z.number().min(0).max(1),
    // The rest is written by fedbench's own meters; optional so that a figure from elsewhere (a post-hoc
    // scheduler figure, a synthetic record) stays a valid record with the five fields above.
    scope: z.array(energyDomainSchema).optional(),
    /** The measured (sampling) window, warm-up excluded. */
    windowSeconds: z.number().optional(),
    calls: z.number().int().nonnegative().optional(),
    joulesPerCall: z.number().nullable().optional(),
    /** e.g. GFLOP/s per W and J per GFLOP; empty when the work per call is unknown. */
    efficiency: z.array(z.object({ name: z.string(), value: z.number(), unit: z.string() })).optional(),
    readings: z.array(energyDomainReadingSchema).optional(),
    telemetry: z.array(gpuTelemetrySchema).optional(),
    /** Sources not used, and why. */
    unavailable: z.array(sourceUnavailableSchema).optional(),
  }),
  z.object({
    status: z.literal('unavailable'),
    reason: z.string(),
    sources: z.array(sourceUnavailableSchema).optional(),
  }),
]);

/** One GPU as nvidia-smi describes it. */
export const gpuSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  uuid: z.string().optional(),
  memoryMiB: z.number().optional(),
  driver: z.string().optional(),
  /** The CUDA version the driver supports (nvidia-smi's header). */
  cuda: z.string().optional(),
  powerLimitW: z.number().optional(),
  /** 'Enabled' / 'Disabled' as nvidia-smi says; absent where the GPU has no such mode. */
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
  gpus: z.array(gpuSchema),
  gpuSource: z.string(),
  node: z.string(),
  packages: z.record(z.string(), z.string().nullable()),
  env: z.record(z.string(), z.string()),
  /** What links the node to others and its GPUs to each other, as the node reports it; absent in older records. */
  fabric: z
    .object({
      /** Every InfiniBand (or RoCE) port in sysfs, as `ibstat` shows them. */
      infiniband: z.array(infinibandPortSchema),
      /** `nvidia-smi topo -m` as printed; null without GPUs or nvidia-smi. */
      gpuTopology: z.string().nullable(),
    })
    .optional(),
});

const warmupRulesSchema = z.object({
  /** Always run at least this many warm-up iterations. */
  minIterations: z.number(),
  /** ... and for at least this many seconds. */
  minSeconds: z.number(),
  /** Give up waiting for stability after this many seconds (a warning is recorded). */
  maxSeconds: z.number(),
  /** Stable when the last `window` iteration times have a coefficient of variation at most `stableCv`. */
  window: z.number(),
  stableCv: z.number(),
});

/** The stopping rules a measurement ran under (`measure/stopping.ts` decides with them). */
export const stoppingRulesSchema = z.object({
  warmup: warmupRulesSchema,
  minSamples: z.number(),
  maxSamples: z.number(),
  /** Seconds of sampling at least (sum of sample wall time). */
  minSeconds: z.number(),
  /** Stop sampling after this many seconds even if the noise target was not met (a warning is recorded). */
  maxSeconds: z.number(),
  /** Target: half-width of the median's 95% interval relative to the median (0.01 = ±1%). */
  targetNoise: z.number(),
  /** Shortest wall time of one sample; shorter calls are repeated inside a sample so timer cost stays negligible. */
  minSampleSeconds: z.number(),
});

/** Why sampling ended: noise target met, `stop.maxSamples`, or `time-out`: the sampling limit `stop.maxSeconds` (not a
 * program's per-invocation `timeout`, which fails the case; messages name it so, `measure/warnings.ts`). */
export const stopReasonSchema = z.enum(['converged', 'time-out', 'max-samples']);
/** How warm-up ended: times stable, its time limit, or (a user's program) the suite's fixed count of runs done. */
export const warmupEndSchema = z.enum(['stable', 'time-out', 'count']);

export const measurementSchema = z.object({
  callsPerSample: z.number().int(),
  warmup: z.object({ iterations: z.number().int(), seconds: z.number(), end: warmupEndSchema }),
  stopReason: stopReasonSchema,
  samplingSeconds: z.number(),
  rules: stoppingRulesSchema,
  harness: z.object({
    /** Cost of one clock read, ns. */
    timerNs: z.number(),
    /** Cost of the loop around one call of an empty function of the same kind (sync or async), ns. */
    loopNsPerCall: z.number(),
    /** loopNsPerCall relative to the median time of one call of the workload. */
    fractionOfMedian: z.number(),
    /** How the C heap was set up for the run (freed memory kept for reuse), or why it kept its defaults. */
    allocator: z.string().optional(),
    /**
     * The engine binding's own cost of a call with this case's outputs, in ns: timed on a model that only writes
     * them (onnxruntime-node allocates, zero-fills and copies every output). Part of every sample's time.
     */
    engineCallNs: z.number().optional(),
  }),
});

export const benchmarkKindSchema = z.enum(['kernel', 'training', 'inference', 'command']);

/** What the model was: its architecture and shape, or a user model's file and inputs (free-form per workload). */
const modelDescription = z.record(z.string(), z.unknown());

/** A kernel's figures are all in the record's common fields; the tag alone says so. */
export const kernelDetailsSchema = z.object({ kind: z.literal('kernel') });

// Details are written by the workloads, and older records may lack fields added since: only the tags are
// required, every figure is optional (readers show what is there).

/** A training run: the model, the optimizer, and the loss it reached. */
export const trainingDetailsSchema = z
  .object({
    kind: z.literal('training'),
    model: modelDescription,
    parameters: z.number(),
    optimizer: z.string(),
    learningRate: z.number(),
    stepsPerEpoch: z.number(),
    /** stepsPerEpoch steady-state steps: warm-up and data loading are not in it. */
    epochSeconds: z.number(),
    steps: z.number(),
    untimedCheckSteps: z.number(),
    epochsSeen: z.number(),
    /** [step, loss] pairs, thinned. */
    lossTrajectory: z.array(z.tuple([z.number(), z.number()])),
    lossCheck: z.object({
      first: z.number(),
      last: z.number(),
      window: z.number(),
      ratio: z.number(),
      minDrop: z.number(),
    }),
    /** tfjs-wasm kernels fedbench added so the model trains there. */
    wasmKernels: z.array(z.string()),
  })
  .partial()
  .required({ kind: true });

/** Fields every inference scenario has: the model queried and the samples per query. */
const inferenceCommon = {
  kind: z.literal('inference'),
  batch: z.number(),
  model: modelDescription,
  /** The ONNX file queried (a built model in the cache, or the user's). */
  modelFile: z.string(),
};

const inferenceTags = { kind: true, scenario: true } as const;

/** Latency percentiles over all queries (nearest rank), ms. */
const latencyFields = {
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
  queries: z.number(),
};

export const inferenceDetailsSchema = z.discriminatedUnion('scenario', [
  z
    .object({ ...inferenceCommon, scenario: z.literal('offline') })
    .partial()
    .required(inferenceTags),
  z
    .object({
      ...inferenceCommon,
      scenario: z.literal('single-stream'),
      ...latencyFields,
      seconds: z.number(),
      windows: z.number(),
      warmupQueries: z.number(),
      latencyPercentiles: z.string(),
    })
    .partial()
    .required(inferenceTags),
  z
    .object({
      ...inferenceCommon,
      scenario: z.literal('server'),
      targetQps: z.number(),
      p99BoundMs: z.number(),
      achievedQps: z.number(),
      ...latencyFields,
      meetsBound: z.boolean(),
      overloaded: z.boolean(),
      seconds: z.number(),
      serviceMsAtWarmup: z.number(),
      concurrency: z.number(),
      /** Where latency is counted from (the scheduled arrival: queueing included). */
      latencyFrom: z.string(),
      findMaxQps: z.object({
        searchedQps: z.number(),
        maxQps: z.number().nullable(),
        trials: z.array(
          z.object({
            targetQps: z.number(),
            issued: z.number(),
            achievedQps: z.number(),
            p99Ms: z.number(),
            meetsBound: z.boolean(),
            overloaded: z.boolean(),
            seconds: z.number(),
          }),
        ),
        failedFullRuns: z.array(z.object({ targetQps: z.number(), p99Ms: z.number() })),
      }),
    })
    .partial()
    .required(inferenceTags),
]);

/** A user's own program run as a benchmark: what ran, how it ended, and how the figure was taken from it. */
export const commandDetailsSchema = z.object({
  kind: z.literal('command'),
  /** The program and its arguments, placeholders replaced, as run (no shell). */
  argv: z.array(z.string()),
  cwd: z.string().optional(),
  /** Exit code of the last invocation (null when it was killed or never started). */
  exitCode: z.number().int().nullable(),
  /** How the figure was extracted from the program's output (e.g. a regular expression), in words. */
  extraction: z.string(),
  /** Invocations run, warm-up included. */
  invocations: z.number().int().nonnegative().optional(),
  /** The last lines of its standard error, when it wrote any. */
  stderrTail: z.string().optional(),
  /** The last lines of its standard output, on a failed record (the figure is usually printed there). */
  stdoutTail: z.string().optional(),
  /** Processes an invocation left holding its output after it exited, and what fedbench did with them. */
  leftBehind: z.string().optional(),
  /** The built-in benchmark and parameters this program measures the same as (`as:` in the suite). */
  sameAs: z.object({ benchmark: z.string(), params: z.record(z.string(), z.unknown()) }).optional(),
  /** A case with `nodes` × `gpusPerNode`: its ranks, where they ran and their figures. */
  ranks: ranksSchema.optional(),
  /** A collective sweep: its table per message size and the transport used. */
  comm: commSchema.optional(),
  /** A node's copy matrix over its GPUs and the host (copy_matrix.py). */
  copies: copiesSchema.optional(),
});

/** Kind-specific figures, tagged with the benchmark's kind (an inference run also with its scenario). */
export const runDetailsSchema = z.discriminatedUnion('kind', [
  kernelDetailsSchema,
  trainingDetailsSchema,
  inferenceDetailsSchema,
  commandDetailsSchema,
]);

/**
 * The scheduler's view of the job that ran the case, written by `fedbench collect` (sacct / squeue, or the job's
 * own SLURM_* variables). Every field may be missing or null: sacct says nothing without accounting.
 */
export const slurmSchema = z.object({
  cluster: z.string().nullable().optional(),
  partition: z.string().nullable().optional(),
  /** The array job's id; with arrayTaskId, the task (`jobId_arrayTaskId`). */
  jobId: z.string().optional(),
  arrayTaskId: z.number().int().optional(),
  /** The campaign's task number (the array index within the campaign's plan). */
  task: z.number().int().optional(),
  node: z.string().nullable().optional(),
  /** Slurm's state, e.g. COMPLETED, TIMEOUT, or "ENDED (no accounting)". */
  state: z.string().optional(),
  /** Elapsed seconds of the task. */
  elapsed: z.number().nullable().optional(),
  /** sacct's exit code, "code:signal". */
  exitCode: z.string().optional(),
  start: z.string().nullable().optional(),
  end: z.string().nullable().optional(),
  /** sacct's ConsumedEnergyRaw for the task, joules. */
  consumedEnergyJ: z.number().nullable().optional(),
  /** What consumedEnergyJ covers. */
  energyScope: z.string().optional(),
  energyNote: z.string().optional(),
  /** Whole-node runs: this record's GPU worker (0…workers-1), and the GPU workers the node ran. */
  gpuWorker: z.number().int().optional(),
  workers: z.number().int().optional(),
});

export const recordStatusSchema = z.enum(['ok', 'failed', 'skipped', 'timeout', 'cancelled']);
/** The engines fedbench drives itself; `command` is a user's program, which brings its own. */
export const engineNameSchema = z.enum(['onnxruntime', 'tfjs', 'command']);
/** A backend or provider that was tried and not used, with the reason it gave. */
export const fallbackSchema = z.object({ backend: z.string(), reason: z.string() });

/** A kernel's check against its JavaScript reference, at a small size. */
export const verificationSchema = z.object({
  params: z.record(z.string(), z.unknown()),
  passed: z.boolean(),
  worstExcess: z.number().nullable(),
  /** |got - want| <= abs + rel * |want| for every element. */
  tolerance: z.object({ abs: z.number(), rel: z.number() }),
});

export const runRecordSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  id: z.string(),
  campaign: z.string(),
  suite: z.string(),
  case: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  status: recordStatusSchema,
  error: z.string().optional(),
  benchmark: z.object({
    id: z.string(),
    kind: benchmarkKindSchema,
    workload: z.string(),
    params: z.record(z.string(), z.unknown()),
  }),
  engine: z.object({
    name: engineNameSchema,
    /** As actually used, not as requested. Null when the engine never started. */
    backend: z.string().nullable(),
    package: z.string().nullable(),
    version: z.string().nullable(),
    threads: z.number().int().nullable(),
    /** Where it computed, in the engine's or program's own words (a user's program says it with a
     *  `FEDBENCH:DEVICE <text>` line: "cuda:0 NVIDIA A100-SXM4-40GB", "cpu, 2 threads"). */
    device: z.string().optional(),
    requested: z.array(z.string()),
    fallbacks: z.array(fallbackSchema),
  }),
  metric: metricSchema,
  /** bytesPerCall: least memory traffic of one call (kernels with a FLOP count), for the report's roofline. */
  work: z.object({ perCall: z.number(), note: z.string(), bytesPerCall: z.number().optional() }).optional(),
  verification: verificationSchema.optional(),
  samples: z.array(z.number()),
  iterationSeconds: z.array(z.number()),
  stats: statsSchema.optional(),
  secondary: z.array(secondary),
  measurement: measurementSchema.optional(),
  warnings: z.array(z.string()),
  /** Kind-specific figures: a training run's loss trajectory, an inference scenario's settings and counts.
   *  Absent when the case produced no outcome (failed, skipped) and for kernels. */
  details: runDetailsSchema.optional(),
  energy,
  system: systemSchema,
  site: z.string().optional(),
  slurm: slurmSchema.optional(),
  /** `fedbench run --repeat K`: this record is repetition `index` of `of`, each measured in a fresh process. */
  repetition: z.object({ index: z.number().int().min(1), of: z.number().int().min(2) }).optional(),
});

export type RunRecord = z.infer<typeof runRecordSchema>;
export type SystemInfo = z.infer<typeof systemSchema>;
export type Direction = z.infer<typeof directionSchema>;
export type Metric = z.infer<typeof metricSchema>;
/** The statistics as records keep them (older records lack `effectiveN`). */
export type RecordStats = z.infer<typeof statsSchema>;
export type Outliers = z.infer<typeof outliersSchema>;
export type Mode = z.infer<typeof modeSchema>;
export type GpuInfo = z.infer<typeof gpuSchema>;
export type RecordStatus = z.infer<typeof recordStatusSchema>;
export type EngineName = z.infer<typeof engineNameSchema>;
export type Fallback = z.infer<typeof fallbackSchema>;
export type Verification = z.infer<typeof verificationSchema>;
export type EnergyReading = z.infer<typeof energy>;
export type MeasuredEnergy = Extract<EnergyReading, { status: 'measured' }>;
export type EnergyMethod = z.infer<typeof energyMethodSchema>;
export type EnergyDomain = z.infer<typeof energyDomainSchema>;
/** One domain on one device as the record keeps it (with its source and method). */
export type EnergyDomainReading = z.infer<typeof energyDomainReadingSchema>;
export type GpuTelemetry = z.infer<typeof gpuTelemetrySchema>;
export type SourceUnavailable = z.infer<typeof sourceUnavailableSchema>;
export type StoppingRules = z.infer<typeof stoppingRulesSchema>;
export type WarmupRules = StoppingRules['warmup'];
export type StopReason = z.infer<typeof stopReasonSchema>;
export type WarmupEnd = z.infer<typeof warmupEndSchema>;
export type MeasurementSummary = z.infer<typeof measurementSchema>;
export type BenchmarkKind = z.infer<typeof benchmarkKindSchema>;
export type RunDetails = z.infer<typeof runDetailsSchema>;
export type KernelDetails = z.infer<typeof kernelDetailsSchema>;
export type TrainingDetails = z.infer<typeof trainingDetailsSchema>;
export type InferenceDetails = z.infer<typeof inferenceDetailsSchema>;
export type CommandDetails = z.infer<typeof commandDetailsSchema>;
export type SlurmInfo = z.infer<typeof slurmSchema>;
