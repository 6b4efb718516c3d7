// Acceptance against reference values: PASS / FAIL / NO REFERENCE per case, site and node (each GPU of a
// whole-node run on its own: a reference is a per-card figure).
// References follow ReFrame's idea: a value with tolerances, per GPU model or site.
import type { Direction, RunRecord } from '../results/index.js';
import type { Reference } from '../suite/index.js';
import { deviceOf, groupBy, pooledSamples, siteOf } from './aggregate.js';
import { median as medianOf } from '../measure/index.js';
import { num, range } from '../format.js';

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

/** One row per case × site × node (× GPU, for whole-node runs). */
export function accept(records: readonly RunRecord[], refs: readonly Reference[]): AcceptanceRow[] {
  const groups = groupBy(records, (r) => JSON.stringify([r.case, siteOf(r), deviceOf(r)]));
  const rows: AcceptanceRow[] = [];
  for (const [key, recs] of groups) {
    const [caseId, site, node] = JSON.parse(key) as [string, string, string];
    const first = recs[0]!;
    const ref = referenceFor(refs, first);
    const ok = recs.filter((r) => r.status === 'ok' && r.samples.length);
    const median = ok.length ? medianOf(pooledSamples(ok)) : null;
    const base = { case: caseId, site, node, median, unit: first.metric.unit, reference: ref };
    if (!ref) {
      rows.push({ ...base, verdict: 'NO REFERENCE', bounds: null, reason: 'no reference matches this case' });
      continue;
    }
    const b = bounds(ref, first.metric.direction);
    if (ref.unit !== first.metric.unit) {
      rows.push({
        ...base,
        verdict: 'FAIL',
        bounds: b,
        reason: `reference unit ${ref.unit} differs from the metric's ${first.metric.unit}`,
      });
    } else if (median === null) {
      const why = recs.find((r) => r.error)?.error ?? 'no successful run';
      rows.push({
        ...base,
        verdict: 'FAIL',
        bounds: b,
        reason: `no result: ${recs.map((r) => r.status).join(', ')} (${why})`,
      });
    } else if (median < b[0] || median > b[1]) {
      rows.push({ ...base, verdict: 'FAIL', bounds: b, reason: `median ${num(median)} outside ${range(b)}` });
    } else {
      rows.push({ ...base, verdict: 'PASS', bounds: b, reason: `median ${num(median)} within ${range(b)}` });
    }
  }
  return rows.sort(
    (a, b) => a.case.localeCompare(b.case) || a.site.localeCompare(b.site) || a.node.localeCompare(b.node),
  );
}
