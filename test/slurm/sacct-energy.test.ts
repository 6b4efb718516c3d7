// Output constructed in the format of `sacct -P -n --format=JobID,State,Elapsed,ConsumedEnergyRaw`
// (pipe-separated, no header), as seen with the pm_counters plugin in notes/slurm-in-ci.md.
import { describe, expect, it } from 'vitest';
import { parseSacctSteps, parseSlurmElapsed, sacctEnergy } from '../../src/slurm/sacct-energy.js';

describe('sacct energy', () => {
  it('takes the energy from the .batch step, not the allocation line', () => {
    const out = [
      '1234|COMPLETED|00:01:40|',
      '1234.batch|COMPLETED|00:01:40|25000',
      '1234.extern|COMPLETED|00:01:40|0',
      '',
    ].join('\n');
    expect(sacctEnergy(out, '1234')).toEqual({
      status: 'measured',
      step: '1234.batch',
      joules: 25000,
      elapsedSeconds: 100,
      meanWatts: 250,
      state: 'COMPLETED',
    });
  });

  it('treats 0 and empty as no data, never 0 J', () => {
    const out = '77|COMPLETED|00:00:05|\n77.batch|COMPLETED|00:00:05|0\n77.extern|COMPLETED|00:00:05|\n';
    expect(parseSacctSteps(out).map((s) => s.joules)).toEqual([null, null, null]);
    const e = sacctEnergy(out, '77');
    expect(e.status).toBe('unavailable');
    expect(e.status === 'unavailable' && e.reason).toMatch(/ConsumedEnergyRaw empty or 0/);
  });

  it('uses the one step with energy when there is no .batch line (srun steps)', () => {
    expect(sacctEnergy('9|COMPLETED|1-00:00:00|\n9.0|COMPLETED|1-00:00:00|8640000\n', '9')).toMatchObject({
      status: 'measured',
      step: '9.0',
      meanWatts: 100,
    });
  });

  it('refuses to guess between several steps with energy', () => {
    const e = sacctEnergy('9|RUNNING|00:10|\n9.0|COMPLETED|00:10|100\n9.1|COMPLETED|00:10|200\n', '9');
    expect(e.status === 'unavailable' && e.reason).toMatch(/several steps report energy \(9\.0, 9\.1\)/);
  });

  it('ignores other jobs and says when the job is not listed', () => {
    const out = '1|COMPLETED|00:00:10|\n1.batch|COMPLETED|00:00:10|500\n';
    expect(sacctEnergy(out, '2')).toEqual({ status: 'unavailable', reason: 'sacct lists no step of job 2' });
    expect(sacctEnergy(out, '12').status).toBe('unavailable');
  });

  it('parses Slurm durations', () => {
    expect(parseSlurmElapsed('2-03:04:05')).toBe(2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    expect(parseSlurmElapsed('04:05')).toBe(245);
    expect(parseSlurmElapsed('00:00:01.500')).toBe(1.5);
    expect(parseSlurmElapsed('Unknown')).toBeNull();
  });
});
