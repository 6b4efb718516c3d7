import type { z } from 'zod';
import type { GraphSpec } from '../engines/onnx-model.js';
import type { EngineName } from '../engines/types.js';
import type { Tf } from '../engines/tfjs.js';
import type * as TF from '@tensorflow/tfjs';

export type BenchmarkKind = 'kernel' | 'training' | 'inference';

export interface Metric {
  name: string;
  unit: string;
  direction: 'higher' | 'lower';
}

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

export interface Tolerance {
  /** |got - want| <= abs + rel * |want| for every element. */
  abs: number;
  rel: number;
}

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
