// One invocation of a user's program: argv only (no shell), its own process group so a time-out kills everything it
// started, stdout read line by line as it comes (figures and window markers), stderr's tail kept for the record.
import { spawn } from 'node:child_process';
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

export interface Invocation {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Wall seconds from spawn to exit. */
  wallSeconds: number;
  /** Seconds between the BEGIN and END markers, when the program printed both. */
  windowSeconds: number | null;
  /** stdout lines between the markers (all lines when there are none), in order. */
  lines: string[];
  stderrTail: string;
  /** The reason the program gave on a FEDBENCH:SKIP line, if it printed one. */
  skipReason: string | null;
  /** What the program's last FEDBENCH:DEVICE line said, if it printed one. */
  device: string | null;
  /** Set when the program could not be started at all (e.g. not found). */
  spawnError: string | null;
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

export function invoke(argv: readonly string[], opts: InvokeOptions): Promise<Invocation> {
  return new Promise((resolve) => {
    const t0 = now();
    const lines: string[] = [];
    let begin: number | null = null;
    let end: number | null = null;
    let stderrTail = '';
    let timedOut = false;
    let spawnError: string | null = null;
    let skipReason: string | null = null;
    let device: string | null = null;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
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
    let outClosed = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    out.on('line', (line) => {
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
    const finish = (): void => {
      if (!outClosed || !exited) return;
      clearTimeout(timer);
      if (child.pid) {
        // a background process the program left behind would hold the GPU and skew the next sample
        killGroup(child.pid, 'SIGKILL');
        forgetGroup(child.pid);
      }
      resolve({
        exitCode: exited.code,
        signal: exited.signal,
        timedOut,
        wallSeconds: now() - t0,
        windowSeconds: begin !== null && end !== null ? end - begin : null,
        lines,
        stderrTail: stderrTail.trim(),
        skipReason,
        device,
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
    // Without markers the measured window is the whole invocation: it begins now.
    if (!opts.markers) child.once('spawn', () => void opts.onBegin?.());
  });
}
