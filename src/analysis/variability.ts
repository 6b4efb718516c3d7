// Node-to-node variability from node sweeps: the slow nodes of a partition stand out.
import type { SiteSeries } from './aggregate.js';
import type { Direction } from '../results/index.js';
import * as ss from 'simple-statistics';

export interface NodeFinding {
  node: string;
  median: number;
  /** Relative to the median of the site's node medians, in the metric's "worse" direction (0.07 = 7% worse). */
  deficit: number;
  straggler: boolean;
}

export interface Variability {
  site: string;
  case: string;
  nodes: NodeFinding[];
  /** Spread of node medians: (max - min) / median. */
  spread: number;
}

/** A node's median worse than the site's typical node by more than this (0.05 = 5%) makes it a straggler. */
export const STRAGGLER_THRESHOLD = 0.05;

/** A node is a straggler when its median is worse than the site's typical node by more than `threshold`. */
export function nodeVariability(
  s: SiteSeries,
  direction: Direction,
  threshold = STRAGGLER_THRESHOLD,
): Variability | null {
  if (s.nodes.length < 2) return null;
  const medians = s.nodes.map((n) => n.median);
  const typical = ss.median(medians);
  const nodes = s.nodes.map((n) => {
    const deficit = direction === 'higher' ? (typical - n.median) / typical : (n.median - typical) / typical;
    return { node: n.node, median: n.median, deficit, straggler: deficit > threshold };
  });
  return { site: s.site, case: s.case, nodes, spread: (Math.max(...medians) - Math.min(...medians)) / typical };
}
