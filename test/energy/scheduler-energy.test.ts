// The scheduler's figure as the record's energy: what it may replace, and what it says it replaced.
import { describe, expect, it } from 'vitest';
import { schedulerEnergy, schedulerEnergyReplaces } from '../../src/energy/index.js';
import type { EnergyReading } from '../../src/results/index.js';

const metered: EnergyReading = {
  status: 'measured',
  source: 'pm_counters',
  method: 'counter',
  joules: 120,
  avgWatts: 400,
  coverage: 1,
};
const estimate: EnergyReading = { ...metered, method: 'estimate' };

describe("the scheduler's energy", () => {
  it('replaces an estimate or nothing, never a measurement of a one-node job, but one node of a multi-node job', () => {
    expect(schedulerEnergyReplaces(estimate)).toBe(true);
    expect(schedulerEnergyReplaces({ status: 'unavailable', reason: 'no meter' })).toBe(true);
    expect(schedulerEnergyReplaces(metered)).toBe(false);
    expect(schedulerEnergyReplaces(metered, 2)).toBe(true);
  });

  it('says it covers every node of the job, and which one node the meters it replaced had read', () => {
    const e = schedulerEnergy({ joules: 5000, elapsedSeconds: 10, device: 'n1,n2' }, metered, ['n1', 'n2']);
    expect(e).toMatchObject({ status: 'measured', method: 'scheduler', joules: 5000, avgWatts: 500 });
    const m = e as Extract<EnergyReading, { status: 'measured' }>;
    expect(m.readings?.[0]?.note).toMatch(/^the whole job as Slurm accounted it, on every node \(n1, n2\): /);
    expect(m.unavailable?.[0]?.reason).toBe(
      "read on n1 only, where fedbench ran (120.0 J), not on the job's other 1 node(s): replaced by the scheduler's figure for every node",
    );
    // one node: an estimate replaced, said so
    const one = schedulerEnergy({ joules: 50, elapsedSeconds: 1, device: 'n1' }, estimate) as typeof m;
    expect(one.unavailable?.[0]?.reason).toMatch(/^only an estimate from declared power \(120\.0 J\)/);
  });
});
