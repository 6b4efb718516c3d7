export {
  summarize,
  summarizeRuns,
  tInterval,
  medianInterval,
  median,
  sortedSamples,
  settledSamples,
  medianCiRanks,
  findOutliers,
  findModes,
  autocorrelationTime,
  relativeCiHalfWidth,
  drift,
  OUTLIER_THRESHOLD,
  type Stats,
  type Outliers,
  type Mode,
} from './stats.js';
export {
  DEFAULT_RULES,
  mergeRules,
  samplingDecision,
  warmupDecision,
  type StoppingRules,
  type WarmupRules,
  type PartialRules,
  type StopReason,
} from './stopping.js';
export {
  measure,
  measureHarnessCost,
  measurementSummary,
  type Measurement,
  type HarnessCost,
  type TimedCall,
} from './loop.js';
export { heapChoiceProblem, keepFreedMemoryInHeap } from './allocator.js';
export { samplingWarnings } from './warnings.js';
