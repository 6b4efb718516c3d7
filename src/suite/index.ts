export { loadSuite, parseSuite, builtinSuites, caseId, BUILTIN_SUITES_DIR, type Case, type Suite } from './load.js';
export { suiteSchema, stopSchema, type SuiteFile, type BenchmarkSpec } from './schema.js';
export { loadReferences, referenceSchema, referencesFileSchema, type Reference } from './references.js';
