// Whole-node runs (`submit --whole-node`): every GPU of a node ran the case at once, one record per GPU.
// Users compare nodes, not cards: for a rate (higher is better) the node's figure is the sum of its GPUs'
// medians; for a time or latency (lower is better) it is the slowest GPU, which bounds the node. A node
// with GPUs missing or failed gets no figure: a partial sum would pass for a slow node.
import { median } from '../measure/index.js';
import { slurmOf, type Direction, type RunRecord } from '../results/index.js';
import { gpuWorkerOf, groupBy, nodeOf, pooledSamples, siteOf } from './aggregate.js';

export interface NodeRun {
  case: string;
  site: string;
  node: string;
  /** The Slurm array task that ran the node (one whole-node run). */
  job: string;
  /** GPUs the job had (one worker each) and GPUs that gave a result. */
  gpus: number;
  ok: number;
  perGpu: Array<{ gpu: number; median: number }>;
  /** Sum of the GPUs' medians (rates) or the slowest GPU's (times); null when a GPU gave no result. */
  figure: number | null;
  /** (max − min) / median of the GPUs' medians. */
  spread: number | null;
  problem: string | null;
}

export interface WholeNodeCase {
  case: string;
  site: string;
  unit: string;
  direction: Direction;
  /** What `figure` is: 'node total' (sum over GPUs) or 'slowest GPU'. */
  figureName: string;
  runs: NodeRun[];
  /** Median of the complete nodes' figures at this site. */
  typical: number | null;
}

/**
 * The one rule for a node's figure, given its GPUs' medians: the sum for a rate (higher is better), the slowest
 * GPU for a time or latency (lower is better); null unless all `gpus` GPUs gave a result. `fedbench collect`
 * prints what the report shows because both come through here (collect calls `wholeNodes` on a task's records).
 */
export function nodeFigure(direction: Direction, medians: readonly number[], gpus: number): number | null {
  if (!medians.length || medians.length !== gpus) return null;
  return direction === 'higher' ? medians.reduce((a, b) => a + b, 0) : Math.max(...medians);
}

/** What `nodeFigure` is for a metric of this direction. */
export function nodeFigureName(direction: Direction): string {
  return direction === 'higher' ? 'node total (sum over GPUs)' : 'slowest GPU';
}

export function wholeNodes(records: readonly RunRecord[]): WholeNodeCase[] {
  const perGpu = records.filter((r) => gpuWorkerOf(r) !== null);
  const out: WholeNodeCase[] = [];
  for (const [key, recs] of groupBy(perGpu, (r) => JSON.stringify([r.case, siteOf(r)]))) {
    const [caseId, site] = JSON.parse(key) as [string, string];
    const { metric } = recs[0]!;
    const runs: NodeRun[] = [];
    for (const [job, ofJob] of groupBy(recs, (r) => `${slurmOf(r).jobId ?? '?'}_${slurmOf(r).arrayTaskId ?? '?'}`)) {
      // GPUs the job had: as its records say, or at least the distinct workers seen (a GPU may have several records)
      const gpus = Math.max(...ofJob.map((r) => slurmOf(r).workers ?? 0), new Set(ofJob.map(gpuWorkerOf)).size);
      const ok = ofJob.filter((r) => r.status === 'ok' && r.samples.length);
      const medians = [...groupBy(ok, (r) => String(gpuWorkerOf(r)))]
        .map(([gpu, rs]) => ({ gpu: Number(gpu), median: median(pooledSamples(rs)) }))
        .sort((a, b) => a.gpu - b.gpu);
      const values = medians.map((m) => m.median);
      const complete = medians.length === gpus;
      const figure = nodeFigure(metric.direction, values, gpus);
      const failed = ofJob.filter((r) => r.status !== 'ok');
      runs.push({
        case: caseId,
        site,
        node: nodeOf(ofJob[0]!),
        job,
        gpus,
        ok: medians.length,
        perGpu: medians,
        figure,
        spread: values.length > 1 ? (Math.max(...values) - Math.min(...values)) / median(values) : null,
        problem: complete
          ? null
          : `${medians.length} of ${gpus} GPUs gave a result${failed.length ? ` (${[...new Set(failed.map((r) => `${r.status}${r.error ? `: ${r.error}` : ''}`))].join('; ')})` : ''}: no node figure`,
      });
    }
    runs.sort((a, b) => a.node.localeCompare(b.node) || a.job.localeCompare(b.job));
    const figures = runs.map((r) => r.figure).filter((x): x is number => x !== null);
    out.push({
      case: caseId,
      site,
      unit: metric.unit,
      direction: metric.direction,
      figureName: nodeFigureName(metric.direction),
      runs,
      typical: figures.length ? median(figures) : null,
    });
  }
  return out.sort((a, b) => a.case.localeCompare(b.case) || a.site.localeCompare(b.site));
}
