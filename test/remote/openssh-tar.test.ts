// The OpenSSH executor's bulk transfers, run here by the local sh, find and tar they run on a site: a campaign's
// files written in one session, and a tree's listing with its small records read back in one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commonFolder,
  READ_TREE_SCRIPT,
  tarOf,
  treeSnapshot,
  WRITE_FILES_SCRIPT,
} from '../../src/remote/openssh-tar.js';

const sh = (script: string, args: string[], input?: Buffer) => {
  const r = spawnSync('sh', ['-c', script, 'fedbench-test', ...args], { input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
};

describe('openssh transfers as tar streams', () => {
  it('writes every file under their common folder, with its mode, leaving no upload folder behind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-tar-write-'));
    const files = [
      { path: `${dir}/camp/job.sh`, data: '#!/bin/sh\necho "$1"\n', mode: 0o755 },
      { path: `${dir}/camp/cases/a b.yaml`, data: Buffer.from('name: a\n') },
      { path: `${dir}/camp/cases/deep/c.yaml`, data: 'name: c\n' },
    ];
    const base = commonFolder(files.map((f) => f.path));
    expect(base).toBe(`${dir}/camp`);
    const r = sh(WRITE_FILES_SCRIPT, [base], await tarOf(files, base));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of files) expect(readFileSync(f.path, 'utf8')).toBe(String(f.data));
    expect(statSync(files[0]!.path).mode & 0o777).toBe(0o755);
    expect(spawnSync('find', [base, '-name', '.fedbench-upload.*']).stdout.toString()).toBe('');
  });

  it('reads the listing of each subfolder and the *.json files under the size limit, nothing for a missing folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-tar-read-'));
    mkdirSync(path.join(dir, 'results', 'task-1'), { recursive: true });
    writeFileSync(path.join(dir, 'results', 'task-1', 'r1.json'), '{"id":"r1"}');
    writeFileSync(path.join(dir, 'results', 'big.json'), 'x'.repeat(200));
    writeFileSync(path.join(dir, 'results', 'log.txt'), 'not a record');
    const r = sh(READ_TREE_SCRIPT, [dir, '100', './results']);
    expect(r.code).toBe(0);
    const snap = await treeSnapshot(r.stdout);
    const names = (p: string) => (snap.entries.get(p) ?? []).map((e) => `${e.kind} ${e.name} ${e.size}`).sort();
    expect(names('results')).toEqual(
      [
        `dir task-1 ${statSync(path.join(dir, 'results', 'task-1')).size}`,
        'file big.json 200',
        'file log.txt 12',
      ].sort(),
    );
    expect(names('results/task-1')).toEqual(['file r1.json 11']);
    expect([...snap.contents.keys()]).toEqual(['results/task-1/r1.json']);
    expect(snap.contents.get('results/task-1/r1.json')!.toString()).toBe('{"id":"r1"}');
    const missing = sh(READ_TREE_SCRIPT, [path.join(dir, 'nope'), '100', './results']);
    expect(missing.code).toBe(0);
    expect(await treeSnapshot(missing.stdout)).toEqual({ entries: new Map(), contents: new Map() });
  });
});
