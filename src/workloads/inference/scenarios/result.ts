// What a scenario hands back to its workload, which adds the engine and the verification.
import type { MeasurementSummary, Metric, SecondaryMetric } from '../../types.js';

export interface ScenarioResult {
  metric: Metric;
  samples: number[];
  iterationSeconds: number[];
  secondary: SecondaryMetric[];
  measurement?: MeasurementSummary;
  warnings: string[];
  /** Samples (not queries) processed inside the measured window. */
  calls: number;
  details: Record<string, unknown>;
}

/** The measured function: one query of `batch` samples; sync (tfjs) or async (ONNX Runtime). */
export type QueryFn = () => unknown;
