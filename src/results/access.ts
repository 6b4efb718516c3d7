// Typed views of a record's kind-specific parts, for readers: narrowed by the tag, never by string keys.
import type { RunDetails, RunRecord, SlurmInfo } from './record.js';

/** The record's details when they are of this kind (an inference run's, narrowed further by `scenario`). */
export function detailsOf<K extends RunDetails['kind']>(
  r: Pick<RunRecord, 'details'>,
  kind: K,
): Extract<RunDetails, { kind: K }> | null {
  const d = r.details;
  return d && d.kind === kind ? (d as Extract<RunDetails, { kind: K }>) : null;
}

const NO_SLURM: SlurmInfo = Object.freeze({});

/** The scheduler's view of the record's job; empty (every field absent) for a record not run under Slurm. */
export function slurmOf(r: Pick<RunRecord, 'slurm'>): SlurmInfo {
  return r.slurm ?? NO_SLURM;
}
