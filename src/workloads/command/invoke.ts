// One invocation of a user's program: argv only (no shell), its own process group so a time-out kills everything it
// started, stdout read line by line as it comes (figures and window markers), both outputs' tails kept for the record.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { forgetGroup, killGroup, killOnExit } from '../../process-group.js';

/** A program marks its measured window by printing these lines (flushed) on stdout; set-up and teardown are excluded. */
export const BEGIN_MARKER = 'FEDBENCH:BEGIN';
export const END_MARKER = 'FEDBENCH:END';
/** `FEDBENCH:SKIP <reason>`: the program cannot run this case here (no GPU, no such precision): a skipped record. */
export const SKIP_MARKER = 'FEDBENCH:SKIP';
/** `FEDBENCH:DEVICE <text>`: where the program computes (a GPU's name, "cpu, 2 threads"): the record's engine.device. */
export const DEVICE_MARKER = 'FEDBENCH:DEVICE';

const TAIL_BYTES = 4096;
/** Grace between SIGTERM and SIGKILL when an invocation runs out of time. */
const KILL_GRACE_MS = 2000;
/** How long processes the program left behind may hold its stdout or stderr after it exited, twice at most. */
const PIPE_GRACE_MS = 1000;

export interface Invocation {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Wall seconds from spawn to the program's exit (not to the end of processes it left behind). */
  wallSeconds: number;
  /** Seconds between the BEGIN and END markers, when the program printed both. */
  windowSeconds: number | null;
  /** stdout lines between the markers (all lines when there are none), in order. */
  lines: string[];
  /** The last bytes of everything it printed on stdout and stderr. */
  stdoutTail: string;
  stderrTail: string;
  /** The reason the program gave on a FEDBENCH:SKIP line, if it printed one. */
  skipReason: string | null;
  /** What the program's last FEDBENCH:DEVICE line said, if it printed one. */
  device: string | null;
  /** Set when the program could not be started at all (e.g. not found). */
  spawnError: string | null;
  /** Processes it left holding its output after it exited, and what fedbench did with them; null when none. */
  leftBehind: string | null;
}

export interface InvokeOptions {
  cwd: string;
  timeoutSeconds: number;
  /** The program prints BEGIN/END markers around its measured part. */
  markers: boolean;
  /** Called when the measured part begins: at the BEGIN marker, or at spawn without markers. */
  onBegin?: () => unknown;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** True when `done` settles within `ms`, false after `ms`. */
async function within(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([done.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every process an invocation starts inherits this variable (as Jenkins marks a build's processes with BUILD_ID):
 * it finds those that left the program's process group with setsid, which a group kill misses.
 */
const MARK = 'FEDBENCH_INVOCATION';

/** Live processes whose environment carries this invocation's mark (Linux /proc; none where it cannot be read). */
function markedProcesses(mark: string): { pid: number; name: string }[] {
  const needle = Buffer.from(`\0${MARK}=${mark}\0`);
  const out: { pid: number; name: string }[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (env.includes(needle)) out.push({ pid: Number(pid), name: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * Runs the program once. The invocation ends when its main process exits or is killed at its time-out; processes
 * it left behind get PIPE_GRACE_MS to release its output, then its group is killed, and any holder outside the
 * group (started with setsid) is killed by PID where /proc shows it; its output is no longer read either way.
 */
export function invoke(argv: readonly string[], opts: InvokeOptions): Promise<Invocation> {
  return new Promise((resolve) => {
    const t0 = now();
    const lines: string[] = [];
    let begin: number | null = null;
    let end: number | null = null;
    let stdoutTail = '';
    let stderrTail = '';
    let timedOut = false;
    let spawnError: string | null = null;
    let skipReason: string | null = null;
    let device: string | null = null;
    const mark = `${process.pid}-${randomUUID()}`;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, [MARK]: mark },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a time-out kills the program and everything it started
    });
    if (child.pid) killOnExit(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (!child.pid) return;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, opts.timeoutSeconds * 1000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-TAIL_BYTES);
    });
    const out = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    // both pipes closed: nothing holds the program's output any more
    const released = Promise.all([
      new Promise<void>((r) => out.once('close', r)),
      new Promise<void>((r) => child.stderr.once('close', r)),
    ]).then(() => undefined);
    out.on('line', (line) => {
      stdoutTail = `${stdoutTail}${line}\n`.slice(-TAIL_BYTES);
      const trimmed = line.trim();
      if (skipReason === null && trimmed.startsWith(`${SKIP_MARKER} `)) {
        skipReason = trimmed.slice(SKIP_MARKER.length + 1).trim();
        return;
      }
      if (trimmed.startsWith(`${DEVICE_MARKER} `)) {
        device = trimmed.slice(DEVICE_MARKER.length + 1).trim();
        return;
      }
      if (opts.markers && trimmed === BEGIN_MARKER && begin === null) {
        begin = now();
        lines.length = 0; // figures printed during set-up are not measured ones
        void opts.onBegin?.();
        return;
      }
      if (trimmed === END_MARKER && begin !== null && end === null) {
        end = now();
        return;
      }
      if (end === null) lines.push(line); // lines after END (teardown) are not measured
    });

    /** After the main process ended: bound the wait for whatever still holds its output. */
    let settling = false;
    const settle = async (code: number | null, signal: NodeJS.Signals | null, exitedAt: number): Promise<void> => {
      if (settling) return;
      settling = true;
      clearTimeout(timer);
      let leftBehind: string | null = null;
      const pid = child.pid;
      if (pid && !(await within(released, PIPE_GRACE_MS))) {
        // a background process still writes to (or just holds) its stdout or stderr
        killGroup(pid, 'SIGKILL');
        leftBehind = `processes it started held its output after it exited: killed after ${PIPE_GRACE_MS / 1000} s`;
        if (!(await within(released, PIPE_GRACE_MS))) {
          const escaped = markedProcesses(mark);
          for (const p of escaped) killGroupOrProcess(p.pid);
          const names = escaped.map((p) => `${p.pid} (${p.name})`).join(', ');
          leftBehind = escaped.length
            ? `process ${names}, outside its process group (setsid), held its output after it exited: killed, and its output after that not read`
            : 'a process outside its process group (setsid) held its output after it exited and could not be found: left running, its output not read';
          child.stdout.destroy();
          child.stderr.destroy();
        }
      }
      if (pid) {
        // a background process the program left behind would hold the GPU and skew the next sample
        killGroup(pid, 'SIGKILL');
        forgetGroup(pid);
      }
      resolve({
        exitCode: code,
        signal,
        timedOut,
        wallSeconds: exitedAt - t0,
        windowSeconds: begin !== null && end !== null ? end - begin : null,
        lines,
        stdoutTail: stdoutTail.trim(),
        stderrTail: stderrTail.trim(),
        skipReason,
        device,
        spawnError,
        leftBehind,
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code === 'ENOENT' ? `program '${argv[0]}' not found (cwd ${opts.cwd})` : e.message;
      void settle(null, null, now());
    });
    child.on('exit', (code, signal) => void settle(code, signal, now()));
    // Without markers the measured window is the whole invocation: it begins now.
    if (!opts.markers) child.once('spawn', () => void opts.onBegin?.());
  });
}

/** Kills a process that escaped the program's group: its own group when it leads one (setsid), else itself. */
function killGroupOrProcess(pid: number): void {
  let leader = false;
  try {
    // /proc/PID/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so read after its closing paren
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    leader = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pid;
  } catch {
    return; // already gone
  }
  try {
    process.kill(leader ? -pid : pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
