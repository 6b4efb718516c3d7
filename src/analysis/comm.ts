// Communication and scaling from records of ranked cases (details.ranks / details.comm): busbw curves per site,
// scaling efficiency across the worlds of a sweep, and the transport each run really used.
import { median } from 'simple-statistics';
import { detailsOf, type RunRecord, type SystemInfo } from '../results/index.js';
import type { SiteFacts } from '../sites/facts.js';
import { groupBy, nodeOf, siteOf } from './aggregate.js';

type InfinibandPort = NonNullable<SystemInfo['fabric']>['infiniband'][number];

/** busbw against message size for one collective at one site and world (the last run's table). */
export interface CommCurve {
  site: string;
  collective: string;
  dtype: string;
  world: number;
  nodes: number;
  backend: string;
  points: Array<{ bytes: number; busbw: number; algbw: number; timeUs: number }>;
}

/** One world of a sweep: the figure (median of its runs) and T(N) / (N × T(1)) against the same case at one rank. */
export interface ScalingRow {
  benchmark: string;
  site: string;
  /** The sweep's other parameters, in words. */
  params: string;
  world: number;
  nodes: number;
  median: number;
  unit: string;
  /** null when the sweep has no one-rank case at this site, or the metric is not a rate. */
  efficiency: number | null;
  commShare: number | null;
}

export interface TransportRow {
  site: string;
  case: string;
  backend: string;
  nodes: number;
  world: number;
  transport: string[];
  flag: string | null;
  /** InfiniBand ports that were down or slow: of every node of the job where its ranks read them, else rank 0's node. */
  fabric: string[];
}

const WORLD_PARAMS = new Set(['nodes', 'gpusPerNode']);

function ranked(records: readonly RunRecord[]) {
  return records.flatMap((r) => {
    const d = r.status === 'ok' ? detailsOf(r, 'command') : undefined;
    return d?.ranks ? [{ r, ranks: d.ranks, comm: d.comm }] : [];
  });
}

/** Records with a collective table: ranks started by fedbench, or by the program's own launcher (nccl-tests, mpirun). */
function collectives(records: readonly RunRecord[]) {
  return records.flatMap((r) => {
    const d = r.status === 'ok' ? detailsOf(r, 'command') : undefined;
    if (!d?.comm) return [];
    const world = d.ranks?.world ?? d.comm.world ?? 1;
    const nodes = d.ranks?.nodes.length ?? d.comm.nodes ?? 1;
    return [{ r, comm: d.comm, ranks: { world, nodes: { length: nodes } } }];
  });
}

export function commCurves(records: readonly RunRecord[]): CommCurve[] {
  const latest = new Map<string, CommCurve>();
  for (const { r, ranks, comm } of collectives(records)) {
    if (!comm.rows.length) continue;
    for (const [key, rows] of groupBy(comm.rows, (x) => `${x.collective}|${x.dtype}`)) {
      const [collective, dtype] = key.split('|') as [string, string];
      const k = JSON.stringify([siteOf(r), collective, dtype, ranks.world, ranks.nodes.length]);
      latest.set(k, {
        site: siteOf(r),
        collective,
        dtype,
        world: ranks.world,
        nodes: ranks.nodes.length,
        backend: comm.backend,
        points: rows.map((x) => ({ bytes: x.bytes, busbw: x.busbw, algbw: x.algbw, timeUs: x.timeUs })),
      });
    }
  }
  return [...latest.values()].sort(
    (a, b) => a.site.localeCompare(b.site) || a.collective.localeCompare(b.collective) || a.world - b.world,
  );
}

/** Scaling efficiency E(N) = T(N) / (N × T(1)) for rates (weak scaling: a fixed batch per rank). */
export function scalingEfficiency(records: readonly RunRecord[]): ScalingRow[] {
  const rows: ScalingRow[] = [];
  const runs = ranked(records).filter(({ comm }) => !comm?.rows.length); // collective sweeps have their own view
  const sweeps = groupBy(runs, ({ r }) => {
    const rest = Object.entries(r.benchmark.params).filter(([k]) => !WORLD_PARAMS.has(k));
    return JSON.stringify([siteOf(r), r.benchmark.id, rest]);
  });
  for (const group of sweeps.values()) {
    const byWorld = groupBy(group, ({ ranks }) => String(ranks.world));
    const at = (w: number) => byWorld.get(String(w)) ?? [];
    const figure = (w: number): number | null => {
      const xs = at(w).flatMap(({ r }) => (r.stats ? [r.stats.median] : []));
      return xs.length ? median(xs) : null;
    };
    const one = figure(1);
    const first = group[0]!.r;
    const rate = first.metric.direction === 'higher';
    for (const w of [...byWorld.keys()].map(Number).sort((a, b) => a - b)) {
      const t = figure(w);
      if (t === null) continue;
      const shares = at(w).flatMap(({ comm }) => (comm?.commShare !== undefined ? [comm.commShare] : []));
      rows.push({
        benchmark: first.benchmark.id,
        site: siteOf(first),
        params: Object.entries(first.benchmark.params)
          .filter(([k]) => !WORLD_PARAMS.has(k))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' '),
        world: w,
        nodes: Math.max(...at(w).map(({ ranks }) => ranks.nodes.length)),
        median: t,
        unit: first.metric.unit,
        efficiency: rate && one !== null && one > 0 ? t / (w * one) : null,
        commShare: shares.length ? median(shares) : null,
      });
    }
  }
  return rows.sort(
    (a, b) => a.benchmark.localeCompare(b.benchmark) || a.site.localeCompare(b.site) || a.world - b.world,
  );
}

export function transports(records: readonly RunRecord[]): TransportRow[] {
  return collectives(records)
    .map(({ r, ranks, comm }) => ({
      site: siteOf(r),
      case: r.case,
      backend: comm.backend,
      nodes: ranks.nodes.length,
      world: ranks.world,
      transport: comm.transport,
      flag: comm.flag ?? null,
      fabric: nodeFabricProblems(r),
    }))
    .sort((a, b) => a.site.localeCompare(b.site) || a.case.localeCompare(b.case));
}

/**
 * An NCCL curve's best busbw as a share of the link its ranks crossed, by the site profile's declared interconnect
 * (gloo's curves have no row: their bytes go through host memory and TCP, not the GPUs' links).
 */
export interface LinkShareRow {
  site: string;
  collective: string;
  dtype: string;
  world: number;
  nodes: number;
  /** Between nodes once the ranks span nodes (the node's rails bound busbw), else inside one node (per GPU). */
  scope: 'interNode' | 'intraNode';
  link: string | null;
  peakGbPerSec: number | null;
  bestBusbw: number;
  atBytes: number;
  share: number | null;
  /** Why there is no share, in words a user can act on. */
  note: string | null;
  source: string | null;
}

export function linkShares(
  curves: readonly CommCurve[],
  facts: Readonly<Record<string, Pick<SiteFacts, 'links'>>>,
): LinkShareRow[] {
  return (
    curves
      // Only NCCL moves GPU buffers over NVLink and InfiniBand (RDMA); gloo copies through host memory and TCP.
      .filter((c) => c.backend === 'nccl' && c.world > 1 && c.points.length)
      .map((c) => {
        const scope = c.nodes > 1 ? 'interNode' : 'intraNode';
        const where = scope === 'interNode' ? 'between nodes' : 'inside a node';
        const best = c.points.reduce((a, b) => (b.busbw > a.busbw ? b : a));
        const links = facts[c.site]?.links;
        const declared = links?.[scope];
        const note = !declared
          ? `no link ${where} declared: add facts.interconnect.${scope} to the site profile`
          : declared.gbPerSec === undefined
            ? `the profile names the link ${where} without its rate: add it from the site's documentation`
            : null;
        return {
          site: c.site,
          collective: c.collective,
          dtype: c.dtype,
          world: c.world,
          nodes: c.nodes,
          scope,
          link: declared?.link ?? null,
          peakGbPerSec: declared?.gbPerSec ?? null,
          bestBusbw: best.busbw,
          atBytes: best.bytes,
          share: note === null ? best.busbw / declared!.gbPerSec! : null,
          note,
          source: declared ? links!.source : null,
        };
      })
  );
}

/**
 * The ports of every node of the job where its ranks read them (each problem named by its node), else those of the
 * node fedbench ran on (rank 0's: system.fabric).
 */
function nodeFabricProblems(r: RunRecord): string[] {
  const nodes = detailsOf(r, 'command')?.ranks?.fabric;
  if (nodes?.length) return nodes.flatMap((n) => fabricProblems(n.infiniband).map((p) => `${n.node}: ${p}`));
  return fabricProblems(r.system.fabric?.infiniband ?? []);
}

/**
 * What a centre must see about the node's InfiniBand ports: a port that is not ACTIVE, and ports running slower
 * than the node's fastest (a cable or switch port that trained down). Empty when all is well or there are none.
 */
export function fabricProblems(ports: readonly InfinibandPort[]): string[] {
  const ib = ports.filter((p) => p.linkLayer === 'InfiniBand');
  const problems = ib
    .filter((p) => !/ACTIVE/.test(p.state))
    .map((p) => `InfiniBand port ${p.device}/${p.port} is ${p.state.replace(/^\d+:\s*/, '')}, not ACTIVE`);
  const up = ib.filter((p) => /ACTIVE/.test(p.state) && p.gbitPerSec !== null);
  const fastest = Math.max(...up.map((p) => p.gbitPerSec!));
  for (const p of up)
    if (p.gbitPerSec! < fastest)
      problems.push(
        `InfiniBand port ${p.device}/${p.port} runs at ${p.rate}, slower than the node's ${fastest} Gb/sec`,
      );
  return problems;
}

/**
 * A pair of nodes is slow below this share of the fastest pair's best busbw (at its site, for its collective). The
 * fastest pair, not the median: with one bad node of three, two pairs of three are slow and the median is one of them.
 */
export const SLOW_PAIR_SHARE = 0.8;
/** Pairs a view needs before it calls one slow. */
const MIN_PAIRS_TO_JUDGE = 2;

/** One pair of nodes: its best busbw (the median over its runs) against the site's fastest pair. */
export interface NodePairCell {
  a: string;
  b: string;
  /** null when every run of the pair failed. */
  busbw: number | null;
  atBytes: number | null;
  /** Runs that gave a table, and runs that failed (a dead link often fails rather than runs slowly). */
  runs: number;
  failed: number;
  /** The last failed run's reason (it names the rank and node), null when none failed. */
  error: string | null;
  /** busbw / the fastest pair's; null while there are too few pairs to judge, or when the pair never ran. */
  ofBest: number | null;
  /** Below SLOW_PAIR_SHARE of the fastest pair, or failed every time it ran. */
  slow: boolean;
}

/**
 * Which pair of nodes is slow: one case run on two nodes at a time (a node-pair sweep, `submit --node-pairs`), each
 * pair's best busbw against the fastest pair's. A node whose every pair (two or more) is slow or failed is the
 * suspect: its link, HCA or switch port, not its partners'. One view per site and case (runs of other cases, other
 * message sizes, are never pooled with it).
 */
export interface NodePairView {
  site: string;
  case: string;
  collective: string;
  dtype: string;
  backend: string;
  world: number;
  nodes: string[];
  pairs: NodePairCell[];
  /** null when no pair gave a table. */
  bestBusbw: number | null;
  /** With the problems its ports showed in the sweep's jobs (down, or slower than its others), where read. */
  suspects: Array<{ node: string; slowPairs: number; ports: string[] }>;
  /** Why nothing is judged, when too few pairs ran. */
  note: string | null;
}

export function nodePairViews(records: readonly RunRecord[]): NodePairView[] {
  const runs = records.flatMap((r) => {
    const d = r.status === 'skipped' ? undefined : detailsOf(r, 'command');
    const nodes = [...new Set(d?.ranks?.nodes ?? [])].sort();
    if (!d?.ranks || nodes.length !== 2) return [];
    const rows = r.status === 'ok' ? (d.comm?.rows ?? []) : [];
    const best = rows.length ? rows.reduce((a, b) => (b.busbw > a.busbw ? b : a)) : null;
    if (r.status === 'ok' && !best) return []; // not a collective's sweep
    const ports = new Map((d.ranks.fabric ?? []).map((n) => [n.node, fabricProblems(n.infiniband)]));
    return [{ r, site: siteOf(r), nodes, best, backend: d.comm?.backend ?? null, world: d.ranks.world, ports }];
  });
  const views: NodePairView[] = [];
  for (const group of groupBy(runs, (x) => JSON.stringify([x.site, x.r.case])).values()) {
    const ran = group.find((x) => x.best);
    const pairs = [...groupBy(group, (x) => x.nodes.join('\u0000')).values()].map((p) => {
      const ok = p.filter((x) => x.best);
      const failed = p.filter((x) => !x.best).sort((x, y) => x.r.startedAt.localeCompare(y.r.startedAt));
      const busbw = ok.length ? median(ok.map((x) => x.best!.busbw)) : null;
      const nearest =
        busbw === null
          ? null
          : ok.reduce((a, b) => (Math.abs(b.best!.busbw - busbw) < Math.abs(a.best!.busbw - busbw) ? b : a));
      return {
        a: p[0]!.nodes[0]!,
        b: p[0]!.nodes[1]!,
        busbw,
        atBytes: nearest?.best?.bytes ?? null,
        runs: ok.length,
        failed: failed.length,
        error: failed.at(-1)?.r.error ?? null,
      };
    });
    const rates = pairs.flatMap((p) => (p.busbw !== null ? [p.busbw] : []));
    const top = rates.length ? Math.max(...rates) : null;
    const judged = pairs.length >= MIN_PAIRS_TO_JUDGE && top !== null && top > 0;
    const cells: NodePairCell[] = pairs
      .map((p) => {
        const ofBest = judged && p.busbw !== null ? p.busbw / top! : null;
        return { ...p, ofBest, slow: p.busbw === null || (ofBest !== null && ofBest < SLOW_PAIR_SHARE) };
      })
      .sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
    const nodes = [...new Set(cells.flatMap((c) => [c.a, c.b]))].sort();
    const suspects = nodes.flatMap((node) => {
      const mine = cells.filter((c) => c.a === node || c.b === node);
      const slow = mine.filter((c) => c.slow).length;
      if (mine.length < 2 || slow !== mine.length) return [];
      const ports = [...new Set(group.flatMap((x) => x.ports.get(node) ?? []))];
      return [{ node, slowPairs: slow, ports }];
    });
    const first = (ran ?? group[0]!).r;
    const params = first.benchmark.params;
    views.push({
      site: siteOf(first),
      case: first.case,
      collective: ran?.best?.collective ?? String(params.collective ?? 'collective'),
      dtype: ran?.best?.dtype ?? String(params.dtype ?? ''),
      backend: ran?.backend ?? 'unknown',
      world: (ran ?? group[0]!).world,
      nodes,
      pairs: cells,
      bestBusbw: top,
      suspects,
      note: judged
        ? null
        : pairs.length < MIN_PAIRS_TO_JUDGE
          ? 'one pair of nodes measured: a pair is judged against the others (run a node-pair sweep on three nodes or more)'
          : 'no pair gave a table: nothing to judge the pairs by (every run failed)',
    });
  }
  return views.sort((a, b) => a.site.localeCompare(b.site) || a.case.localeCompare(b.case));
}

/**
 * A node's copy matrix (copy_matrix.py, the latest run on that node): each cell source → destination in GB/s, a
 * GPU-to-GPU cell below SLOW_PAIR_SHARE of the node's fastest GPU-to-GPU cell slow (a weak or missing NVLink), and
 * the same for the host's cells against the fastest host cell (a GPU on a slower PCIe path).
 */
export interface CopyMatrix {
  site: string;
  node: string;
  devices: string[];
  cells: Array<{ src: string; dst: string; gbPerSec: number; peer: boolean | null; slow: boolean }>;
}

export function copyMatrices(records: readonly RunRecord[]): CopyMatrix[] {
  const latest = new Map<string, { r: RunRecord; rows: NonNullable<ReturnType<typeof copiesOfRecord>> }>();
  for (const r of records) {
    const rows = copiesOfRecord(r);
    if (!rows) continue;
    const key = JSON.stringify([siteOf(r), nodeOf(r)]);
    const was = latest.get(key);
    if (!was || was.r.startedAt < r.startedAt) latest.set(key, { r, rows });
  }
  return [...latest.values()]
    .map(({ r, rows }) => {
      const fastest = (peer: boolean) =>
        Math.max(0, ...rows.filter((c) => (c.peer !== null) === peer).map((c) => c.gbPerSec));
      const [gpuBest, hostBest] = [fastest(true), fastest(false)];
      const order = (d: string) => (d === 'host' ? -1 : Number(d.replace(/\D+/g, '')) || 0);
      const devices = [...new Set(rows.flatMap((c) => [c.src, c.dst]))].sort(
        (a, b) => order(a) - order(b) || a.localeCompare(b),
      );
      return {
        site: siteOf(r),
        node: nodeOf(r),
        devices,
        cells: rows.map((c) => ({
          src: c.src,
          dst: c.dst,
          gbPerSec: c.gbPerSec,
          peer: c.peer,
          slow: c.gbPerSec < SLOW_PAIR_SHARE * (c.peer !== null ? gpuBest : hostBest),
        })),
      };
    })
    .sort((a, b) => a.site.localeCompare(b.site) || a.node.localeCompare(b.node));
}

function copiesOfRecord(r: RunRecord) {
  return r.status === 'ok' ? detailsOf(r, 'command')?.copies?.rows : undefined;
}
