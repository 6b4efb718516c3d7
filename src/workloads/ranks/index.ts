// Distributed programs as one case: ranks started by fedbench (launch.ts), their figures kept per rank and
// summarised, and a collective sweep's table with the transport used (comm.ts).
import type { z } from 'zod';
import type { Direction, Ranks } from '../../results/index.js';
import type { RankRun, RanksInvocation } from './launch.js';

export { busFactor, commOf, copiesOf, ncclTransports, transportFlag } from './comm.js';
export { ncclTestsTable, type NcclTestsTable } from './nccl-tests.js';
export {
  freePort,
  LAUNCHER_ENV,
  launchRanks,
  RANK_MARKER,
  worldOf,
  worldProblem,
  type RankRun,
  type RanksInvocation,
  type World,
} from './launch.js';

/** `nodes` and `gpusPerNode`, where a case has them, must be whole numbers ≥ 1: checked when the suite loads. */
export function worldIssues(params: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const k of ['nodes', 'gpusPerNode'])
    if (k in params && !(Number.isInteger(params[k]) && (params[k] as number) >= 1))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: `${k} must be a whole number ≥ 1 (got ${JSON.stringify(params[k])})`,
      });
}

/** The start of the warning below: collect drops it once the scheduler's figure for every node replaced the energy. */
export const ONE_NODE_ENERGY_WARNING = 'energy covers only this node';

/** What a user must know about a ranked run's other figures: energy is metered where fedbench runs only. */
export function ranksWarnings(inv: RanksInvocation): string[] {
  if (inv.nodes.length < 2) return [];
  return [
    `${ONE_NODE_ENERGY_WARNING} (${inv.nodes[0]}), where fedbench ran, not the other ${inv.nodes.length - 1} node(s) of the job (${inv.nodes.slice(1).join(', ')}); collect replaces it with the scheduler's figure for every node where the site accounts energy`,
  ];
}

/**
 * The record's `ranks`: each rank's figure (by `figureOf`, its last one) and min / median / max over ranks, the
 * slowest rank being the lowest for a rate and the highest for a time.
 */
export function ranksRecord(
  inv: RanksInvocation,
  figureOf: (rank: RankRun) => number | null,
  direction: Direction,
): Ranks {
  const perRank = inv.ranks.map((r) => ({
    rank: r.rank,
    node: r.node,
    localRank: r.localRank,
    figure: figureOf(r),
    exitCode: r.exitCode,
  }));
  const given = perRank.filter(
    (r): r is typeof r & { figure: number } => r.figure !== null && Number.isFinite(r.figure),
  );
  const sorted = given.map((r) => r.figure).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const slowest = given.reduce<(typeof given)[number] | null>(
    (worst, r) =>
      worst === null || (direction === 'higher' ? r.figure < worst.figure : r.figure > worst.figure) ? r : worst,
    null,
  );
  return {
    world: inv.ranks.length,
    nodes: inv.nodes,
    perNode: Math.max(...inv.ranks.map((r) => r.localRank)) + 1,
    launcher: inv.launcher,
    rendezvous: inv.rendezvous,
    ...(inv.fabric ? { fabric: inv.fabric } : {}),
    perRank,
    summary: slowest
      ? {
          min: sorted[0]!,
          median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
          max: sorted[sorted.length - 1]!,
          slowestRank: slowest.rank,
        }
      : null,
  };
}
