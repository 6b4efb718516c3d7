// The scheduler registry: a site profile's scheduler.kind → its implementation, the one way federation reaches it.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ENDED_UNKNOWN, SCHEDULER_KINDS, schedulerOf } from '../../src/scheduler/index.js';
import { loadSite } from '../../src/sites/index.js';
import { ROOT } from '../cli/run-cli.js';
import path from 'node:path';

describe('the scheduler registry', () => {
  it('gives a profile without scheduler.kind Slurm, whose words federation reads through it', () => {
    const site = loadSite(path.join(ROOT, 'slurm/sites/local.yaml'));
    expect(site.scheduler.kind).toBe('slurm');
    const kind = schedulerOf(site);
    expect(kind.name).toBe('slurm');
    expect(SCHEDULER_KINDS).toEqual(['slurm']);
    // end states as federation reads them: terminal, the status of a case that wrote no record, the words
    expect(kind.isTerminal('CANCELLED by 0')).toBe(true);
    expect(kind.isTerminal('RUNNING')).toBe(false);
    expect(kind.endStatus('TIMEOUT')).toBe('timeout');
    expect(kind.endStatus('PREEMPTED')).toBe('cancelled');
    expect(kind.timeLimitSeconds('1-02:00:00')).toBe(26 * 3600);
    expect(() => kind.timeLimitSeconds('soon')).toThrow(/not a Slurm time limit/);
    // phases as federation and the server show them; fedbench's own word for an end without accounting
    expect(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', ENDED_UNKNOWN].map((x) => kind.phase(x))).toEqual([
      'pending',
      'running',
      'running',
      'ended',
      'ended',
    ]);
    expect(kind.completed('COMPLETED')).toBe(true);
    expect(kind.completed('FAILED')).toBe(false);
    // the paths the job script writes (array.sbatch: --output=…/logs/%A_%a.out)
    expect(kind.logPath('/w/c', '12_3')).toBe('/w/c/logs/12_3.out');
    expect(kind.scriptPath('/w/c', 'n01-0')).toBe('/w/c/job-n01-0.sbatch');
    // the partition as sinfo shows it, against the profile
    const up = { name: 'gpu', state: 'up', nodes: 2, gres: 'gpu:a100:4', isDefault: true };
    expect(kind.partitionProblems(site, up)).toEqual([]);
    expect(kind.partitionProblems(site, { ...up, state: 'drain', gres: '(null)' })).toEqual([
      "partition 'gpu' is drain",
      "partition 'gpu' shows no GPUs (gres: (null))",
    ]);
    // where a job ran, from the variables its record kept
    expect(
      kind.jobPlacement({ SLURMD_NODENAME: 'n01', SLURM_JOB_PARTITION: 'gpu', SLURM_CLUSTER_NAME: 'mel' }),
    ).toEqual({ node: 'n01', partition: 'gpu', cluster: 'mel' });
    expect(kind.jobPlacement({})).toEqual({});
    // helper scripts only where the jobs call them
    expect(kind.helperFiles({ wholeNode: false, ranks: false })).toEqual([]);
    expect(kind.helperFiles({ wholeNode: true, ranks: true }).map((f) => [f.name, f.mode])).toEqual([
      ['gpu-worker.sh', 0o755],
      ['rank-env.sh', 0o755],
    ]);
  });

  it('refuses a kind it does not know, naming the profile and the kinds there are', () => {
    const err = (() => {
      try {
        schedulerOf({ scheduler: { kind: 'pbs' }, file: '/sites/x.yaml' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe("scheduler.kind 'pbs' (/sites/x.yaml) is not one fedbench knows: slurm");
  });
});
