// The registry of workloads a suite can name.
import { attention } from './kernels/attention.js';
import { bandwidth } from './kernels/bandwidth.js';
import { conv2d } from './kernels/conv2d.js';
import { gemm } from './kernels/gemm.js';
import { onnxModel } from './inference/onnx-model.js';
import { inferBert, inferCnn, inferMlp, inferResnet50 } from './inference/workloads.js';
import { trainCnn, trainMlp, trainTransformer } from './training/workloads.js';
import type { CustomWorkload, KernelWorkload, Workload } from './types.js';

export const KERNELS: Record<string, KernelWorkload> = Object.fromEntries(
  [gemm, conv2d, bandwidth, attention].map((w) => [w.id, w as unknown as KernelWorkload]),
);

/** Training and inference workloads: each runs itself (see CustomWorkload). */
const CUSTOM: CustomWorkload[] = [
  trainMlp,
  trainCnn,
  trainTransformer,
  inferMlp,
  inferCnn,
  inferResnet50,
  inferBert,
  onnxModel,
].map((w) => w as unknown as CustomWorkload);

export const WORKLOADS: Record<string, Workload> = { ...KERNELS, ...Object.fromEntries(CUSTOM.map((w) => [w.id, w])) };

/** What the figure of merit is, in words, for listings. */
export function metricSummary(w: Workload): string {
  return w.kind === 'kernel' ? w.metric.unit : w.metricSummary;
}

/** The metric of a workload for given parameters. */
export function metricOf(w: Workload, params: Record<string, unknown>) {
  return w.kind === 'kernel' ? w.metric : w.metric(params);
}

export { worstError } from './data.js';
export { SkipCase, WrongResults } from './types.js';
export type {
  KernelWorkload,
  CustomWorkload,
  Workload,
  Metric,
  Inputs,
  HostTensor,
  BenchmarkKind,
  Tolerance,
  TfjsProgram,
  EngineChoice,
  EngineUsed,
  ExecuteContext,
  Outcome,
  MeasureHooks,
  Verification,
  SecondaryMetric,
  MeasurementSummary,
} from './types.js';
