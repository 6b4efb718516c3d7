export { renderArrayScript, directives, gpuDirective, fill, template, checkScriptPath, TEMPLATES_DIR, type ArrayJob } from './render.js';
export {
  parseSacct, parseSqueue, parseSbatch, expandArrayIndices, isTerminal, baseState, recordStatusFor, describeEnd, timeLimitSeconds,
  SACCT_ARGS, SACCT_FIELDS, SQUEUE_ARGS, type TaskState, type TerminalState,
} from './jobs.js';
