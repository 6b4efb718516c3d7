import type { z } from 'zod';
import type { GraphSpec } from '../engines/onnx-model.js';
import type { EngineName } from '../engines/types.js';
import type { Tf } from '../engines/tfjs.js';
import type * as TF from '@tensorflow/tfjs';
import type { Stats, StoppingRules } from '../measure/index.js';
import type {
  BenchmarkKind,
  Fallback,
  MeasurementSummary,
  Metric,
  RunDetails,
  RunRecord,
  Verification,
} from '../results/index.js';

export type { BenchmarkKind, MeasurementSummary, Metric, Verification };

/** Logical input data, always generated in fp32 and row-major; engines convert (fp16, layouts) outside the timed region. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

export type Inputs = Record<string, HostTensor>;

/** How a workload runs on tfjs: tensors are made once (untimed), `run` is what is timed. */
export interface TfjsProgram {
  prepare(inputs: Inputs): Record<string, TF.Tensor>;
  run(tensors: Record<string, TF.Tensor>): TF.Tensor;
  /** Brings the output back in the reference layout. */
  toReference(output: TF.Tensor): TF.Tensor;
}

/** |got - want| <= abs + rel * |want| for every element. */
export type Tolerance = Verification['tolerance'];

/** Hooks a workload calls around its measured window, so energy meters frame exactly that window. */
export interface MeasureHooks {
  onSample?: (n: number, elapsedSeconds: number) => void;
  onSamplingStart?: () => unknown;
  onSamplingEnd?: () => unknown;
}

/** What runs a case: the engine, backend and threads asked for. */
export interface EngineChoice {
  engine: EngineName;
  /** Pinned backend or provider; null uses the engine's chain. */
  backend: string | null;
  threads?: number;
}

/**
 * The engine as it actually ran: the record's `engine` less what the suite asked for (`requested`), and with a
 * backend and package that are never null here (the record's are null only for an engine that never started).
 */
export type EngineUsed = Omit<RunRecord['engine'], 'requested' | 'backend' | 'package' | 'fallbacks'> & {
  backend: string;
  package: string;
  fallbacks: Fallback[];
};

export interface ExecuteContext<P> {
  params: P;
  engine: EngineChoice;
  seed: number;
  rules: StoppingRules;
  hooks: MeasureHooks;
  /** Called as soon as the engine is known, so a later failure still records which engine it was. */
  onEngine(engine: EngineUsed): void;
}

/** A measured case, before it becomes a record. */
export interface Outcome {
  engine: EngineUsed;
  metric: Metric;
  /** The figure of merit per sample, and the raw seconds behind each. */
  samples: number[];
  iterationSeconds: number[];
  work?: { perCall: number; note: string };
  verification?: Verification;
  secondary: SecondaryMetric[];
  measurement?: MeasurementSummary;
  warnings: string[];
  /** Calls of the timed function inside the energy window (for joules per call). */
  calls: number;
  /** Work per call in units of 1e9 (GFLOP, GB), for efficiency figures; null when not meaningful. */
  gigaWorkPerCall: number | null;
  /** What one of `calls` is when it is not a unit of work (training: a sample; inference: a sample or a query):
   * energy figures are then per sample or per query. */
  callUnit?: { one: string; many: string };
  /** Kind-specific figures (loss trajectory, scenario details), tagged with the kind, stored in the record as they are. */
  details?: RunDetails;
}

export interface SecondaryMetric extends Metric {
  stats: Stats;
}

/** Thrown by a workload that cannot run a case here (missing precision, op, backend): a skipped record. */
export class SkipCase extends Error {
  override name = 'SkipCase';
}

/** Thrown when a workload's numbers are wrong (or a training loss does not fall): a failed record, no figure. */
export class WrongResults extends Error {
  override name = 'WrongResults';
  constructor(
    message: string,
    readonly verification?: Verification,
  ) {
    super(message);
  }
}

/**
 * A workload that runs itself (training, inference scenarios): it builds its model, checks it, and measures
 * through `measure` with the hooks it is given.
 */
export interface CustomWorkload<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  kind: 'training' | 'inference' | 'command';
  description: string;
  params: z.ZodType<P>;
  /** The figure of merit for these parameters (it may depend on them, e.g. the inference scenario). */
  metric(p: P): Metric;
  /** The figure(s) of merit in words, for listings (e.g. "samples/s; loss must fall"). */
  metricSummary: string;
  /** Engines this workload exists on. */
  engines: readonly EngineName[];
  unsupported(engine: EngineName, p: P): string | null;
  execute(ctx: ExecuteContext<P>): Promise<Outcome>;
}

export type Workload = KernelWorkload | CustomWorkload;

export interface KernelWorkload<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  kind: 'kernel';
  description: string;
  /** Schema of one case's parameters (the suite may give lists; each combination is checked against this). */
  params: z.ZodType<P>;
  metric: Metric;
  /** Work done by one call, in the metric's base unit (FLOP for GFLOP/s, bytes for GB/s). */
  work(p: P): number;
  /** What `work` counts, stated in every record. */
  workNote: string;
  /** Least memory traffic of one call in bytes (inputs read and outputs written once), for a roofline; omit if not meaningful. */
  bytes?(p: P): number;
  /** A small case of the same shape of problem, checked against the reference before timing. */
  verifyParams(p: P): P;
  inputs(p: P, seed: number): Inputs;
  reference(inputs: Inputs, p: P): Float32Array;
  tolerance(p: P): Tolerance;
  onnx(p: P): GraphSpec;
  tfjs(tf: Tf, p: P): TfjsProgram;
  /** Why this case cannot run on an engine, or null. */
  unsupported(engine: EngineName, p: P): string | null;
}
