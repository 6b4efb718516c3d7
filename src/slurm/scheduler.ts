// The scheduler adapter: every Slurm command fedbench runs on a site is built here (argv arrays, run through the
// site's Executor, which quotes each word with remote/quote.ts) and its output parsed here into typed results.
// Federation and CLI code ask for what they need (submit a script, the tasks' states, the partitions) and never
// spell a Slurm command. One adapter per executor: `scontrol show config` is read once per site and command.
import { run, type ExecResult, type Executor } from '../remote/index.js';
import type { Partition, Scheduler, SchedulerConfig, SiteStates, Submitted } from '../scheduler/contract.js';
import { parseSacct, parseSbatch, parseSqueue, SACCT_ARGS, SQUEUE_ARGS } from './jobs.js';

/** What fedbench reads from `scontrol show config`. */
export type SlurmConfig = SchedulerConfig;
export type { Partition, Scheduler, SiteStates, Submitted };

/** The scheduler of a site reached through `ex`; the same adapter (and cached configuration) for the same executor. */
export function scheduler(ex: Pick<Executor, 'exec' | 'where'>): Scheduler {
  let s = adapters.get(ex);
  if (!s) {
    s = slurmAdapter(ex);
    adapters.set(ex, s);
  }
  return s;
}
const adapters = new WeakMap<object, Scheduler>();

/** The day before an ISO time, as sacct's `-S` takes it (time zones between here and the site cannot hide a job). */
function dayBefore(iso: string): string {
  return new Date(Date.parse(iso) - 86_400_000).toISOString().slice(0, 10);
}

/** The last lines a command wrote to stderr, on one line. */
const said = (r: ExecResult, lines = 3) => r.stderr.trim().split('\n').slice(-lines).join(' ');

function slurmAdapter(ex: Pick<Executor, 'exec' | 'where'>): Scheduler {
  let config: Promise<SlurmConfig> | null = null;

  const squeue = async (jobIds: readonly string[]): Promise<ExecResult> =>
    ex.exec(['squeue', ...SQUEUE_ARGS, '-j', jobIds.join(',')], { readOnly: true });
  // squeue lists the ids still known and exits 1 only when none is ("Invalid job id specified"): then every
  // task has ended. Any other failure (controller down) must not pass for "ended".
  const noneKnown = (q: ExecResult) => q.code !== 0 && /invalid job id/i.test(q.stderr);

  return {
    async submit(script, opts) {
      const r = await ex.exec(['sbatch', '--parsable', script], { cwd: opts.cwd });
      const parsed = r.code === 0 ? parseSbatch(r.stdout) : null;
      if (parsed) return parsed;
      return {
        refused: (r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`).split('\n').slice(-4).join('\n'),
      };
    },

    async submittedJob(name, since) {
      const firstId = (out: string) =>
        out
          .split('\n')
          .map((l) => /^(\d+)/.exec(l.trim())?.[1])
          .find(Boolean) ?? null;
      const q = await ex.exec(['squeue', '-h', '--states=all', `--name=${name}`, '-o', '%F'], { readOnly: true });
      if (q.code === 0 && firstId(q.stdout)) return firstId(q.stdout);
      // an ended job leaves squeue after MinJobAge: accounting still has it
      const a = await ex.exec(['sacct', '-X', '-n', '-P', `--name=${name}`, '-S', dayBefore(since), '-o', 'JobID'], {
        readOnly: true,
      });
      if (a.code === 0) return firstId(a.stdout);
      if (q.code === 0 && /accounting storage is disabled/i.test(a.stderr)) return null;
      throw new Error(
        `${ex.where}: cannot tell whether job ${name} was already submitted: squeue ${q.code === 0 ? 'lists none' : `failed (exit ${q.code}): ${said(q)}`}, sacct failed (exit ${a.code}): ${said(a)}`,
      );
    },

    async states(jobIds) {
      if (!jobIds.length) return { tasks: new Map(), accounting: true };
      const r = await ex.exec(['sacct', ...SACCT_ARGS, '-j', jobIds.join(',')], { readOnly: true });
      if (r.code === 0) return { tasks: parseSacct(r.stdout), accounting: true };
      if (!/accounting storage is disabled|slurmdbd/i.test(r.stderr))
        throw new Error(`${ex.where}: sacct failed (exit ${r.code}): ${said(r)}`);
      const q = await squeue(jobIds);
      if (q.code !== 0 && !noneKnown(q))
        throw new Error(`${ex.where}: sacct is unavailable and squeue failed (exit ${q.code}): ${said(q)}`);
      return { tasks: parseSqueue(q.code === 0 ? q.stdout : ''), accounting: false };
    },

    async queue(jobIds) {
      if (!jobIds.length) return new Map();
      const q = await squeue(jobIds);
      if (noneKnown(q)) return new Map();
      if (q.code !== 0) throw new Error(`${ex.where}: squeue failed (exit ${q.code}): ${said(q)}`);
      return parseSqueue(q.stdout);
    },

    async cancel(ids) {
      if (ids.length) await run(ex, ['scancel', ...ids]);
    },

    async partitions() {
      return parseSinfoPartitions(await run(ex, ['sinfo', '-h', '-o', SINFO_PARTITION_FORMAT], { readOnly: true }));
    },

    async nodes(partition) {
      const out = await run(ex, ['sinfo', '-h', '-N', '-p', partition, '-o', '%N'], { readOnly: true });
      return [
        ...new Set(
          out
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean),
        ),
      ].sort();
    },

    async nodeStates(partition) {
      const out = await run(ex, ['sinfo', '-h', '-N', '-p', partition, '-o', '%N|%t'], { readOnly: true });
      return parseNodeStates(out);
    },

    config() {
      config ??= ex.exec(['scontrol', 'show', 'config'], { readOnly: true }).then(
        (r) => ({ maxArraySize: r.code === 0 ? parseMaxArraySize(r.stdout) : null }),
        (err: unknown) => {
          config = null; // a dropped connection is not the configuration: ask again next time
          throw err;
        },
      );
      return config;
    },
  };
}

export const SINFO_PARTITION_FORMAT = '%P|%a|%D|%G';

/** `sinfo -h -o '%P|%a|%D|%G'`: one line per partition (and per distinct gres within it: the first line wins). */
export function parseSinfoPartitions(output: string): Partition[] {
  const out: Partition[] = [];
  for (const line of output.split('\n').filter((l) => l.trim())) {
    const [p = '', state = '', nodes = '', gres = ''] = line.split('|');
    const name = p.replace(/\*$/, '');
    if (out.some((x) => x.name === name)) continue;
    out.push({ name, state, nodes: Number(nodes), gres, isDefault: p.endsWith('*') });
  }
  return out;
}

/** `MaxArraySize = 1001` in `scontrol show config`. */
export function parseMaxArraySize(configText: string): number | null {
  const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(configText);
  return m ? Number(m[1]) : null;
}

/** sinfo's short node states a job placed on the node cannot start in (`*`: the node does not respond). */
const UNUSABLE_NODE = /^(down|drain|drng|fail|failg|maint|inval|unk|futr|npc)/;

/** `sinfo -h -N -o '%N|%t'`: each node once (a node in two partitions is listed twice), sorted. */
export function parseNodeStates(out: string): Array<{ node: string; state: string; usable: boolean }> {
  const byNode = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [node = '', state = ''] = line.trim().split('|');
    if (node) byNode.set(node, state);
  }
  return [...byNode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, state]) => ({ node, state, usable: !UNUSABLE_NODE.test(state) && !state.endsWith('*') }));
}
