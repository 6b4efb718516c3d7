// What every route needs: the results database (opened once; the embedded one admits one process), the folders
// a request may name things in (never a path from the request itself), and the campaigns launched from here.
import { z } from 'zod';
import type { ResultsDb } from '../db/index.js';
import { InputError } from '../errors.js';
import type { SiteFacts } from '../sites/index.js';
import type { Launcher } from './launch.js';

/** The database calls the server makes. */
export type ServeDb = Pick<ResultsDb, 'history' | 'status' | 'ingest' | 'records' | 'campaigns'>;

export interface ServeContext {
  db: ServeDb;
  sitesDir: string;
  campaignsDir: string;
  resultsDir: string;
  /** Suites: built-in names and files in this folder (by name). */
  benchmarksDir: string;
  /** References files offered by name (benchmarks/references). */
  referencesDir: string;
  facts(): Record<string, SiteFacts>;
  launcher: Launcher;
  warn(line: string): void;
}

/** A query parameter given once, repeated, or comma-separated, as a list of non-empty strings. */
export const listParam = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    (v === undefined ? [] : Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().max(200)).max(100));

export const textParam = z.string().max(200).optional();

/** A zod failure as one sentence naming each field. */
export function zodMessage(err: z.ZodError, where: string): string {
  return `${where}: ${err.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`;
}

export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(zodMessage(r.error, where));
  return r.data;
}
