export { RUN_SCHEMA, runRecordSchema, systemSchema, type RunRecord, type SystemInfo, type EnergyReading } from './record.js';
export { writeRecord, readRecords, writeJsonAtomic, recordFileName, type ReadProblem } from './store.js';
