// Energy of the measured window: meters behind one interface (start / poll / stop / close), chosen per
// domain by how directly they measure, and turned into the record's `energy` field. A machine with no
// source gets "unavailable" with the reason — never 0 J.
export type {
  DomainReading,
  EnergyDomain,
  EnergyMeter,
  EnergyMethod,
  EnergyOptions,
  EnergySource,
  GpuTelemetry,
  MeterReading,
  SourceUnavailable,
} from './types.js';
export { openMeters, energySources, type OpenedMeters, type EnergySourceStatus } from './open-meters.js';
export { energyRecord, type MeasuredWork } from './energy-record.js';
export { unavailableEnergy } from '../results/new-record.js';
export { meterWindow, type MeterWindow } from './meter-window.js';
export { schedulerEnergy, schedulerEnergyReplaces, type JobEnergy } from './scheduler-energy.js';
