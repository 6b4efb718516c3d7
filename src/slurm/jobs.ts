// Job states from sacct (and squeue where accounting is off), and sbatch's answer: pure parsers.
import type { TaskState } from '../scheduler/contract.js';
import { parseSlurmElapsed, sacctEnergy } from './sacct-energy.js';

export const SACCT_FIELDS = [
  'JobID',
  'JobIDRaw',
  'State',
  'ExitCode',
  'Elapsed',
  'Start',
  'End',
  'NodeList',
  'Reason',
  'ConsumedEnergyRaw',
  'Partition',
  'Cluster',
  'Timelimit',
] as const;
export const SACCT_ARGS = ['-P', '-n', `--format=${SACCT_FIELDS.join(',')}`];

const TERMINAL = [
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'CANCELLED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
] as const;
export type TerminalState = (typeof TERMINAL)[number];

/** `CANCELLED by 0` → CANCELLED. */
export function baseState(state: string): string {
  return state.trim().split(/\s+/)[0] ?? '';
}

export function isTerminal(state: string): state is TerminalState {
  return (TERMINAL as readonly string[]).includes(baseState(state));
}

/** What a case that wrote no record is, given how its job ended. */
export function recordStatusFor(state: string): 'failed' | 'timeout' | 'cancelled' {
  const s = baseState(state);
  if (s === 'TIMEOUT' || s === 'DEADLINE') return 'timeout';
  if (s === 'CANCELLED' || s === 'PREEMPTED') return 'cancelled';
  return 'failed';
}

export type { TaskState };

/** `12_[3-5,7%2]` → [3,4,5,7]. */
export function expandArrayIndices(spec: string): number[] {
  const inner = spec.replace(/^\[/, '').replace(/\]$/, '').replace(/%\d+$/, '');
  const out: number[] = [];
  for (const part of inner.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    const hi = b !== undefined && Number.isInteger(b) ? b : a;
    for (let i = a; i <= hi; i++) out.push(i);
  }
  return out;
}

const dateOrNull = (s: string | undefined) => (s && s !== 'Unknown' && s !== 'None' ? s : null);

/** How long after its time limit a job's end may still be missing from accounting before fedbench stops waiting. */
const ACCOUNTING_GRACE_S = 3600;

/** Every array task (and plain job) in `sacct -P -n --format=<SACCT_FIELDS>` output, by `job_index`. */
export function parseSacct(output: string, now = Date.now()): Map<string, TaskState> {
  const rows = output
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split('|'));
  const byKey = new Map<string, TaskState>();
  const stepLines = new Map<string, string[]>();
  /** The batch step's exit code by job (`123_4`): the script's own end. */
  const batchExit = new Map<string, string>();
  /** The job's time limit in seconds by key, where sacct gives one (not UNLIMITED). */
  const limits = new Map<string, number>();
  for (const r of rows) {
    const [
      jobId = '',
      jobIdRaw = '',
      state = '',
      exitCode = '',
      elapsed = '',
      start,
      end,
      nodes = '',
      reason = '',
      energy = '',
      partition = '',
      cluster = '',
      timelimit = '',
    ] = r;
    const [head, step] = jobId.split('.', 2) as [string, string | undefined];
    // energy lines are fed to the shared sacct energy parser (JobID|State|Elapsed|ConsumedEnergyRaw)
    const list = stepLines.get(head) ?? [];
    list.push([head + (step ? `.${step}` : ''), state, elapsed, energy].join('|'));
    stepLines.set(head, list);
    if (step === 'batch') batchExit.set(head, exitCode);
    if (step !== undefined) continue;
    const m = /^(\d+)(?:_(\[[^\]]*\]|\d+))?$/.exec(head);
    if (!m) continue;
    const arrayJobId = m[1]!;
    const indices = m[2] === undefined ? [null] : m[2].startsWith('[') ? expandArrayIndices(m[2]) : [Number(m[2])];
    for (const idx of indices) {
      const key = idx === null ? arrayJobId : `${arrayJobId}_${idx}`;
      const limit = parseSlurmElapsed(timelimit);
      if (limit !== null) limits.set(key, limit);
      byKey.set(key, {
        key,
        arrayJobId,
        arrayIndex: idx,
        state: baseState(state),
        exitCode,
        elapsedSeconds: parseSlurmElapsed(elapsed),
        start: dateOrNull(start),
        end: dateOrNull(end),
        node: nodes && nodes !== 'None assigned' ? nodes : null,
        reason: reason && reason !== 'None' ? reason : null,
        partition: partition || null,
        cluster: cluster || null,
        consumedEnergyJ: null,
        energyNote: null,
      });
      void jobIdRaw;
    }
  }
  // A job cancelled while its script ran reads 0:0 at first; Slurm rewrites it to the script's signal (0:15) later,
  // minutes later on the test sites (the chaos soak's clean re-collects differed by exactly that): the batch step
  // says it from the start, so the record takes it at once and a later collect reads the same.
  for (const [head, code] of batchExit) {
    const t = byKey.get(head);
    if (t && t.state === 'CANCELLED' && t.exitCode === '0:0' && code && code !== '0:0') t.exitCode = code;
  }
  // A job that ended while slurmdbd was down or catching up can read COMPLETED with End "Unknown": sacct then gives
  // the time since it started as its elapsed (17 s for a 14 s job in the chaos soak). Its end is not written yet, so
  // the task reads as still completing and collect waits for the accounting rather than keep a figure it would change.
  // Bounded: an hour past the latest the job could have ended (start + time limit), the end is taken as never to
  // come — the task ended as sacct says, its elapsed unknown — so no campaign waits forever for a lost row.
  for (const t of byKey.values())
    if (isTerminal(t.state) && t.start !== null && t.end === null) {
      const limit = limits.get(t.key);
      const latest = limit === undefined ? Number.NaN : Date.parse(t.start) + (limit + ACCOUNTING_GRACE_S) * 1000;
      if (now > latest) {
        t.elapsedSeconds = null;
        t.reason = 'Slurm accounting never wrote its end: elapsed unknown';
      } else {
        t.state = 'COMPLETING';
        t.reason = 'Slurm accounting has not written its end yet';
      }
    }
  for (const [head, lines] of stepLines) {
    const t = byKey.get(head);
    if (!t || !isTerminal(t.state)) continue;
    const e = sacctEnergy(lines.join('\n'), head);
    if (e.status === 'measured') t.consumedEnergyJ = e.joules;
    else t.energyNote = e.reason;
  }
  return byKey;
}

/** `squeue -h -r -o '%i|%T|%M|%N|%r|%P'` (when sacct is unavailable): active tasks only. */
export const SQUEUE_ARGS = ['-h', '-r', '-o', '%i|%T|%M|%N|%r|%P'];
export function parseSqueue(output: string): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  for (const line of output.split('\n').filter((l) => l.trim())) {
    const [id = '', state = '', elapsed = '', node = '', reason = '', partition = ''] = line.split('|');
    const m = /^(\d+)(?:_(\d+))?$/.exec(id.trim());
    if (!m) continue;
    out.set(id.trim(), {
      key: id.trim(),
      arrayJobId: m[1]!,
      arrayIndex: m[2] === undefined ? null : Number(m[2]),
      state: baseState(state),
      exitCode: '',
      elapsedSeconds: parseSlurmElapsed(elapsed),
      start: null,
      end: null,
      node: node || null,
      reason: reason && reason !== 'None' ? reason : null,
      partition: partition || null,
      cluster: null,
      consumedEnergyJ: null,
      energyNote: null,
    });
  }
  return out;
}

/** `sbatch --parsable` prints `JOBID` or `JOBID;CLUSTER`. */
export function parseSbatch(stdout: string): { jobId: string; cluster: string | null } | null {
  const m = /^(\d+)(?:;(\S+))?\s*$/m.exec(stdout.trim());
  return m ? { jobId: m[1]!, cluster: m[2] ?? null } : null;
}

/** A person's reading of how a job ended. */
export function describeEnd(t: TaskState): string {
  const s = t.state;
  const after = t.elapsedSeconds !== null ? ` after ${t.elapsedSeconds} s` : '';
  const where = t.node ? ` on ${t.node}` : '';
  const why =
    s === 'TIMEOUT'
      ? 'time limit reached'
      : s === 'CANCELLED'
        ? 'cancelled'
        : s === 'NODE_FAIL'
          ? 'node failure'
          : s === 'OUT_OF_MEMORY'
            ? 'out of memory'
            : s === 'PREEMPTED'
              ? 'preempted'
              : s === 'FAILED'
                ? `job script failed, exit code ${t.exitCode}`
                : s.toLowerCase();
  return `${s} (${why}${t.reason ? `; Slurm reason: ${t.reason}` : ''})${after}${where}`;
}

/** A Slurm time limit ([D-]HH:MM:SS, HH:MM:SS, MM:SS or minutes) in seconds. */
export function timeLimitSeconds(limit: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(limit.trim());
  if (!m) throw new Error(`not a Slurm time limit: ${limit}`);
  const [days, a, b, c] = [
    Number(m[1] ?? 0),
    Number(m[2]),
    m[3] === undefined ? null : Number(m[3]),
    m[4] === undefined ? null : Number(m[4]),
  ];
  // minutes alone; MM:SS; HH:MM:SS — with days, D-HH[:MM[:SS]]
  const seconds =
    m[1] !== undefined
      ? a * 3600 + (b ?? 0) * 60 + (c ?? 0)
      : c !== null
        ? a * 3600 + b! * 60 + c
        : b !== null
          ? a * 60 + b
          : a * 60;
  return days * 86400 + seconds;
}
