// Groups records by case and place (site, node) and pools their samples. Knows nothing of how a
// figure was measured: it reads records only.
import { median, settledSamples, summarize, summarizeRuns, type Stats } from '../measure/index.js';
import { detailsOf, slurmOf, type RunRecord } from '../results/index.js';
import { compareSamples, type Verdict } from './compare.js';

/** Where a record was measured: the site (or the local host) and the node. */
export function siteOf(r: RunRecord): string {
  return r.site ?? `local:${r.system.host}`;
}

export function nodeOf(r: RunRecord): string {
  return slurmOf(r).node || r.system.host;
}

/** The node, or one GPU of it when a whole-node run gave each GPU its own record ("a100-01/gpu2"):
 * acceptance and variability judge each card, so one slow GPU is not hidden in its node's pooled median. */
export function deviceOf(r: RunRecord): string {
  const worker = gpuWorkerOf(r);
  return worker !== null ? `${nodeOf(r)}/gpu${worker}` : nodeOf(r);
}

/** The GPU worker (0…N-1) of a whole-node run's record, or null for any other record. */
export function gpuWorkerOf(r: RunRecord): number | null {
  return slurmOf(r).gpuWorker ?? null;
}

/**
 * Every sample of the records, in order: one pooled array (flatMap is several times slower on 100k records),
 * settled (never changed after this), so the statistics sort it once however often it is summarized or compared.
 */
export function pooledSamples(records: readonly RunRecord[]): readonly number[] {
  const out: number[] = [];
  for (const r of records) for (const x of r.samples) out.push(x);
  return settledSamples(out);
}

export function engineLabel(r: RunRecord): string {
  const device = r.engine.device ? ` on ${r.engine.device}` : '';
  return `${r.engine.name}/${r.engine.backend ?? '—'}${r.engine.threads ? ` ×${r.engine.threads}` : ''}${device}`;
}

/** GPU or CPU, from what the record says ran: a GPU provider or backend, or a program's device line. */
export function deviceClass(r: RunRecord): 'gpu' | 'cpu' {
  if (r.engine.device) return /^(cuda|gpu|rocm|hip|xpu|mps)/i.test(r.engine.device) ? 'gpu' : 'cpu';
  return /cuda|webgpu|webgl|tensorflow-gpu|rocm|dml|tensorrt/i.test(r.engine.backend ?? '') ? 'gpu' : 'cpu';
}

export interface NodeSeries {
  /** A node, or one GPU of it in whole-node runs (see deviceOf). */
  node: string;
  records: number;
  /** Median of the node's pooled samples (all a node sweep needs; full statistics are per site). */
  median: number;
}

export interface SiteSeries {
  case: string;
  benchmark: RunRecord['benchmark'];
  metric: RunRecord['metric'];
  site: string;
  engines: string[];
  /** Records of this case at this site, by status. */
  status: Record<RunRecord['status'], number>;
  errors: string[];
  nodes: NodeSeries[];
  /** Samples of every ok record, pooled. */
  samples: readonly number[];
  /** Statistics of the pooled samples; null when no record succeeded. */
  stats: Stats | null;
  /** Watts and joules per call where records measured energy (mean over records). */
  /** Joules per call: per sample for training and Offline, per query for SingleStream and Server. Coverage is the
   * least of the records' (the share of the window the readings cover); scope, the domains the totals include. */
  energy: {
    avgWatts: number;
    joulesPerCall: number;
    methods: string[];
    coverage: number;
    scope: string[];
    estimated: boolean;
  } | null;
  gpus: string[];
  cpus: string[];
}

export interface CaseSeries {
  case: string;
  benchmark: RunRecord['benchmark'];
  metric: RunRecord['metric'];
  sites: SiteSeries[];
}

function energyOf(records: RunRecord[]): SiteSeries['energy'] {
  const measured = records.filter((r) => r.energy.status === 'measured' && r.stats);
  if (!measured.length) return null;
  let watts = 0;
  let jpc = 0;
  let coverage = 1;
  const methods = new Set<string>();
  const scope = new Set<string>();
  let estimated = false;
  for (const r of measured) {
    const e = r.energy as Extract<RunRecord['energy'], { status: 'measured' }>;
    watts += e.avgWatts;
    // The meters' own count (joules over the calls in the window) when the record has it; a figure without
    // it (a scheduler's whole-job energy) falls back to mean power over the rate of samples or queries, or
    // to mean power × mean time per call.
    const secondsPerCall = r.iterationSeconds.length
      ? r.iterationSeconds.reduce((a, b) => a + b, 0) / r.iterationSeconds.length
      : 0;
    const perItem = r.metric.unit === 'samples/s' || r.metric.unit === 'queries/s';
    jpc += e.joulesPerCall ?? (perItem ? e.avgWatts / r.stats!.median : e.avgWatts * secondsPerCall);
    coverage = Math.min(coverage, e.coverage);
    for (const d of e.scope ?? []) scope.add(d);
    methods.add(`${e.source} (${e.method})`);
    estimated ||= e.method === 'estimate';
  }
  return {
    avgWatts: watts / measured.length,
    joulesPerCall: jpc / measured.length,
    methods: [...methods],
    coverage,
    scope: [...scope],
    estimated,
  };
}

export function aggregate(records: readonly RunRecord[]): CaseSeries[] {
  const out: CaseSeries[] = [];
  for (const [caseId, ofCase] of groupBy(records, (r) => r.case)) {
    const seriesList: SiteSeries[] = [];
    for (const [site, recs] of groupBy(ofCase, siteOf)) {
      const ok = recs.filter((r) => r.status === 'ok' && r.samples.length);
      const status = { ok: 0, failed: 0, skipped: 0, timeout: 0, cancelled: 0 } as Record<RunRecord['status'], number>;
      for (const r of recs) status[r.status] += 1;
      const byNode = groupBy(ok, deviceOf);
      const samples = pooledSamples(ok);
      seriesList.push({
        case: caseId,
        benchmark: recs[0]!.benchmark,
        metric: recs[0]!.metric,
        site,
        engines: [...new Set(recs.map(engineLabel))],
        status,
        errors: [...new Set(recs.filter((r) => r.error).map((r) => `${r.status}: ${r.error}`))],
        nodes: [...byNode]
          .map(([node, rs]) => ({ node, records: rs.length, median: median(pooledSamples(rs)) }))
          .sort((a, b) => a.node.localeCompare(b.node)),
        samples,
        // records of separate runs (repetitions, campaigns, nodes): the interval covers the spread between them
        stats: samples.length
          ? summarizeRuns(
              samples,
              ok.filter((r) => r.stats).map((r) => r.stats!.median),
            )
          : null,
        energy: energyOf(ok),
        gpus: [...new Set(recs.flatMap((r) => r.system.gpus.map((g) => g.name)))],
        cpus: [...new Set(recs.map((r) => r.system.cpu.model))],
      });
    }
    seriesList.sort((a, b) => a.site.localeCompare(b.site));
    out.push({ case: caseId, benchmark: seriesList[0]!.benchmark, metric: seriesList[0]!.metric, sites: seriesList });
  }
  return out.sort((a, b) => a.case.localeCompare(b.case, undefined, { numeric: true }));
}

/** The best site of a case by median, in the metric's direction. */
export function bestSite(c: CaseSeries): SiteSeries | null {
  const ok = c.sites.filter((s) => s.stats);
  if (!ok.length) return null;
  const sign = c.metric.direction === 'higher' ? 1 : -1;
  return ok.reduce((best, s) => (sign * (s.stats!.median - best.stats!.median) > 0 ? s : best));
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export interface EngineComparison {
  site: string;
  benchmark: string;
  params: Record<string, unknown>;
  metric: RunRecord['metric'];
  engines: Array<{
    engine: string;
    median: number;
    n: number;
    verdict: Verdict | 'BEST';
    reason: string;
    /** What makes this engine's figure unlike the best one's beyond the engine: another device class, another run. */
    caveats: string[];
  }>;
}

/** The benchmark and parameters a record measures: its own, or the built-in one a user's program declared (`as:`). */
function measuredAs(r: RunRecord): [string, Record<string, unknown>] {
  const same = detailsOf(r, 'command')?.sameAs;
  return same ? [same.benchmark, same.params] : [r.benchmark.id, r.benchmark.params];
}

/**
 * The same benchmark and parameters run on several engines at one site: which engine serves it best,
 * and how sure that is (the same test as between sites).
 */
export function compareEngines(records: readonly RunRecord[]): EngineComparison[] {
  const ok = records.filter((r) => r.status === 'ok' && r.samples.length);
  const out: EngineComparison[] = [];
  const key = (r: RunRecord): string => {
    const [benchmark, params] = measuredAs(r);
    return JSON.stringify([siteOf(r), benchmark, Object.entries(params).sort(([a], [b]) => a.localeCompare(b))]);
  };
  for (const group of groupBy(ok, key).values()) {
    const engines = groupBy(group, engineLabel);
    if (engines.size < 2) continue;
    const byEngine = [...engines].map(([engine, rs]) => {
      const samples = pooledSamples(rs);
      return {
        engine,
        samples,
        stats: summarize(samples),
        device: deviceClass(rs[0]!),
        campaigns: [...new Set(rs.map((r) => r.campaign))].sort(),
      };
    });
    const first = group[0]!;
    const sign = first.metric.direction === 'higher' ? 1 : -1;
    const best = byEngine.reduce((a, b) => (sign * (b.stats.median - a.stats.median) > 0 ? b : a));
    const [benchmark, params] = measuredAs(first);
    out.push({
      site: siteOf(first),
      benchmark,
      params,
      metric: first.metric,
      engines: byEngine.map((e) => {
        // A CPU figure beside a GPU one, or figures from different runs (another moment, maybe a busy machine),
        // are not one comparison of engines: the table says so beside the verdict.
        const caveats = [
          ...(e.device !== best.device
            ? [`ran on the ${e.device.toUpperCase()}, ${best.engine} on the ${best.device.toUpperCase()}`]
            : []),
          ...(e.campaigns.join() !== best.campaigns.join()
            ? [`measured in another run (${e.campaigns.join(', ')}; ${best.engine}: ${best.campaigns.join(', ')})`]
            : []),
        ];
        if (e === best)
          return {
            engine: e.engine,
            median: e.stats.median,
            n: e.stats.n,
            verdict: 'BEST' as const,
            reason: '',
            caveats,
          };
        const c = compareSamples(e, best, first.metric.direction);
        return {
          engine: e.engine,
          median: e.stats.median,
          n: e.stats.n,
          verdict: c.verdict,
          reason: `ratio ${c.ratio.toFixed(3)} to ${best.engine}; ${c.reason}`,
          caveats,
        };
      }),
    });
  }
  return out.sort((a, b) => a.benchmark.localeCompare(b.benchmark) || a.site.localeCompare(b.site));
}
