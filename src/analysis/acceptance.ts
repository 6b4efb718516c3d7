// Acceptance against reference values: PASS / FAIL / NO REFERENCE per case, site and node (each GPU of a
// whole-node run on its own: a reference is a per-card figure).
// References follow ReFrame's idea: a value with tolerances, per GPU model or site.
import { detailsOf, type Direction, type RunRecord } from '../results/index.js';
import type { Reference } from '../suite/index.js';
import { deviceOf, groupBy, pooledSamples, siteOf } from './aggregate.js';
import { median as medianOf } from '../measure/index.js';
import { bytesText, num, range } from '../format.js';
import { scalingEfficiency, type ScalingRow } from './comm.js';

export type AcceptVerdict = 'PASS' | 'FAIL' | 'NO REFERENCE';

export interface AcceptanceRow {
  case: string;
  site: string;
  node: string;
  verdict: AcceptVerdict;
  median: number | null;
  unit: string;
  reference: Reference | null;
  bounds: [number, number] | null;
  reason: string;
}

function matches(ref: Reference, r: RunRecord): number {
  if (ref.benchmark !== r.benchmark.id) return -1;
  let score = 1;
  if (ref.params) {
    for (const [k, v] of Object.entries(ref.params)) if (r.benchmark.params[k] !== v) return -1;
    score += Object.keys(ref.params).length;
  }
  if (ref.engine) {
    const [name, backend] = ref.engine.split('/');
    if (name !== r.engine.name || (backend && backend !== r.engine.backend)) return -1;
    score += 1;
  }
  if (ref.device) {
    const devices = r.system.gpus.length ? r.system.gpus.map((g) => g.name) : [r.system.cpu.model];
    if (!devices.some((d) => d.includes(ref.device!))) return -1;
    score += 2;
  }
  if (ref.site) {
    if (ref.site !== siteOf(r)) return -1;
    score += 2;
  }
  return score;
}

/** Most specific matching reference, or null. */
export function referenceFor(refs: readonly Reference[], r: RunRecord): Reference | null {
  let best: Reference | null = null;
  let bestScore = -1;
  for (const ref of refs) {
    const s = matches(ref, r);
    if (s > bestScore) [best, bestScore] = [ref, s];
  }
  return best;
}

export function bounds(ref: Reference, direction: Direction): [number, number] {
  const dev = (ref.tolerance.abs ?? 0) + (ref.tolerance.rel ?? 0) * Math.abs(ref.value);
  if (ref.twoSided) return [ref.value - dev, ref.value + dev];
  return direction === 'higher' ? [ref.value - dev, Infinity] : [-Infinity, ref.value + dev];
}

/**
 * What a reference judges in a group of runs: the case's figure (median of the pooled samples), the busbw at one
 * message size (median over the runs' tables), or the scaling efficiency at the runs' world; `missing` says why
 * there is no value.
 */
function judged(
  ref: Reference | null,
  ok: readonly RunRecord[],
  first: RunRecord,
  scaling: () => ScalingRow[],
): { value: number | null; unit: string; what: string; missing?: string } {
  if (ref?.busbwAt) {
    const at = ref.busbwAt;
    const rows = ok.flatMap((r) => detailsOf(r, 'command')?.comm?.rows ?? []);
    const xs = rows.filter((x) => x.bytes === at).map((x) => x.busbw);
    const sizes = [...new Set(rows.map((x) => x.bytes))].sort((a, b) => a - b);
    return {
      value: xs.length ? medianOf(xs) : null,
      unit: 'GB/s',
      what: `busbw at ${bytesText(at)}`,
      ...(xs.length
        ? {}
        : {
            missing: sizes.length
              ? `no row at ${at} B in the case's table (${bytesText(sizes[0]!)} … ${bytesText(sizes.at(-1)!)})`
              : 'the case has no collective table (details.comm)',
          }),
    };
  }
  if (ref?.efficiency) {
    const world = ok.map((r) => detailsOf(r, 'command')?.ranks?.world).find((w) => w !== undefined);
    const row = scaling().find(
      (s) => s.benchmark === first.benchmark.id && s.site === siteOf(first) && s.world === world,
    );
    return {
      value: row?.efficiency ?? null,
      unit: 'ratio',
      what: 'scaling efficiency',
      ...(row?.efficiency == null
        ? {
            missing:
              world === undefined
                ? 'the case was not run as several ranks (nodes × gpusPerNode)'
                : 'no one-rank case of the same sweep at this site to scale against',
          }
        : {}),
    };
  }
  return {
    value: ok.length ? medianOf(pooledSamples(ok)) : null,
    unit: first.metric.unit,
    what: 'median',
  };
}

/** One row per case × site × node (× GPU, for whole-node runs). */
export function accept(records: readonly RunRecord[], refs: readonly Reference[]): AcceptanceRow[] {
  const groups = groupBy(records, (r) => JSON.stringify([r.case, siteOf(r), deviceOf(r)]));
  const rows: AcceptanceRow[] = [];
  let sweeps: ScalingRow[] | undefined;
  const scaling = () => (sweeps ??= scalingEfficiency(records));
  for (const [key, recs] of groups) {
    const [caseId, site, node] = JSON.parse(key) as [string, string, string];
    const first = recs[0]!;
    const ref = referenceFor(refs, first);
    const ok = recs.filter((r) => r.status === 'ok' && r.samples.length);
    const { value, unit, what, missing } = judged(ref, ok, first, scaling);
    const base = { case: caseId, site, node, median: value, unit, reference: ref };
    if (!ref) {
      rows.push({ ...base, verdict: 'NO REFERENCE', bounds: null, reason: 'no reference matches this case' });
      continue;
    }
    // efficiency is a rate of the same kind whatever the metric: higher is better
    const b = bounds(ref, ref.efficiency ? 'higher' : first.metric.direction);
    if (ref.unit !== unit) {
      rows.push({
        ...base,
        verdict: 'FAIL',
        bounds: b,
        reason: `reference unit ${ref.unit} differs from the ${what === 'median' ? "metric's" : `${what}'s`} ${unit}`,
      });
    } else if (!ok.length) {
      const why = recs.find((r) => r.error)?.error ?? 'no successful run';
      rows.push({
        ...base,
        verdict: 'FAIL',
        bounds: b,
        reason: `no result: ${recs.map((r) => r.status).join(', ')} (${why})`,
      });
    } else if (value === null) {
      rows.push({ ...base, verdict: 'FAIL', bounds: b, reason: `no ${what}: ${missing ?? 'not measured'}` });
    } else if (value < b[0] || value > b[1]) {
      rows.push({ ...base, verdict: 'FAIL', bounds: b, reason: `${what} ${num(value)} outside ${range(b)}` });
    } else {
      rows.push({ ...base, verdict: 'PASS', bounds: b, reason: `${what} ${num(value)} within ${range(b)}` });
    }
  }
  return rows.sort(
    (a, b) => a.case.localeCompare(b.case) || a.site.localeCompare(b.site) || a.node.localeCompare(b.node),
  );
}
