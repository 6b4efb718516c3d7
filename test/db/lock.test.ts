// The embedded database's lock file: one process at a time, a clear message when it is busy, and a lock left
// by a dead process taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/db/lock.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-lock-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('database lock', () => {
  it('is exclusive, says who holds it, and is free again once released', async () => {
    const file = path.join(tmp, 'a', 'db.lock');
    const first = await acquireLock(file);
    let told = '';
    await expect(acquireLock(file, { waitMs: 300, onWait: (h) => (told = h) })).rejects.toThrow(
      new RegExp(`the results database is in use \\(lock ${file}, held by process ${process.pid} `),
    );
    expect(told).toMatch(new RegExp(`^${process.pid} ${os.hostname()} `));
    const waiting = acquireLock(file, { waitMs: 5000 });
    setTimeout(() => first.release(), 200);
    const second = await waiting;
    expect(existsSync(file)).toBe(true);
    second.release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock whose process is gone', async () => {
    const file = path.join(tmp, 'b.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(file, `${dead} ${os.hostname()} fedbench db import\n`);
    const lock = await acquireLock(file, { waitMs: 1000 });
    lock.release();
  });

  it('waits for a lock held by a process on another host (it cannot tell whether that one is alive)', async () => {
    const file = path.join(tmp, 'c.lock');
    writeFileSync(file, `1 some-other-host fedbench collect\n`);
    await expect(acquireLock(file, { waitMs: 200 })).rejects.toThrow(/held by process 1 some-other-host/);
  });
});
