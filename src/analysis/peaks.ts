// Datasheet peaks, to show kernels as a fraction of what the hardware can do (roofline-style).
// Figures: NVIDIA's A100, H100 and H200 datasheets, dense rates (the datasheets' tensor-core figures with
// sparsity are twice these). Variants whose figures differ and are not listed here (H100 NVL, H200 NVL,
// GH200) match nothing rather than a wrong row. Site profiles may declare any GPU's peaks.
import type { Peaks } from '../sites/facts.js';

export type { Peaks };

const A100 = { fp32: 19.5, tf32: 156, fp16: 312, fp64: 9.7 };
const H100_SXM = { fp32: 66.9, tf32: 494.7, fp16: 989.4, fp64: 33.5 };
const H100_PCIE = { fp32: 51, tf32: 378, fp16: 756, fp64: 26 };
const TABLE: Array<{ match: RegExp; peaks: Peaks | null }> = [
  { match: /GH200|NVL/i, peaks: null }, // listed so that they match no other row
  {
    match: /H200/i,
    peaks: {
      label: 'H200 SXM 141 GB',
      tflops: H100_SXM,
      bandwidthGBs: 4800,
      source: 'NVIDIA H200 datasheet (compute as H100 SXM)',
    },
  },
  {
    match: /H100.*PCIe/i,
    peaks: { label: 'H100 PCIe 80 GB', tflops: H100_PCIE, bandwidthGBs: 2000, source: 'NVIDIA H100 datasheet' },
  },
  {
    match: /H100.*(HBM3|SXM)/i,
    peaks: { label: 'H100 SXM 80 GB', tflops: H100_SXM, bandwidthGBs: 3350, source: 'NVIDIA H100 datasheet' },
  },
  {
    match: /A100.*(SXM4?).*80\s*GB|A100.*80\s*GB.*SXM/i,
    peaks: { label: 'A100 SXM 80 GB', tflops: A100, bandwidthGBs: 2039, source: 'NVIDIA A100 datasheet' },
  },
  {
    match: /A100.*80\s*GB/i,
    peaks: { label: 'A100 PCIe 80 GB', tflops: A100, bandwidthGBs: 1935, source: 'NVIDIA A100 datasheet' },
  },
  {
    match: /A100.*64\s*GB/i,
    peaks: {
      label: 'A100 SXM 64 GB (Leonardo custom)',
      tflops: A100,
      source: 'NVIDIA A100 datasheet (compute); bandwidth not published for this variant',
    },
  },
  { match: /A100/i, peaks: { label: 'A100 40 GB', tflops: A100, bandwidthGBs: 1555, source: 'NVIDIA A100 datasheet' } },
];

export function peaksForGpu(model: string): Peaks | null {
  return TABLE.find((t) => t.match.test(model))?.peaks ?? null;
}

const GPU_BACKENDS = new Set(['cuda', 'tensorrt', 'webgpu', 'tensorflow-gpu']);

export function isGpuBackend(backend: string | null): boolean {
  return backend !== null && GPU_BACKENDS.has(backend);
}

/** The peak a case should be held against, in its metric's unit, or null with the reason. */
export function peakFor(
  _workload: string,
  params: Record<string, unknown>,
  unit: string,
  peaks: Peaks,
): { value: number; what: string } | null {
  if (unit === 'GB/s') return peaks.bandwidthGBs ? { value: peaks.bandwidthGBs, what: 'memory bandwidth' } : null;
  if (unit !== 'GFLOP/s') return null;
  const fp16 = params['dtype'] === 'fp16';
  const t = fp16 ? peaks.tflops.fp16 : peaks.tflops.fp32;
  return t ? { value: t * 1000, what: fp16 ? 'FP16 tensor-core peak' : 'FP32 (non-tensor) peak' } : null;
}
