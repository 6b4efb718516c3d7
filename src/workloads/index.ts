// The registry of workloads a suite can name.
import { attention } from './kernels/attention.js';
import { bandwidth } from './kernels/bandwidth.js';
import { conv2d } from './kernels/conv2d.js';
import { gemm } from './kernels/gemm.js';
import type { KernelWorkload } from './types.js';

export const WORKLOADS: Record<string, KernelWorkload> = Object.fromEntries(
  [gemm, conv2d, bandwidth, attention].map((w) => [w.id, w as unknown as KernelWorkload]),
);

export { worstError } from './data.js';
export type { KernelWorkload, Metric, Inputs, HostTensor, BenchmarkKind, Tolerance, TfjsProgram } from './types.js';
