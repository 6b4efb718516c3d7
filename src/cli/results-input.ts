// Reads run records from the folders given on the command line. Unreadable files are reported on
// stderr and skipped; no record at all is bad input.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readRecords, type RunRecord } from '../results/index.js';

export async function loadRecords(dirs: readonly string[]): Promise<RunRecord[]> {
  const all: RunRecord[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new InputError(`results folder not found: ${dir}`);
    const { records, problems } = await readRecords(dir);
    for (const p of problems) process.stderr.write(`fedbench: skipped ${p.file}: ${p.error}\n`);
    all.push(...records);
  }
  if (!all.length) throw new InputError(`no run records found in ${dirs.join(', ')}`);
  return all;
}
