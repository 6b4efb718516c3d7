// Ranks of a distributed program started by fedbench, so the program needs no launcher of its own: torchrun's
// rendezvous variables (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE) set per rank.
// Locally: N processes on this machine, each in its own process group; the first rank to fail, or the time-out,
// kills every group. Inside a Slurm job: one launcher step (its argv from the job script, FEDBENCH_RANK_LAUNCHER),
// whose tasks set their own rank from SLURM_PROCID / SLURM_LOCALID and print one FEDBENCH:RANK line first.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { forgetGroup, killGroup, killOnExit } from '../../process-group.js';
import {
  BEGIN_MARKER,
  DEVICE_MARKER,
  END_MARKER,
  SKIP_MARKER,
  type Invocation,
  type InvokeOptions,
} from '../command/invoke.js';
import type { Ranks } from '../../results/index.js';

/** `FEDBENCH:RANK <rank> <node> <localRank> <masterAddr>`: printed by each task of a launcher step before the program starts. */
export const RANK_MARKER = 'FEDBENCH:RANK';
/** `FEDBENCH:PORT|device|port|state|rate|link layer`: an InfiniBand port of the node, from its first rank (rank-env.sh). */
export const PORT_MARKER = 'FEDBENCH:PORT';

type Port = NonNullable<Ranks['fabric']>[number]['infiniband'][number];

/** A port line's fields, the rate read as system/fabric.ts reads sysfs ("200 Gb/sec (4X HDR)" → 200). */
export function portOf(text: string): Port | null {
  const f = text.trim().split('|');
  if (f.length !== 6 || f[0] !== PORT_MARKER || !/^\d+$/.test(f[2]!)) return null;
  const gbit = /^([\d.]+)\s*Gb\/sec/.exec(f[4]!);
  return {
    device: f[1]!,
    port: Number(f[2]),
    state: f[3]!,
    rate: f[4]!,
    gbitPerSec: gbit ? Number(gbit[1]) : null,
    linkLayer: f[5]!,
  };
}

/** The job script's launcher step as a JSON argv (e.g. srun … rank-env.sh); unset: ranks start on this machine. */
export const LAUNCHER_ENV = 'FEDBENCH_RANK_LAUNCHER';

const TAIL_BYTES = 4096;
const KILL_GRACE_MS = 2000;

export interface World {
  nodes: number;
  perNode: number;
}

/** One rank's run: its lines (between its own markers), how it ended, where it ran. */
export interface RankRun extends Invocation {
  rank: number;
  node: string;
  localRank: number;
}

export interface RanksInvocation extends Invocation {
  /** Who failed first, e.g. "rank 1 of 4 on node n2", when the invocation failed. */
  who?: string;
  ranks: RankRun[];
  nodes: string[];
  launcher: string;
  rendezvous: { masterAddr: string; masterPort: number | null };
  /** Each node's InfiniBand ports as its first rank read them (launcher steps only). */
  fabric?: Ranks['fabric'];
}

/** The world a case asks for: its `nodes` × `gpusPerNode` parameters, or null when it names neither. */
export function worldOf(params: Record<string, unknown>): World | null {
  if (!('nodes' in params) && !('gpusPerNode' in params)) return null;
  const nodes = Number(params.nodes ?? 1);
  const perNode = Number(params.gpusPerNode ?? 1);
  for (const [k, v] of [
    ['nodes', nodes],
    ['gpusPerNode', perNode],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`parameter ${k} must be a whole number ≥ 1 (got ${v})`);
  return { nodes, perNode };
}

/** Why this world cannot start here, or null: several nodes need a job that spans them. */
export function worldProblem(world: World, env: NodeJS.ProcessEnv = process.env): string | null {
  if (world.nodes > 1 && !env[LAUNCHER_ENV])
    return `nodes: ${world.nodes} needs a Slurm job spanning ${world.nodes} nodes (fedbench submit); a local run has one node`;
  return null;
}

/** A TCP port free on this machine now (the kernel's choice), for the rendezvous. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Reads one rank's stdout line by line, as invoke() does: markers, skip reason, measured lines. */
class RankLines {
  lines: string[] = [];
  begin: number | null = null;
  end: number | null = null;
  skipReason: string | null = null;
  stderrTail = '';
  constructor(private readonly markers: boolean) {}
  /** Returns true when this line opened the measured window. */
  push(line: string): boolean {
    const trimmed = line.trim();
    if (this.skipReason === null && trimmed.startsWith(`${SKIP_MARKER} `)) {
      this.skipReason = trimmed.slice(SKIP_MARKER.length + 1).trim();
      return false;
    }
    if (this.markers && trimmed === BEGIN_MARKER && this.begin === null) {
      this.begin = now();
      this.lines.length = 0;
      return true;
    }
    if (trimmed === END_MARKER && this.begin !== null && this.end === null) {
      this.end = now();
      return false;
    }
    if (this.end === null) this.lines.push(line);
    return false;
  }
  err(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-TAIL_BYTES);
  }
}

function exitWords(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Runs argv as the ranks of `world`. Resolves when every rank has ended; the first rank that fails (or the time-out)
 * ends the others by killing their process groups. Rank 0's lines are the invocation's lines.
 */
export async function launchRanks(
  argv: readonly string[],
  world: World,
  opts: InvokeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RanksInvocation> {
  const launcher = env[LAUNCHER_ENV];
  return launcher
    ? launchStep(JSON.parse(launcher) as string[], argv, world, opts, env)
    : launchLocal(argv, world, opts, env);
}

async function launchLocal(
  argv: readonly string[],
  world: World,
  opts: InvokeOptions,
  env: NodeJS.ProcessEnv,
): Promise<RanksInvocation> {
  const size = world.perNode;
  const masterAddr = '127.0.0.1';
  const masterPort = await freePort();
  const node = hostname();
  const t0 = now();
  let timedOut = false;
  let failed: { rank: number; why: string } | null = null;
  let begun = false;
  const pids: number[] = [];
  const killAll = (): void => {
    for (const pid of pids) killGroup(pid, 'SIGTERM');
    setTimeout(() => {
      for (const pid of pids) killGroup(pid, 'SIGKILL');
    }, KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killAll();
  }, opts.timeoutSeconds * 1000);

  const runs = await Promise.all(
    Array.from(
      { length: size },
      (_, rank) =>
        new Promise<RankRun>((resolve) => {
          const lines = new RankLines(opts.markers);
          let spawnError: string | null = null;
          const child = spawn(argv[0]!, argv.slice(1), {
            cwd: opts.cwd,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true, // each rank its own process group, killed as a whole
            env: {
              ...env,
              MASTER_ADDR: masterAddr,
              MASTER_PORT: String(masterPort),
              WORLD_SIZE: String(size),
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              LOCAL_WORLD_SIZE: String(size),
            },
          });
          if (child.pid) {
            pids.push(child.pid);
            killOnExit(child.pid);
          }
          child.stderr.setEncoding('utf8');
          child.stderr.on('data', (c: string) => lines.err(c));
          const out = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
          out.on('line', (line) => {
            // the energy window opens when the first rank enters its measured part
            if (lines.push(line) && !begun) {
              begun = true;
              void opts.onBegin?.();
            }
          });
          let outClosed = false;
          let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
          const finish = (): void => {
            if (!outClosed || !exited) return;
            if (child.pid) forgetGroup(child.pid);
            const bad = spawnError ?? (exited.code !== 0 && !timedOut ? exitWords(exited.code, exited.signal) : null);
            if (bad && !failed) {
              failed = { rank, why: bad };
              killAll();
            }
            resolve({
              rank,
              node,
              localRank: rank,
              exitCode: exited.code,
              signal: exited.signal,
              timedOut,
              wallSeconds: now() - t0,
              windowSeconds: lines.begin !== null && lines.end !== null ? lines.end - lines.begin : null,
              lines: lines.lines,
              stderrTail: lines.stderrTail.trim(),
              ...printed(lines.lines),
              skipReason: lines.skipReason,
              spawnError,
            });
          };
          out.on('close', () => {
            outClosed = true;
            finish();
          });
          child.on('error', (e: NodeJS.ErrnoException) => {
            spawnError = e.code === 'ENOENT' ? `program '${argv[0]}' not found (cwd ${opts.cwd})` : e.message;
            exited ??= { code: null, signal: null };
            outClosed = true;
            finish();
          });
          child.on('exit', (code, signal) => {
            exited = { code, signal };
            finish();
          });
          if (!opts.markers && rank === 0) child.once('spawn', () => void opts.onBegin?.());
        }),
    ),
  );
  clearTimeout(timer);
  for (const pid of pids) killGroup(pid, 'SIGKILL'); // anything a rank left behind
  return combine(runs, failed, timedOut, now() - t0, {
    launcher: `fedbench (${size} local process${size > 1 ? 'es' : ''})`,
    rendezvous: { masterAddr, masterPort },
    world,
  });
}

/** Inside a Slurm job: one launcher step runs every task; its output lines carry the task number (srun --label). */
async function launchStep(
  launcher: string[],
  argv: readonly string[],
  world: World,
  opts: InvokeOptions,
  env: NodeJS.ProcessEnv,
): Promise<RanksInvocation> {
  const size = world.nodes * world.perNode;
  const masterPort = await freePort();
  const t0 = now();
  const perRank = new Map<number, { lines: RankLines; node: string; localRank: number; ports: Port[] }>();
  let masterAddr = '?';
  const rankOf = (r: number) => {
    let e = perRank.get(r);
    if (!e) {
      e = { lines: new RankLines(opts.markers), node: '?', localRank: r, ports: [] };
      perRank.set(r, e);
    }
    return e;
  };
  let begun = false;
  let timedOut = false;
  let stepErr = '';
  const inv = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError: string | null }>(
    (resolve) => {
      const child = spawn(launcher[0]!, [...launcher.slice(1), ...argv], {
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        // the tasks take RANK from SLURM_PROCID; the port is fedbench's choice, free on this (the first) node
        env: { ...env, MASTER_PORT: String(masterPort), FEDBENCH_WORLD_SIZE: String(size) },
      });
      if (child.pid) killOnExit(child.pid);
      const timer = setTimeout(() => {
        timedOut = true;
        if (!child.pid) return;
        killGroup(child.pid, 'SIGTERM'); // srun forwards it to every task of the step
        setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS).unref();
      }, opts.timeoutSeconds * 1000);
      const labelled = (line: string): { rank: number; text: string } | null => {
        const m = /^\s*(\d+): ?(.*)$/.exec(line);
        return m ? { rank: Number(m[1]), text: m[2]! } : null;
      };
      createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        const l = labelled(line);
        if (!l) return;
        const e = rankOf(l.rank);
        const rm = new RegExp(`^${RANK_MARKER} (\\d+) (\\S+) (\\d+) (\\S+)$`).exec(l.text.trim());
        if (rm) {
          e.node = rm[2]!;
          e.localRank = Number(rm[3]);
          masterAddr = rm[4]!;
          return;
        }
        const port = portOf(l.text);
        if (port) {
          e.ports.push(port);
          return;
        }
        if (e.lines.push(l.text) && !begun) {
          begun = true;
          void opts.onBegin?.();
        }
      });
      createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        const l = labelled(line);
        if (l) rankOf(l.rank).lines.err(`${l.text}\n`);
        else stepErr = `${stepErr}${line}\n`.slice(-TAIL_BYTES);
      });
      let spawnError: string | null = null;
      child.on('error', (e) => {
        spawnError = e.message;
        clearTimeout(timer);
        resolve({ code: null, signal: null, spawnError });
      });
      let orphanedPipes: NodeJS.Timeout | undefined;
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        clearTimeout(orphanedPipes);
        if (child.pid) {
          killGroup(child.pid, 'SIGKILL');
          forgetGroup(child.pid);
        }
        resolve({ code, signal, spawnError });
      };
      child.on('close', done);
      // a process outside the group that inherited the step's pipes must not keep fedbench waiting after it exited
      child.on('exit', (code, signal) => {
        orphanedPipes = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          done(code, signal);
        }, KILL_GRACE_MS + 3000);
      });
      if (!opts.markers) child.once('spawn', () => void opts.onBegin?.());
    },
  );
  const wall = now() - t0;
  // srun names the task that failed first: "srun: error: n2: task 1: Exited with exit code 3"
  const task = /task (\d+): (.*)$/m.exec(stepErr);
  const failed =
    inv.spawnError !== null
      ? { rank: 0, why: inv.spawnError }
      : inv.code !== 0 && !timedOut
        ? { rank: task ? Number(task[1]) : -1, why: task ? task[2]!.trim() : exitWords(inv.code, inv.signal) }
        : null;
  const runs: RankRun[] = Array.from({ length: size }, (_, rank) => {
    const e = rankOf(rank);
    const exitCode = failed?.rank === rank ? (inv.code ?? null) : inv.code === 0 ? 0 : null;
    return {
      rank,
      node: e.node,
      localRank: e.localRank,
      exitCode,
      signal: null,
      timedOut,
      wallSeconds: wall,
      windowSeconds: e.lines.begin !== null && e.lines.end !== null ? e.lines.end - e.lines.begin : null,
      lines: e.lines.lines,
      stderrTail: (e.lines.stderrTail || (rank === 0 ? stepErr : '')).trim(),
      ...printed(e.lines.lines),
      skipReason: e.lines.skipReason,
      spawnError: rank === 0 ? inv.spawnError : null,
    };
  });
  // every node its first rank reported, ports or none (a node without an HCA reports an empty list)
  const fabric = [...perRank.values()]
    .filter((e) => e.localRank === 0 && e.node !== '?')
    .map((e) => ({ node: e.node, infiniband: e.ports }))
    .sort((a, b) => a.node.localeCompare(b.node));
  return {
    ...combine(runs, failed, timedOut, wall, {
      launcher: launcher.join(' '),
      rendezvous: { masterAddr, masterPort },
      world,
    }),
    fabric,
  };
}

/** What a rank printed, as one invocation's record keeps it: stdout's tail and its last FEDBENCH:DEVICE line. */
function printed(lines: readonly string[]): Pick<Invocation, 'stdoutTail' | 'device' | 'leftBehind'> {
  const device = lines.findLast((l) => l.trim().startsWith(`${DEVICE_MARKER} `));
  return {
    stdoutTail: lines.join('\n').slice(-4096),
    device: device
      ? device
          .trim()
          .slice(DEVICE_MARKER.length + 1)
          .trim()
      : null,
    leftBehind: null,
  };
}

/** The invocation as the command workload reads it: rank 0's lines, the failing rank's exit and stderr. */
function combine(
  runs: RankRun[],
  failed: { rank: number; why: string } | null,
  timedOut: boolean,
  wallSeconds: number,
  how: { launcher: string; rendezvous: RanksInvocation['rendezvous']; world: World },
): RanksInvocation {
  const size = runs.length;
  const nodes = [...new Set(runs.map((r) => r.node))];
  const first = runs[0]!;
  const culprit = failed ? runs.find((r) => r.rank === failed.rank) : undefined;
  const where = (r: RankRun) => `rank ${r.rank} of ${size} on node ${r.node}`;
  const windows = runs.map((r) => r.windowSeconds);
  return {
    exitCode: failed ? (culprit?.exitCode ?? 1) : timedOut ? null : first.exitCode,
    signal: culprit?.signal ?? null,
    timedOut,
    wallSeconds,
    windowSeconds: windows.every((w) => w !== null) ? Math.max(...(windows as number[])) : null,
    lines: first.lines,
    stderrTail: culprit ? `${where(culprit)}: ${culprit.stderrTail}`.trim() : first.stderrTail,
    skipReason: first.skipReason,
    spawnError: first.spawnError,
    stdoutTail: (culprit ?? first).stdoutTail,
    device: first.device,
    leftBehind: null,
    ...(failed ? { who: culprit ? `${where(culprit)}: ${failed.why}` : `a rank: ${failed.why}` } : {}),
    ...(timedOut
      ? {
          who: `ranks still running: ${
            runs
              .filter((r) => r.exitCode === null || r.signal)
              .map((r) => r.rank)
              .join(', ') || 'none'
          }`,
        }
      : {}),
    ranks: runs,
    nodes,
    launcher: how.launcher,
    rendezvous: how.rendezvous,
  };
}
