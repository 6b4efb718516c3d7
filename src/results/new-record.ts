// The one way a record is made: the runner (a case that ran, or did not) and collect (a case whose job ended
// before it wrote one) both start here, so the version and the empty measurement are set in one place.
import { RUN_SCHEMA, type EnergyReading, type RunRecord, type SourceUnavailable, type SystemInfo } from './record.js';

type Engine = RunRecord['engine'];

export type RecordInit = Omit<
  RunRecord,
  'schema' | 'status' | 'engine' | 'samples' | 'iterationSeconds' | 'secondary' | 'warnings'
> &
  Partial<Pick<RunRecord, 'status' | 'samples' | 'iterationSeconds' | 'secondary' | 'warnings'>> & {
    /** The engine asked for, and as much of what ran as is known (nothing when it never started). */
    engine: Pick<Engine, 'name' | 'requested'> & Partial<Omit<Engine, 'name' | 'requested'>>;
  };

/** A record of the current version; what the init leaves out is empty: no samples, no engine that ran. */
export function newRecord(init: RecordInit): RunRecord {
  const { engine, ...rest } = init;
  return {
    schema: RUN_SCHEMA,
    ...rest,
    status: init.status ?? 'ok',
    engine: {
      name: engine.name,
      backend: engine.backend ?? null,
      package: engine.package ?? null,
      version: engine.version ?? null,
      threads: engine.threads ?? null,
      ...(engine.device ? { device: engine.device } : {}),
      requested: engine.requested,
      fallbacks: engine.fallbacks ?? [],
    },
    samples: init.samples ?? [],
    iterationSeconds: init.iterationSeconds ?? [],
    secondary: init.secondary ?? [],
    warnings: init.warnings ?? [],
  };
}

/** The record's energy when nothing measured it: the reason, and each source not used with its own. */
export function unavailableEnergy(reason: string, sources: SourceUnavailable[] = []): EnergyReading {
  return { status: 'unavailable', reason, ...(sources.length ? { sources } : {}) };
}

/**
 * The `system` of a record whose case never reported its machine (its job ended first): every field says
 * unknown (the host is the node the scheduler named, if any), never an invented machine.
 */
export function unknownSystem(why: string, host: string | null = null): SystemInfo {
  return {
    host: host ?? 'unknown',
    os: { platform: 'unknown', release: '', distro: null, arch: '' },
    cpu: { model: 'unknown', logicalCores: 0, availableParallelism: 0, flags: [] },
    memoryBytes: 0,
    gpus: [],
    gpuSource: `unknown: ${why}`,
    node: '',
    packages: {},
    env: {},
  };
}
