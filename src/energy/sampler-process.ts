// A sampler runs as a child process that cannot outlive fedbench, however fedbench ends:
// - it runs under a small sh watchdog in its own process group; the watchdog blocks reading a pipe from us
//   and kills the sampler when the pipe closes, which the kernel does when this process dies for any reason
//   (exception, SIGINT, SIGTERM, even SIGKILL). No signal handler is installed here: one would delay
//   Ctrl-C until a blocking workload call returned.
// - stop() kills the group by its PID (SIGTERM, then SIGKILL) and waits for it to exit;
// - an 'exit' hook kills any group still alive when this process exits normally or by an exception.
import { spawn, type ChildProcess } from 'node:child_process';
import { forgetGroup, groupRunning, killGroup, killOnExit, liveGroups } from '../process-group.js';

const WATCHDOG = [
  '"$@" & sampler=$!', // background jobs of a non-interactive sh read /dev/null, not our pipe
  'read -r _ || true', // returns when fedbench closes the pipe or dies
  'kill "$sampler" 2>/dev/null',
  'wait "$sampler"',
].join('\n');

export interface SamplerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** True once the sampler has exited. */
  exited(): boolean;
  /** Kills the sampler's process group by PID and waits until it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command args…` with stdout and stderr going to the given file descriptors. */
export async function startSampler(
  command: string,
  args: string[],
  stdoutFd: number,
  stderrFd: number,
): Promise<SamplerProcess> {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'fedbench-sampler', command, ...args], {
    stdio: ['pipe', stdoutFd, stderrFd],
    detached: true, // own process group: one kill reaches the watchdog and the sampler
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  killOnExit(pid);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => forgetGroup(pid));
  // The pipe must not keep this process alive, nor its 'error' (EPIPE after the watchdog ended) crash it.
  child.stdin?.on('error', () => undefined);
  child.unref();
  return {
    pid,
    child,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(graceMs = 2000) {
      const deadline = Date.now() + graceMs;
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      // the watchdog may exit a moment before the sampler it leads: wait for the whole group (SIGKILL at the grace)
      for (let killed = false; groupRunning(pid); await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() < deadline) continue;
        if (killed) break; // a SIGKILLed process that does not go is the kernel's, not ours to wait for
        killGroup(pid, 'SIGKILL');
        killed = true;
      }
      child.stdin?.destroy();
    },
  };
}

/** PIDs (process groups) of samplers still alive, for tests and diagnostics. */
export function liveSamplerPids(): number[] {
  return liveGroups();
}
