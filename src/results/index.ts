export {
  RUN_SCHEMA,
  runRecordSchema,
  systemSchema,
  type RunRecord,
  type SystemInfo,
  type EnergyReading,
} from './record.js';
export { writeRecord, readRecords, checkRecord, writeJsonAtomic, recordFileName, type ReadProblem } from './store.js';
