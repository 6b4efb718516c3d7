// Parameters of the MLPerf-style scenarios, shared by every inference workload.
import { z } from 'zod';

export const SCENARIOS = ['offline', 'single-stream', 'server'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const scenarioFields = {
  scenario: z.enum(SCENARIOS).default('offline'),
  /** Samples per query: swept in Offline; SingleStream and Server send one sample per query. */
  batch: z.number().int().min(1).max(65536).default(1),
  /** SingleStream and Server: at least this many queries and at least this many seconds. */
  queries: z.number().int().min(10).max(10_000_000).default(200),
  seconds: z.number().positive().max(86_400).default(5),
  /** Server: Poisson arrival rate (queries/s), and the latency bound its 99th percentile must meet. */
  targetQps: z.number().positive().max(1e6).optional(),
  p99BoundMs: z.number().positive().max(3_600_000).default(100),
  /** Server: search for the highest rate that meets the bound (then targetQps is only a starting point). */
  findMaxQps: z.boolean().default(false),
};

export interface ScenarioParams {
  scenario: Scenario;
  batch: number;
  queries: number;
  seconds: number;
  targetQps?: number | undefined;
  p99BoundMs: number;
  findMaxQps: boolean;
}

/** Cross-field rules, applied with .superRefine on each workload's schema. */
export function checkScenario(p: ScenarioParams, ctx: z.RefinementCtx): void {
  if (p.scenario !== 'offline' && p.batch !== 1)
    ctx.addIssue({
      code: 'custom',
      path: ['batch'],
      message: `${p.scenario} sends one sample per query: batch must be 1 (sweep batch in the offline scenario)`,
    });
  if (p.scenario === 'server' && p.targetQps === undefined && !p.findMaxQps)
    ctx.addIssue({
      code: 'custom',
      path: ['targetQps'],
      message: 'the server scenario needs targetQps, or findMaxQps: true',
    });
}
