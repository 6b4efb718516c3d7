// What every route needs: the results database (opened once; the embedded one admits one process), the folders
// a request may name things in (never a path from the request itself), and the campaigns launched from here.
import { z } from 'zod';
import type { AnalysePairs } from '../analysis/kept-regressions.js';
import type { CampaignSummary, ResultsDb } from '../db/index.js';
import { InputError } from '../errors.js';
import type { SiteFacts } from '../sites/index.js';
import type { AnalysisPool } from './analysis/pool.js';
import type { Launcher } from './launch.js';

/** The database calls the server makes. */
export type ServeDb = Pick<
  ResultsDb,
  | 'history'
  | 'historyTexts'
  | 'status'
  | 'ingest'
  | 'records'
  | 'recordTexts'
  | 'campaigns'
  | 'unanalysedSeries'
  | 'pairPointsText'
  | 'keepPairRegressions'
  | 'keptRegressions'
  | 'keptChanges'
>;

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
  /** The database's campaigns (a scan of every record): kept a few seconds, and renewed when the server ingests. */
  campaigns(): Promise<CampaignSummary[]>;
  /** Incremented whenever the server adds records: a key for what is computed from them. */
  dataVersion(): number;
  launcher: Launcher;
  /** Worker threads for the analysis of large selections. */
  analysis: AnalysisPool;
  /** (case, site) pairs' regressions found on the worker threads. */
  analysePairs: AnalysePairs;
  warn(line: string): void;
}

const listOf = (separator: RegExp) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) =>
      (v === undefined ? [] : Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(separator))
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(500)).max(100));

/** Names (campaigns, sites) given once, repeated, or comma-separated. */
export const listParam = listOf(/,/);
/** Benchmark or case ids given once, repeated, or separated by spaces (a case id holds commas: n=256,dtype=fp32). */
export const idListParam = listOf(/\s+/);

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

/**
 * A value computed once, then renewed in the background when older than `ttlMs` (callers get the previous value
 * meanwhile: a scan of a million records must not stall every page), and renewed at the next call after `invalidate`.
 */
export function cached<T>(compute: () => Promise<T>, ttlMs: number): { get(): Promise<T>; invalidate(): void } {
  let value: { at: number; p: Promise<T> } | null = null;
  let renewing = false;
  const start = () => {
    const p = compute();
    p.catch(() => undefined);
    return p;
  };
  return {
    get() {
      if (!value) {
        value = { at: Date.now(), p: start() };
        value.p.catch(() => {
          value = null;
        });
      } else if (Date.now() - value.at > ttlMs && !renewing) {
        renewing = true;
        const p = start();
        p.then(
          () => (value = { at: Date.now(), p }),
          () => undefined,
        ).finally(() => (renewing = false));
      }
      return value.p;
    },
    invalidate() {
      value = null;
    },
  };
}
