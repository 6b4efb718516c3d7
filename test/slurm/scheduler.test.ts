// The scheduler adapter against a scripted executor: the argv it runs for each question, and how it reads the
// answers (Slurm 22.05's output on the test clusters), failures included.
import { describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../../src/remote/index.js';
import { parseSinfoPartitions, scheduler } from '../../src/slurm/index.js';

type Answer = Partial<ExecResult> | ((argv: readonly string[]) => Partial<ExecResult>);

/** An executor that answers each command by its name, and remembers what it was asked. */
function scripted(answers: Record<string, Answer>) {
  const calls: Array<{ argv: readonly string[]; opts: ExecOptions | undefined }> = [];
  return {
    calls,
    where: 'test@site:22',
    async exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
      calls.push({ argv, opts });
      const a = answers[argv[0]!];
      if (a === undefined) throw new Error(`unexpected command ${argv.join(' ')}`);
      return { code: 0, stdout: '', stderr: '', ...(typeof a === 'function' ? a(argv) : a) };
    },
  };
}

describe('scheduler adapter', () => {
  it('finds a job submitted under a name after it left the queue (sacct), and never answers "none" when it cannot tell', async () => {
    // fedbench killed between sbatch's answer and the journal write; the job ended before submit was resumed
    const ended = scripted({ squeue: { stdout: '' }, sacct: { stdout: '77_[0-2]\n' } });
    expect(await scheduler(ended).submittedJob('fb-c-alpha-0', '2026-12-07T10:00:00Z')).toBe('77');
    expect(ended.calls[1]!.argv).toEqual([
      'sacct',
      '-X',
      '-n',
      '-P',
      '--name=fb-c-alpha-0',
      '-S',
      '2026-12-06',
      '-o',
      'JobID',
    ]);
    const never = scripted({ squeue: { stdout: '' }, sacct: { stdout: '' } });
    expect(await scheduler(never).submittedJob('fb-c-alpha-0', '2026-12-07T10:00:00Z')).toBeNull();
    const noAccounting = scripted({
      squeue: { stdout: '' },
      sacct: { code: 1, stderr: 'sacct: error: Slurm accounting storage is disabled' },
    });
    expect(await scheduler(noAccounting).submittedJob('x', '2026-12-07T10:00:00Z')).toBeNull();
    // the controller restarting and slurmdbd down: unknown, not "not submitted"
    const blind = scripted({
      squeue: { code: 1, stderr: 'slurm_load_jobs error: Unable to contact slurm controller' },
      sacct: { code: 1, stderr: 'sacct: error: Problem talking to the database: Connection refused' },
    });
    await expect(scheduler(blind).submittedJob('fb-c-alpha-0', '2026-12-07T10:00:00Z')).rejects.toThrow(
      /cannot tell whether job fb-c-alpha-0 was already submitted: squeue failed \(exit 1\).*sacct failed/,
    );
  });

  it('submits with sbatch --parsable in the campaign folder, and reports a refusal in sbatch’s words', async () => {
    const ok = scripted({ sbatch: { stdout: '42;alpha\n' } });
    expect(await scheduler(ok).submit('/w/job-0.sbatch', { cwd: '/w' })).toEqual({ jobId: '42', cluster: 'alpha' });
    expect(ok.calls).toEqual([{ argv: ['sbatch', '--parsable', '/w/job-0.sbatch'], opts: { cwd: '/w' } }]);
    const no = scripted({ sbatch: { code: 1, stderr: 'sbatch: error: invalid partition specified: nope\n' } });
    expect(await scheduler(no).submit('/w/x', { cwd: '/w' })).toEqual({
      refused: 'sbatch: error: invalid partition specified: nope',
    });
  });

  it('reads states from sacct, and from squeue where accounting is off', async () => {
    const acct = scripted({ sacct: { stdout: '7_0|8|COMPLETED|0:0|00:00:04|a|b|n1|None||gpu|alpha\n' } });
    const s = await scheduler(acct).states(['7', '9']);
    expect(s.accounting).toBe(true);
    expect(s.tasks.get('7_0')).toMatchObject({ state: 'COMPLETED', node: 'n1', elapsedSeconds: 4 });
    expect(acct.calls[0]!.argv.slice(-2)).toEqual(['-j', '7,9']);
    expect(acct.calls[0]!.opts).toEqual({ readOnly: true });

    const none = scripted({
      sacct: { code: 1, stderr: 'sacct: error: Slurm accounting storage is disabled' },
      squeue: { stdout: '7_1|RUNNING|0:05|n2|None|gpu\n' },
    });
    const q = await scheduler(none).states(['7']);
    expect(q.accounting).toBe(false);
    expect([...q.tasks.keys()]).toEqual(['7_1']);
    // none of the ids known any more: every task has ended
    const gone = scripted({
      sacct: { code: 1, stderr: 'accounting storage is disabled' },
      squeue: { code: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' },
    });
    expect(await scheduler(gone).states(['7'])).toEqual({ accounting: false, tasks: new Map() });
    // a controller that does not answer is not "ended"
    const down = scripted({
      sacct: { code: 1, stderr: 'accounting storage is disabled' },
      squeue: { code: 1, stderr: 'slurm_load_jobs error: Unable to contact slurm controller' },
    });
    await expect(scheduler(down).states(['7'])).rejects.toThrow(
      /test@site:22: sacct is unavailable and squeue failed \(exit 1\): .*Unable to contact/,
    );
    const broken = scripted({ sacct: { code: 1, stderr: 'sacct: error: something else' } });
    await expect(scheduler(broken).states(['7'])).rejects.toThrow(/sacct failed \(exit 1\)/);
    expect(await scheduler(scripted({})).states([])).toEqual({ accounting: true, tasks: new Map() });
  });

  it('reads the configuration once per executor', async () => {
    const ex = scripted({ scontrol: { stdout: 'MaxArraySize            = 20\nMaxJobCount = 10000\n' } });
    const s = scheduler(ex);
    expect(await s.config()).toEqual({ maxArraySize: 20 });
    expect(await scheduler(ex).config()).toEqual({ maxArraySize: 20 });
    expect(ex.calls.map((c) => c.argv)).toEqual([['scontrol', 'show', 'config']]);
    expect(await scheduler(scripted({ scontrol: { code: 1 } })).config()).toEqual({ maxArraySize: null });
  });

  it('lists partitions and nodes with sinfo, a failure as a CommandError naming the command', async () => {
    const ex = scripted({
      sinfo: (argv) =>
        argv.includes('-N') ? { stdout: 'a100-02\na100-01\na100-01\n' } : { stdout: 'gpu*|up|2|gpu:a100:4\n' },
    });
    expect(await scheduler(ex).partitions()).toEqual([
      { name: 'gpu', state: 'up', nodes: 2, gres: 'gpu:a100:4', isDefault: true },
    ]);
    expect(await scheduler(ex).nodes('gpu')).toEqual(['a100-01', 'a100-02']);
    expect(ex.calls.map((c) => c.argv)).toEqual([
      ['sinfo', '-h', '-o', '%P|%a|%D|%G'],
      ['sinfo', '-h', '-N', '-p', 'gpu', '-o', '%N'],
    ]);
    const down = scripted({ sinfo: { code: 1, stderr: 'sinfo: error: Unable to contact slurm controller' } });
    await expect(scheduler(down).partitions()).rejects.toThrow(
      /test@site:22: 'sinfo -h -o %P\|%a\|%D\|%G' exited with 1:\nsinfo: error: Unable to contact/,
    );
    expect(parseSinfoPartitions('gpu|up|2|gpu:a100:4(S:0)\ngpu|up|1|(null)\ncpu|drain|4|(null)\n')).toEqual([
      { name: 'gpu', state: 'up', nodes: 2, gres: 'gpu:a100:4(S:0)', isDefault: false },
      { name: 'cpu', state: 'drain', nodes: 4, gres: '(null)', isDefault: false },
    ]);
  });

  it('finds a job by name, reads the queue and cancels tasks', async () => {
    const ex = scripted({
      squeue: (argv) => (argv.includes('-j') ? { stdout: '5_0|PENDING|0:00||Priority|gpu\n' } : { stdout: '5\n' }),
      scancel: {},
    });
    const s = scheduler(ex);
    expect(await s.submittedJob('fb-c-alpha-0', '2026-12-07T10:00:00Z')).toBe('5');
    expect((await s.queue(['5'])).get('5_0')).toMatchObject({ state: 'PENDING', reason: 'Priority' });
    await s.cancel(['5_1']);
    expect(ex.calls.map((c) => c.argv)).toEqual([
      ['squeue', '-h', '--states=all', '--name=fb-c-alpha-0', '-o', '%F'],
      ['squeue', '-h', '-r', '-o', '%i|%T|%M|%N|%r|%P', '-j', '5'],
      ['scancel', '5_1'],
    ]);
    // scancel changes state: never run again after a dropped connection
    expect(ex.calls[2]!.opts?.readOnly).toBeUndefined();
    const gone = scripted({ squeue: { code: 1, stderr: 'Invalid job id specified' } });
    expect(await scheduler(gone).queue(['5'])).toEqual(new Map());
    await expect(scheduler(scripted({ scancel: { code: 1, stderr: 'denied' } })).cancel(['5'])).rejects.toThrow(
      /'scancel 5' exited with 1/,
    );
  });
});
