// Everything the report shows, computed from records (and optional references and site facts) —
// plain data, so the HTML, Markdown and JSON exports all say the same thing.
import {
  accept,
  aggregate,
  commCurves,
  copyMatrices,
  type CopyMatrix,
  linkShares,
  nodePairViews,
  type LinkShareRow,
  type NodePairView,
  scalingEfficiency,
  transports,
  type CommCurve,
  type ScalingRow,
  type TransportRow,
  bestSite,
  compareEngines,
  compareSamples,
  DEFAULT_WEIGHTS,
  engineLabel,
  groupBy,
  isGpuBackend,
  nodeOf,
  nodeVariability,
  peakFor,
  peaksForGpu,
  rankSites,
  siteOf,
  type AcceptanceRow,
  type CaseSeries,
  type HistorySeries,
  type EngineComparison,
  type Ranking,
  type Reference,
  type SiteScore,
  type SiteFacts,
  type Variability,
  type Verdict,
  type Weights,
  type WholeNodeCase,
  wholeNodes,
} from '../analysis/index.js';
import { num, pct } from '../format.js';
import { detailsOf, slurmOf, type RunRecord } from '../results/index.js';
import { isPerTaskVariable } from '../slurm/job-env.js';

export interface ReportOptions {
  title?: string;
  references?: Reference[];
  facts?: Record<string, SiteFacts>;
  /** Benchmark or case ids to rank sites for; default: every case measured at two or more sites. */
  workloads?: string[];
  weights?: Weights;
  /** Extra lines for the method section (e.g. where records came from). */
  sources?: string[];
  /** The reported cases' history from the results database (`report --history`), with change points judged. */
  history?: HistorySeries[];
  /** The records were redacted before they reached the report (`report --redact`): what was replaced. */
  redaction?: RedactionNote;
}

/** What kinds of identifying values a redaction replaced by labels, and how many of each: never the values. */
export interface RedactionNote {
  replaced: ReadonlyArray<{ what: string; count: number; example: string }>;
}

/** The sentence a redacted report opens with (HTML and Markdown alike). */
export function redactionText(note: RedactionNote): string {
  const replaced = note.replaced.filter((r) => r.count > 0);
  const kept = 'Site names, GPU models, versions, figures and dates are as recorded.';
  if (!replaced.length)
    return `Redacted for sharing outside the computing centre: none of ${note.replaced.map((r) => r.what).join(', ')} were found. ${kept}`;
  return `Redacted for sharing outside the computing centre: ${replaced
    .map((r) => `${r.what} (${r.count})`)
    .join(', ')} were replaced by labels (${replaced
    .map((r) => r.example)
    .join(', ')}, …), one label per value throughout this report. ${kept}`;
}

export interface SiteOverview {
  site: string;
  nodes: string[];
  partitions: string[];
  gpus: string[];
  cpus: string[];
  engines: string[];
  campaigns: string[];
  records: number;
  status: Record<RunRecord['status'], number>;
  firstAt: string;
  lastAt: string;
  measuredSeconds: number;
}

export interface BenchmarkRow {
  site: string;
  engines: string[];
  n: number;
  median: number | null;
  ci95: [number, number] | null;
  /** How ci95 was found; `none`: too few samples for a 95% interval, so ci95 is the samples' min–max range. */
  ciMethod: NonNullable<RunRecord['stats']>['ciMethod'] | null;
  cv: number | null;
  /** More than one mode in the pooled samples: each mode's median and share. */
  modes: Array<{ median: number; share: number; n: number }> | null;
  /** Independent samples' worth, when phases made the samples count for less than n. */
  effectiveN: number | null;
  verdict: Verdict | 'BEST' | null;
  reason: string;
  status: Record<RunRecord['status'], number>;
  errors: string[];
}

export interface BenchmarkSection {
  case: string;
  benchmark: string;
  workload: string;
  params: Record<string, unknown>;
  metric: RunRecord['metric'];
  rows: BenchmarkRow[];
}

export interface EnergyRow {
  case: string;
  site: string;
  unit: string;
  median: number;
  avgWatts: number;
  joulesPerCall: number;
  /** What a call is: 'call' (kernels), 'sample' (training, Offline) or 'query' (SingleStream, Server). */
  per: string;
  /** Metric per watt (e.g. GFLOP/s per W), for rates only: a latency per watt means nothing. */
  perWatt: number | null;
  methods: string[];
  coverage: number;
  scope: string[];
}

export interface PeakRow {
  case: string;
  site: string;
  device: string;
  median: number;
  unit: string;
  peak: number;
  what: string;
  fraction: number;
  source: string;
  /** Roofline, where the kernel's least memory traffic and the device's bandwidth are known: arithmetic
   * intensity (FLOP per byte), the attainable min(peak, intensity × bandwidth), which bound it is, and the
   * median as a fraction of it. */
  intensity: number | null;
  roof: number | null;
  bound: 'compute' | 'memory' | null;
  ofRoof: number | null;
}

export interface TrainingRow {
  case: string;
  site: string;
  engine: string;
  median: number | null;
  unit: string;
  epochSeconds: number | null;
  lossFirst: number | null;
  lossLast: number | null;
  /** [step, loss] pairs as the record gives them. */
  trajectory: Array<[number, number]>;
}

export interface InferenceRow {
  case: string;
  site: string;
  engine: string;
  scenario: string;
  metric: string;
  median: number | null;
  unit: string;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  targetQps: number | null;
  boundMs: number | null;
  boundMet: boolean | null;
}

export interface ProvenanceRow {
  site: string;
  hosts: string[];
  os: string[];
  cpus: string[];
  gpus: string[];
  node: string[];
  packages: string[];
  env: string[];
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  records: number;
  overview: SiteOverview[];
  benchmarks: BenchmarkSection[];
  engines: EngineComparison[];
  energy: { rows: EnergyRow[]; unavailable: string[] };
  peaks: { rows: PeakRow[]; notes: string[] };
  variability: Variability[];
  /** Whole-node runs: per-node figures from their per-GPU records. */
  wholeNodes: WholeNodeCase[];
  training: TrainingRow[];
  inference: InferenceRow[];
  /** Cases run as several ranks: busbw curves, scaling efficiency across a sweep's worlds, transports used. */
  comm: {
    curves: CommCurve[];
    links: LinkShareRow[];
    scaling: ScalingRow[];
    transports: TransportRow[];
    /** Node-pair sweeps: which pair of nodes, and which node, is slow. */
    pairs: NodePairView[];
    /** Copies inside a node: GPU to GPU and host to GPU, per node. */
    copies: CopyMatrix[];
  };
  acceptance: { rows: AcceptanceRow[]; given: boolean };
  rankings: { weights: Weights; rankings: Ranking[]; note: string };
  provenance: ProvenanceRow[];
  /** The kinds of benchmark the records measured (the method section describes what was done for each). */
  kinds: RunRecord['benchmark']['kind'][];
  sources: string[];
  /** null: no history was asked for; else each series of the reported cases over time. */
  history: HistorySeries[] | null;
  redaction: RedactionNote | null;
}

// The cells of the tables that every output shows alike (HTML, Markdown, the terminal), built once here.

export const PEAK_HEAD = [
  'case',
  'site',
  'device',
  'median',
  'peak',
  'of peak',
  'intensity',
  'roof',
  'of roof',
  'source',
];

export function peakCells(r: PeakRow): string[] {
  return [
    r.case,
    r.site,
    r.device,
    `${num(r.median)} ${r.unit}`,
    `${num(r.peak)} (${r.what})`,
    pct(r.fraction),
    r.intensity === null ? '—' : `${num(r.intensity)} FLOP/B`,
    r.roof === null ? '—' : `${num(r.roof)} (${r.bound}-bound)`,
    r.ofRoof === null ? '—' : pct(r.ofRoof),
    r.source,
  ];
}

export const RANKING_HEAD = [
  'rank',
  'site',
  'score',
  's per call',
  'J per call',
  'cost per call',
  'g CO2e per call',
  'vs top',
];

/** One ranked site's cells; the last is the verdict against the top site ('' for the top site itself). */
export function rankingCells(s: SiteScore): string[] {
  return [
    String(s.rank),
    s.site,
    num(s.score),
    num(s.values.time),
    num(s.values.energy),
    num(s.values.cost),
    num(s.values.co2),
    s.versusTop ?? '',
  ];
}

/** The weights a ranking used, as "time 0.4, energy 0.2", or "none". */
export function weightsUsedText(r: Ranking): string {
  return (
    Object.entries(r.weightsUsed)
      .map(([k, v]) => `${k} ${num(v)}`)
      .join(', ') || 'none'
  );
}

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** The distinct values `of` gives over the records (one or several per record), without building the
 * per-record arrays that map/flatMap would: provenance and overview walk every record of a large report. */
function distinct<T>(records: readonly RunRecord[], of: (r: RunRecord, add: (v: T) => void) => void): T[] {
  const seen = new Set<T>();
  const add = (v: T) => void seen.add(v);
  for (const r of records) of(r, add);
  return [...seen];
}

function emptyStatus(): Record<RunRecord['status'], number> {
  return { ok: 0, failed: 0, skipped: 0, timeout: 0, cancelled: 0 };
}

function overview(records: readonly RunRecord[]): SiteOverview[] {
  const bySite = groupBy(records, siteOf);
  return [...bySite]
    .map(([site, rs]) => {
      const status = emptyStatus();
      for (const r of rs) status[r.status] += 1;
      const times = rs.map((r) => r.startedAt).sort();
      return {
        site,
        nodes: distinct<string>(rs, (r, add) => add(nodeOf(r))).sort(),
        partitions: distinct<string>(rs, (r, add) => {
          const p = slurmOf(r).partition;
          if (typeof p === 'string') add(p);
        }),
        gpus: distinct<string>(rs, (r, add) => {
          for (const g of r.system.gpus) add(g.name);
        }),
        cpus: distinct<string>(rs, (r, add) => add(r.system.cpu.model)),
        engines: distinct<string>(rs, (r, add) => {
          if (r.engine.backend) add(engineLabel(r));
        }).sort(),
        campaigns: distinct<string>(rs, (r, add) => add(r.campaign)),
        records: rs.length,
        status,
        firstAt: times[0] ?? '',
        lastAt:
          rs
            .map((r) => r.finishedAt)
            .sort()
            .at(-1) ?? '',
        measuredSeconds: rs.reduce((a, r) => a + (r.measurement?.samplingSeconds ?? 0), 0),
      };
    })
    .sort((a, b) => a.site.localeCompare(b.site));
}

function benchmarkSection(c: CaseSeries): BenchmarkSection {
  const best = bestSite(c);
  const rows = c.sites.map((s): BenchmarkRow => {
    const base = {
      site: s.site,
      engines: s.engines,
      n: s.stats?.n ?? 0,
      median: s.stats?.median ?? null,
      ci95: s.stats?.ci95 ?? null,
      ciMethod: s.stats?.ciMethod ?? null,
      cv: s.stats?.cv ?? null,
      modes: s.stats?.modes ?? null,
      effectiveN: s.stats && s.stats.effectiveN < s.stats.n ? s.stats.effectiveN : null,
      status: s.status,
      errors: s.errors,
    };
    if (!s.stats || !best) return { ...base, verdict: null, reason: s.errors[0] ?? 'no successful run' };
    if (s === best) return { ...base, verdict: c.sites.filter((x) => x.stats).length > 1 ? 'BEST' : null, reason: '' };
    const cmp = compareSamples(
      { samples: s.samples, stats: s.stats },
      { samples: best.samples, stats: best.stats! },
      c.metric.direction,
    );
    return { ...base, verdict: cmp.verdict, reason: `vs ${best.site}: ratio ${cmp.ratio.toFixed(3)}; ${cmp.reason}` };
  });
  return {
    case: c.case,
    benchmark: c.benchmark.id,
    workload: c.benchmark.workload,
    params: c.benchmark.params,
    metric: c.metric,
    rows,
  };
}

function energySection(cases: CaseSeries[], records: readonly RunRecord[]): ReportModel['energy'] {
  const rows: EnergyRow[] = [];
  for (const c of cases)
    for (const s of c.sites)
      if (s.energy && s.stats)
        rows.push({
          case: c.case,
          site: s.site,
          unit: c.metric.unit,
          median: s.stats.median,
          avgWatts: s.energy.avgWatts,
          joulesPerCall: s.energy.joulesPerCall,
          per:
            c.benchmark.kind === 'kernel'
              ? 'call'
              : c.benchmark.kind === 'training' || c.benchmark.params['scenario'] === 'offline'
                ? 'sample'
                : 'query',
          perWatt: c.metric.direction === 'higher' ? s.stats.median / s.energy.avgWatts : null,
          methods: s.energy.methods,
          coverage: s.energy.coverage,
          scope: s.energy.scope,
        });
  const unavailable = uniq(
    records
      .filter((r) => r.energy.status === 'unavailable')
      .map((r) => `${siteOf(r)}: ${(r.energy as { reason: string }).reason}`),
  );
  return { rows, unavailable };
}

function peakSection(
  cases: CaseSeries[],
  records: readonly RunRecord[],
  facts: Record<string, SiteFacts>,
): ReportModel['peaks'] {
  const rows: PeakRow[] = [];
  const notes = new Set<string>();
  const byCaseSite = new Map<string, RunRecord>();
  for (const r of records) if (r.status === 'ok') byCaseSite.set(`${r.case}\u0000${siteOf(r)}`, r);
  for (const c of cases) {
    for (const s of c.sites) {
      const r = byCaseSite.get(`${c.case}\u0000${s.site}`);
      if (!r || !s.stats) continue;
      if (!isGpuBackend(r.engine.backend)) {
        notes.add(
          `${s.site}: ${engineLabel(r)} runs on the CPU (${r.system.cpu.model}); no CPU peak is declared, so CPU cases are not shown against a peak`,
        );
        continue;
      }
      const gpu = r.system.gpus[0]?.name;
      // the site profile's declared peaks first (the site knows its hardware), the datasheet by GPU name for the rest
      const declared = facts[s.site]?.peaks;
      const sheet = gpu ? peaksForGpu(gpu) : null;
      const peaks =
        declared && sheet
          ? {
              label: declared.label,
              tflops: { ...sheet.tflops, ...declared.tflops },
              bandwidthGBs: declared.bandwidthGBs ?? sheet.bandwidthGBs,
              source: `${declared.source}; figures it does not declare from the ${sheet.source}`,
            }
          : (declared ?? sheet);
      if (!peaks) {
        notes.add(
          `${s.site}: no datasheet peak known for ${gpu ?? 'an unnamed GPU'}, and no facts.peak in a site profile (report --sites-dir)`,
        );
        continue;
      }
      const p = peakFor(c.benchmark.workload, c.benchmark.params, c.metric.unit, peaks);
      if (!p) {
        if (c.metric.unit === 'GFLOP/s' || c.metric.unit === 'GB/s')
          notes.add(
            `${s.site}: ${peaks.label} has no ${c.metric.unit === 'GB/s' ? 'memory bandwidth' : `${String(c.benchmark.params['dtype'] ?? 'fp32')} compute`} peak declared (${peaks.source})`,
          );
        continue;
      }
      const bytes = r.work?.bytesPerCall;
      const intensity = bytes && r.work && c.metric.unit === 'GFLOP/s' ? r.work.perCall / bytes : null;
      const memoryRoof = intensity !== null && peaks.bandwidthGBs ? intensity * peaks.bandwidthGBs : null; // GB/s × FLOP/B = GFLOP/s
      const roof = memoryRoof !== null ? Math.min(p.value, memoryRoof) : null;
      rows.push({
        case: c.case,
        site: s.site,
        device: peaks.label,
        median: s.stats.median,
        unit: c.metric.unit,
        peak: p.value,
        what: p.what,
        fraction: s.stats.median / p.value,
        source: peaks.source,
        intensity,
        roof,
        bound: roof === null ? null : roof < p.value ? 'memory' : 'compute',
        ofRoof: roof ? s.stats.median / roof : null,
      });
    }
  }
  return { rows, notes: [...notes] };
}

const numberOr = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** One row per training record that succeeded: throughput, epoch time and the loss it reached. */
function training(records: readonly RunRecord[]): TrainingRow[] {
  return records
    .filter((r) => r.benchmark.kind === 'training' && r.status === 'ok')
    .map((r) => {
      const d = detailsOf(r, 'training');
      const trajectory = d?.lossTrajectory ?? [];
      return {
        case: r.case,
        site: siteOf(r),
        engine: engineLabel(r),
        median: r.stats?.median ?? null,
        unit: r.metric.unit,
        epochSeconds: numberOr(d?.epochSeconds),
        lossFirst: trajectory[0]?.[1] ?? null,
        lossLast: trajectory.at(-1)?.[1] ?? null,
        trajectory,
      };
    });
}

/** One row per inference record that succeeded, with its scenario's latency percentiles. */
function inference(records: readonly RunRecord[]): InferenceRow[] {
  return records
    .filter((r) => r.benchmark.kind === 'inference' && r.status === 'ok')
    .map((r) => {
      const d = detailsOf(r, 'inference');
      const latency = d && d.scenario !== 'offline' ? d : null;
      const server = d?.scenario === 'server' ? d : null;
      return {
        case: r.case,
        site: siteOf(r),
        engine: engineLabel(r),
        scenario: d?.scenario ?? String(r.benchmark.params['scenario'] ?? ''),
        metric: r.metric.name,
        median: r.stats?.median ?? null,
        unit: r.metric.unit,
        p50Ms: numberOr(latency?.p50Ms),
        p90Ms: numberOr(latency?.p90Ms),
        p99Ms: numberOr(latency?.p99Ms),
        targetQps: numberOr(server?.targetQps),
        boundMs: numberOr(server?.p99BoundMs),
        boundMet: server?.meetsBound ?? null,
      };
    });
}

function provenance(records: readonly RunRecord[]): ProvenanceRow[] {
  const bySite = groupBy(records, siteOf);
  return [...bySite]
    .map(([site, rs]) => ({
      site,
      hosts: distinct<string>(rs, (r, add) => add(r.system.host)).sort(),
      os: distinct<string>(rs, (r, add) =>
        add(`${r.system.os.distro ?? r.system.os.platform} (kernel ${r.system.os.release}, ${r.system.os.arch})`),
      ),
      cpus: distinct<string>(rs, (r, add) =>
        add(
          `${r.system.cpu.model}, ${r.system.cpu.availableParallelism}/${r.system.cpu.logicalCores} cores, ${r.system.cpu.flags.join(' ')}`,
        ),
      ),
      gpus: distinct<string>(rs, (r, add) => {
        for (const g of r.system.gpus)
          add(
            `${g.name}${g.memoryMiB ? `, ${g.memoryMiB} MiB` : ''}${g.driver ? `, driver ${g.driver}` : ''}${g.cuda ? `, CUDA ${g.cuda}` : ''}` +
              `${g.powerLimitW ? `, power limit ${g.powerLimitW} W` : ''}${g.mig ? `, MIG ${g.mig}` : ''}${g.ecc ? `, ECC ${g.ecc}` : ''}`,
          );
      }),
      node: distinct<string>(rs, (r, add) => add(r.system.node)),
      packages: distinct<string>(rs, (r, add) => {
        for (const k in r.system.packages) add(`${k} ${r.system.packages[k] ?? '(not installed)'}`);
      }).sort(),
      env: distinct<string>(rs, (r, add) => {
        for (const k in r.system.env) if (!isPerTaskVariable(k)) add(`${k}=${r.system.env[k]}`);
      }).sort(),
    }))
    .sort((a, b) => a.site.localeCompare(b.site));
}

export function buildReportModel(records: readonly RunRecord[], opts: ReportOptions = {}): ReportModel {
  const cases = aggregate(records);
  const weights = opts.weights ?? DEFAULT_WEIGHTS;
  const wanted = opts.workloads;
  const succeeded = (c: CaseSeries) => c.sites.filter((s) => s.stats).length;
  const rankable = cases.filter((c) =>
    wanted ? (wanted.includes(c.case) || wanted.includes(c.benchmark.id)) && succeeded(c) >= 1 : succeeded(c) >= 2,
  );
  const workByCase = new Map(records.map((r) => [r.case, r.work?.perCall ?? null]));
  const curves = commCurves(records);
  const variability: Variability[] = [];
  for (const c of cases)
    for (const s of c.sites) {
      const v = nodeVariability(s, c.metric.direction);
      if (v) variability.push(v);
    }
  return {
    title: opts.title ?? 'fedbench report',
    generatedAt: new Date().toISOString(),
    records: records.length,
    overview: overview(records),
    benchmarks: cases.map(benchmarkSection),
    engines: compareEngines(records),
    energy: energySection(cases, records),
    peaks: peakSection(cases, records, opts.facts ?? {}),
    variability,
    wholeNodes: wholeNodes(records),
    training: training(records),
    inference: inference(records),
    comm: {
      curves,
      links: linkShares(curves, opts.facts ?? {}),
      scaling: scalingEfficiency(records),
      transports: transports(records),
      pairs: nodePairViews(records),
      copies: copyMatrices(records),
    },
    acceptance: { rows: opts.references ? accept(records, opts.references) : [], given: Boolean(opts.references) },
    rankings: {
      weights,
      rankings: rankable.map((c) => rankSites(c, opts.facts ?? {}, weights, workByCase.get(c.case) ?? null)),
      note: wanted ? `ranked for ${wanted.join(', ')}` : 'ranked for every case measured at two or more sites',
    },
    provenance: provenance(records),
    kinds: distinct<RunRecord['benchmark']['kind']>(records, (r, add) => add(r.benchmark.kind)).sort(),
    sources: opts.sources ?? [],
    history: opts.history ?? null,
    redaction: opts.redaction ?? null,
  };
}
