// Ranks sites for one workload by time-to-solution, energy, cost and CO2, with stated weights.
// A criterion without data for every site is left out (and said so): a partial column would favour
// whichever site did not report.
import type { CaseSeries, SiteSeries } from './aggregate.js';
import type { SiteFacts } from '../sites/facts.js';
import { compareSamples, type Verdict } from './compare.js';

export type { SiteFacts };

export const CRITERIA = ['time', 'energy', 'cost', 'co2'] as const;
export type Criterion = (typeof CRITERIA)[number];
export type Weights = Record<Criterion, number>;
export const DEFAULT_WEIGHTS: Weights = { time: 0.4, energy: 0.2, cost: 0.3, co2: 0.1 };

export interface SiteScore {
  site: string;
  rank: number;
  score: number;
  /** Per call of the workload: seconds, joules, currency, grams CO2e — null where unknown. */
  values: Record<Criterion, number | null>;
  /** Against the top site: SAME / FASTER / SLOWER / UNCERTAIN on the measured figure. */
  versusTop: Verdict | null;
}

export interface Ranking {
  case: string;
  weightsUsed: Partial<Weights>;
  excluded: Array<{ criterion: Criterion; reason: string }>;
  sites: SiteScore[];
  note: string;
}

export function parseWeights(text: string): Weights {
  const w: Weights = { time: 0, energy: 0, cost: 0, co2: 0 };
  for (const part of text.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (!CRITERIA.includes(k as Criterion))
      throw new Error(`unknown criterion '${k}'. Valid criteria: ${CRITERIA.join(', ')}`);
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`weight of ${k} must be a number ≥ 0, got '${v}'`);
    w[k as Criterion] = n;
  }
  return w;
}

/** Seconds per call: the metric is a rate of work (higher) or a time (lower, in seconds). */
function secondsPerCall(s: SiteSeries, workPerCall: number | null): number | null {
  if (!s.stats) return null;
  if (s.metric.direction === 'lower')
    return s.metric.unit === 's' ? s.stats.median : s.metric.unit === 'ms' ? s.stats.median / 1000 : null;
  return workPerCall ? workPerCall / (s.stats.median * 1e9) : 1 / s.stats.median;
}

export function rankSites(
  c: CaseSeries,
  facts: Record<string, SiteFacts>,
  weights: Weights,
  workPerCall: number | null,
): Ranking {
  const sites = c.sites.filter((s) => s.stats);
  const values = new Map<string, Record<Criterion, number | null>>();
  for (const s of sites) {
    const t = secondsPerCall(s, workPerCall);
    const f = facts[s.site] ?? {};
    // an estimate from declared power is shown in the energy section, but not ranked against measurements
    const joules = s.energy && !s.energy.estimated ? s.energy.joulesPerCall : null;
    // A single-device case pays one GPU's share of the node; a CPU-only site pays the whole node.
    const share = f.gpusPerNode ? f.nodeHourCost! / f.gpusPerNode : f.nodeHourCost!;
    const cost = t !== null && f.nodeHourCost !== undefined ? (t / 3600) * share : null;
    const co2 = joules !== null && f.carbonGPerKWh !== undefined ? (joules / 3.6e6) * f.carbonGPerKWh : null;
    values.set(s.site, { time: t, energy: joules, cost, co2 });
  }
  // Energy billed on top of node-hours joins the cost only where every site has both its price and a measured
  // energy: a cost with the energy term at some sites and not at others would favour the ones without it.
  const priced = sites.filter(
    (s) => values.get(s.site)!.energy !== null && facts[s.site]?.energyPricePerKWh !== undefined,
  );
  const energyInCost = sites.length > 0 && priced.length === sites.length;
  if (energyInCost) {
    for (const s of sites) {
      const v = values.get(s.site)!;
      if (v.cost !== null) v.cost += (v.energy! / 3.6e6) * facts[s.site]!.energyPricePerKWh!;
    }
  }
  const unpriced = sites.filter((s) => !priced.includes(s)).map((s) => s.site);
  const costNote = energyInCost
    ? 'cost = node-hour share × time + energy × energy price'
    : priced.length
      ? `cost = node-hour share × time only: no energy price or energy figure for ${unpriced.join(', ')}`
      : 'cost = node-hour share × time';
  const excluded: Ranking['excluded'] = [];
  const used: Partial<Weights> = {};
  for (const k of CRITERIA) {
    if (weights[k] <= 0) continue;
    const missing = sites.filter((s) => values.get(s.site)![k] === null).map((s) => s.site);
    const estimatedOnly =
      (k === 'energy' || k === 'co2') && missing.some((m) => sites.find((s) => s.site === m)?.energy?.estimated);
    if (missing.length)
      excluded.push({
        criterion: k,
        reason: `no ${k} figure for ${missing.join(', ')}${estimatedOnly ? ' (an energy estimate from declared power is not ranked against measurements)' : ''}`,
      });
    else used[k] = weights[k];
  }
  const total = Object.values(used).reduce((a, b) => a + b, 0);
  const scored = sites.map((s) => {
    let score = 0;
    for (const [k, w] of Object.entries(used) as Array<[Criterion, number]>) {
      const best = Math.min(...sites.map((x) => values.get(x.site)![k]!));
      score += (w / total) * (best / values.get(s.site)![k]!);
    }
    return {
      site: s.site,
      score: total ? score : 0,
      values: values.get(s.site)!,
      rank: 0,
      versusTop: null as Verdict | null,
    };
  });
  scored.sort((a, b) => b.score - a.score);
  for (const [i, s] of scored.entries()) s.rank = i + 1;
  const top = scored[0];
  if (top) {
    for (const s of scored.slice(1)) {
      const a = sites.find((x) => x.site === s.site)!;
      const b = sites.find((x) => x.site === top.site)!;
      if (a.stats && b.stats)
        s.versusTop = compareSamples(
          { samples: a.samples, stats: a.stats },
          { samples: b.samples, stats: b.stats },
          c.metric.direction,
        ).verdict;
    }
  }
  const note = total
    ? `score = Σ weight × (best value / site value) over ${Object.keys(used).join(', ')}; weights normalised to sum to 1${used.cost ? `; ${costNote}` : ''}`
    : 'no criterion has data for every site: no ranking';
  return {
    case: c.case,
    weightsUsed: Object.fromEntries(Object.entries(used).map(([k, w]) => [k, w / (total || 1)])),
    excluded,
    sites: scored,
    note,
  };
}
