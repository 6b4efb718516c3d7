export {
  submitCampaign,
  nodePairs,
  startCommand,
  profileOf,
  type SubmitRequest,
  type SubmitOutcome,
  type RenderedScript,
} from './submit.js';
export {
  collectCampaign,
  MAX_RECORD_BYTES,
  type CollectRequest,
  type CollectOutcome,
  type Quarantined,
  type NodeFigure,
} from './collect.js';
export {
  siteStates,
  summarise,
  taskRefs,
  journalSites,
  journalSite,
  type SiteStatus,
  type SiteStates,
  type TaskRef,
} from './status.js';
export {
  campaignsDir,
  readJournal,
  saveJournal,
  latestCampaign,
  lockCampaign,
  checkCampaignName,
  CAMPAIGN_NAME,
  journalFile,
  journalSchema,
  JOURNAL_SCHEMA,
  type Journal,
  type PlannedCase,
  type SiteEntry,
} from './journal.js';
export { planCases, oneCaseSuite, chunkTasks, arrayRanges } from './plan.js';
export { SitePool } from './pool.js';
export { cancelCampaign, cancelNote, type CancelOutcome, type SiteCancel } from './cancel.js';
export { deploy, productionPackages, PACKAGE_ROOT, type DeployOutcome } from './deploy.js';
export { failureReason } from './failure-reason.js';
export { checkSite, certificateWarning, type SiteCheck } from './check.js';
// What callers above federation (the server) need of the scheduler's and transports' words, so that they reach
// sites only through federation.
export {
  schedulerOf,
  SCHEDULER_KINDS,
  type SchedulerKind,
  type TaskState,
} from '../scheduler/index.js';
export { printable } from '../remote/index.js';
