// Child process groups that must not outlive fedbench (energy samplers, a user's benchmarked program): each is
// killed by its PID as a whole group, and any group still registered when this process exits is killed then.
import { readdirSync, readFileSync } from 'node:fs';

const live = new Set<number>();

function killAllOnExit(): void {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  live.clear();
}

/** Signals the whole process group led by `pid`; a group already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Kills the group if fedbench exits while it is registered. */
export function killOnExit(pid: number): void {
  if (!live.size) process.on('exit', killAllOnExit);
  live.add(pid);
}

/** The group ended (or was killed): nothing to do for it at exit. */
export function forgetGroup(pid: number): void {
  live.delete(pid);
  if (!live.size) process.off('exit', killAllOnExit);
}

/** Whether a process of the group led by `pid` is still running (zombies, which no longer run, do not count). */
export function groupRunning(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch {
    return false; // no process left in the group
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc to tell zombies apart: the group still has a process
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pid && rest[0] !== 'Z') return true;
    } catch {
      /* gone meanwhile */
    }
  }
  return false;
}

/** Groups registered and not yet forgotten, for tests and diagnostics. */
export function liveGroups(): number[] {
  return [...live];
}
