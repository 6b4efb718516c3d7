// The embedded database is one process's at a time (PGlite runs Postgres inside the process that opened the
// folder; a second process opening it would corrupt it). An exclusive lock file beside the folder serialises
// them: the second `collect` or `db import` waits, saying for whom, then proceeds. A lock left by a process that
// died (same host, its PID gone) is taken over.
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LockOptions {
  /** Give up after this many milliseconds (default: $FEDBENCH_DB_LOCK_WAIT seconds, else 120 s). */
  waitMs?: number;
  /** Told once when the lock is busy. */
  onWait?: (holder: string) => void;
}

export interface Lock {
  release(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder's line ("pid host command"), or null when the file is gone. */
function holderOf(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function stale(holder: string): boolean {
  const [pid, host] = holder.split(' ');
  return host === os.hostname() && Number.isInteger(Number(pid)) && !alive(Number(pid));
}

export async function acquireLock(file: string, opts: LockOptions = {}): Promise<Lock> {
  const envWait = Number(process.env.FEDBENCH_DB_LOCK_WAIT);
  const waitMs = opts.waitMs ?? (Number.isFinite(envWait) && envWait >= 0 ? envWait * 1000 : 120_000);
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid} ${os.hostname()} ${process.argv.slice(1).join(' ')}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(file);
    if (holder === null) continue; // released between our attempt and the read
    if (holder && stale(holder)) {
      // Moved aside first, so that of several waiters one removes it; a live lock moved aside by mistake (taken
      // between our read and the move) is put back.
      const aside = `${file}.stale.${process.pid}`;
      try {
        renameSync(file, aside);
        if (holderOf(aside) !== holder) linkSync(aside, file);
        unlinkSync(aside);
      } catch {
        /* someone else took it over */
      }
      continue;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `the results database is in use (lock ${file}, held by process ${holder || '?'}); ` +
          'wait for it to finish, or set FEDBENCH_DB_LOCK_WAIT (seconds) to wait longer',
      );
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    await sleep(50 + Math.random() * 100);
  }
  const mine = holderOf(file);
  const release = () => {
    if (holderOf(file) === mine) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  return { release };
}
