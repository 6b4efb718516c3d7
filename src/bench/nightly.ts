// The layout bench:db and bench:serve fill their databases with: nightly campaigns × 4 sites × 50 cases × 20 nodes
// (node sweeps), constructed by the synthetic generator (nothing here is a GPU measurement), with a 10% drop at one
// site for five cases from 80% of the history on, with a new driver: something for `regressions` to find.
import type { RunRecord } from '../results/index.js';
import { syntheticRecord } from './synthetic.js';

export const SITES = ['meluxina', 'leonardo', 'vega', 'karolina'];
export const CASES = 50;
export const NODES = 20;
export const PER_CAMPAIGN = SITES.length * CASES * NODES;
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

export const campaignName = (c: number) => `nightly-${String(c).padStart(4, '0')}`;

/** The i-th of `total` records: campaign-major, so the last records are the latest campaigns. */
export function nightlyRecord(i: number, total: number): RunRecord {
  const campaigns = Math.ceil(total / PER_CAMPAIGN);
  const campaign = Math.floor(i / PER_CAMPAIGN);
  const within = i % PER_CAMPAIGN;
  const si = Math.floor(within / (CASES * NODES));
  const c = Math.floor(within / NODES) % CASES;
  const node = within % NODES;
  const site = SITES[si]!;
  const dropped = si === 1 && c < 5 && campaign >= Math.floor(campaigns * 0.8);
  const r = syntheticRecord({
    site,
    node: `${site}-gpu${String(node).padStart(3, '0')}`,
    params: { n: 256 * (1 + (c % 10)), dtype: c % 2 ? 'fp16' : 'fp32', variant: Math.floor(c / 10) },
    median: 10000 * (1 + 0.1 * si) * (1 + 0.02 * (c % 10)) * (dropped ? 0.9 : 1),
    n: 20,
    seed: i + 1,
    gpu: 'NVIDIA A100-SXM4-40GB',
    watts: 250 + 10 * si,
  });
  r.id = `${r.id}-${i}`;
  r.campaign = campaignName(campaign);
  r.startedAt = new Date(START + campaign * DAY + si * 60_000 + (c * NODES + node) * 1000).toISOString();
  r.finishedAt = new Date(Date.parse(r.startedAt) + 10_000).toISOString();
  if (dropped) r.system.gpus[0]!.driver = '1.0';
  return r;
}
