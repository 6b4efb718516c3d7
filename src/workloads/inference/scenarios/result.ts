// What a scenario hands back to its workload, which adds the engine and the verification.
import type { InferenceDetails } from '../../../results/index.js';
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
  /** The scenario's settings and counts; the workload adds what the model was. */
  details: InferenceDetails;
}

/** The measured function: one query of `batch` samples; sync (tfjs) or async (ONNX Runtime). */
export type QueryFn = () => unknown;
