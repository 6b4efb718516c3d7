// Records on disk: one JSON file per case, written atomically (temp file + rename) so a crash never
// leaves half a record, and a reader never sees one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { errorText } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { runRecordSchema, type RunRecord } from './record.js';
import { upgradeRecord } from './upgrade.js';

let compiled: ValidateFunction | null = null;

/**
 * Checks a parsed JSON value against the record schema, after upgrading an older version fedbench knows
 * (`upgrade.ts`). The zod schema is the source of truth; for speed on large result sets a validator compiled
 * from its JSON Schema (ajv, ~4× faster) answers first, and zod is asked only for the message when a record
 * is rejected.
 */
export function checkRecord(raw: unknown): { record: RunRecord } | { error: string } {
  compiled ??= new Ajv2020({ strict: false }).compile(
    z.toJSONSchema(runRecordSchema, { io: 'input', unrepresentable: 'any' }),
  );
  const value = upgradeRecord(raw);
  if (compiled(value)) return { record: value as RunRecord };
  const parsed = runRecordSchema.safeParse(value);
  if (parsed.success) return { record: parsed.data };
  return { error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}

const safe = (text: string, max: number) =>
  text
    .replace(/[^A-Za-z0-9._=-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, max);

/** File-system-safe, unique name: the case id for people, the record id for uniqueness. */
export function recordFileName(record: Pick<RunRecord, 'case' | 'id'>): string {
  return `${safe(record.case, 150)}.${safe(record.id, 64)}.json`;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function writeRecord(dir: string, record: RunRecord): Promise<string> {
  runRecordSchema.parse(record); // never write what a reader would reject
  const file = path.join(dir, recordFileName(record));
  await writeJsonAtomic(file, record);
  return file;
}

export interface ReadProblem {
  file: string;
  error: string;
}

/**
 * Reads every record under dir (`*.json`: one record; `*.jsonl`: one per line); files and lines that are
 * not valid records are reported, not thrown.
 * Synchronous reads on purpose: for many small files they are ~15× faster than fs.promises here, and
 * nothing else runs while a report is built.
 */
export async function readRecords(dir: string): Promise<{ records: RunRecord[]; problems: ReadProblem[] }> {
  const records: RunRecord[] = [];
  const problems: ReadProblem[] = [];
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath ?? dir, e.name);
    if (e.name.endsWith('.json')) {
      try {
        const checked = checkRecord(JSON.parse(readFileSync(file, 'utf8')));
        if ('record' in checked) records.push(checked.record);
        else problems.push({ file, error: checked.error });
      } catch (err) {
        problems.push({ file, error: errorText(err) });
      }
    } else if (e.name.endsWith('.jsonl')) {
      // A bundle: one record per line (as exported or collected in bulk); a bad line spoils only itself.
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!line.trim()) return;
          try {
            const checked = checkRecord(JSON.parse(line));
            if ('record' in checked) records.push(checked.record);
            else problems.push({ file: `${file}:${i + 1}`, error: checked.error });
          } catch (err) {
            problems.push({ file: `${file}:${i + 1}`, error: errorText(err) });
          }
        });
    }
  }
  return { records, problems };
}
