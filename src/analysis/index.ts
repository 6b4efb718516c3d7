export {
  aggregate,
  bestSite,
  compareEngines,
  type EngineComparison,
  groupBy,
  siteOf,
  nodeOf,
  deviceOf,
  engineLabel,
  type CaseSeries,
  type SiteSeries,
  type NodeSeries,
} from './aggregate.js';
export {
  compareSamples,
  mannWhitneyP,
  DEFAULT_COMPARE,
  type Comparison,
  type Verdict,
  type CompareOptions,
} from './compare.js';
export { accept, referenceFor, bounds, type AcceptanceRow, type AcceptVerdict } from './acceptance.js';
export type { Reference } from '../suite/index.js';
export {
  rankSites,
  parseWeights,
  CRITERIA,
  DEFAULT_WEIGHTS,
  type Ranking,
  type SiteScore,
  type SiteFacts,
  type Weights,
  type Criterion,
} from './ranking.js';
export { nodeVariability, STRAGGLER_THRESHOLD, type Variability, type NodeFinding } from './variability.js';
export { peaksForGpu, peakFor, isGpuBackend, type Peaks } from './peaks.js';
export { wholeNodes, nodeFigure, nodeFigureName, type WholeNodeCase, type NodeRun } from './whole-node.js';
export {
  changePoints,
  changes,
  regressions,
  DEFAULT_CHANGEPOINTS,
  type Change,
  type ChangePointOptions,
  type HistoryPoint,
  type Regression,
} from './changepoints.js';
export {
  findRegressions,
  historySeries,
  seriesOf,
  type HistorySeries,
  type KeptSeriesChanges,
  type RegressionFound,
  type RunPoint,
  type SeriesChange,
} from './history.js';
export {
  commCurves,
  copyMatrices,
  type CopyMatrix,
  fabricProblems,
  linkShares,
  nodePairViews,
  scalingEfficiency,
  SLOW_PAIR_SHARE,
  transports,
  type CommCurve,
  type NodePairView,
  type LinkShareRow,
  type ScalingRow,
  type TransportRow,
} from './comm.js';
