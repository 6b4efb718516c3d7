export { siteSchema, sshSchema, schedulerSchema, factsSchema, type SiteProfile, type SiteFactsSpec } from './schema.js';
export { loadSite, loadSites, parseSite, siteNames, sitesDir, siteFacts, allSiteFacts, executorFor, loginOf, localPath, BUILTIN_SITES_DIR, type Site } from './load.js';
