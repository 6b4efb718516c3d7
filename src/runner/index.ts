// Runs cases one after another and writes each record as soon as it exists, so an interrupted run
// keeps everything measured so far.
import type { EnergyOptions } from '../energy/index.js';
import type { RunRecord } from '../results/index.js';
import { writeRecord } from '../results/index.js';
import type { Case } from '../suite/index.js';
import { systemInfo } from '../system/index.js';
import { runCase } from './run-case.js';

export interface RunEvents {
  caseStart?(c: Case, index: number, total: number): void;
  sample?(c: Case, n: number, elapsedSeconds: number): void;
  caseEnd?(record: RunRecord, file: string | null): void;
  /** A finished case's record is being written (so an interrupt can wait for it). */
  writing?(c: Case, done: Promise<unknown>): void;
}

export interface RunOptions {
  campaign: string;
  /** Folder for records; null keeps them in memory only. */
  out: string | null;
  threads?: number;
  /** Energy sources to use or leave out, and a declared power for an estimate. */
  energy?: EnergyOptions;
  events?: RunEvents;
  /** Stamped on every record: which of `--repeat K` fresh processes this is. */
  repetition?: { index: number; of: number };
}

export async function runCases(cases: readonly Case[], opts: RunOptions): Promise<RunRecord[]> {
  const system = await systemInfo();
  const records: RunRecord[] = [];
  for (const [i, c] of cases.entries()) {
    opts.events?.caseStart?.(c, i, cases.length);
    const record = await runCase(c, {
      campaign: opts.campaign,
      system,
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.energy ? { energy: opts.energy } : {}),
      onSample: (n, t) => opts.events?.sample?.(c, n, t),
    });
    if (opts.repetition) record.repetition = opts.repetition;
    const write = opts.out ? writeRecord(opts.out, record) : Promise.resolve(null);
    opts.events?.writing?.(c, write);
    const file = await write;
    records.push(record);
    opts.events?.caseEnd?.(record, file);
  }
  return records;
}

export { runCase, type RunContext } from './run-case.js';
export { compile, type Executable } from './executable.js';
export { executeKernel } from './kernel.js';
