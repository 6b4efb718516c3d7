export {
  siteSchema,
  sshSchema,
  schedulerSchema,
  factsSchema,
  isScriptPath,
  SCRIPT_PATH_RULE,
  type SiteProfile,
  type SiteFactsSpec,
} from './schema.js';
export {
  loadSite,
  loadSites,
  parseSite,
  siteNames,
  sitesDir,
  allSiteFacts,
  executorFor,
  loginOf,
  localPath,
  resolveWorkdir,
  BUILTIN_SITES_DIR,
  type Site,
} from './load.js';
export { siteFacts, type SiteFacts, type Peaks, type LinkPeak } from './facts.js';
