// The small helpers every layer shares: error text, atomic writes, percentages.
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine, errorText } from '../../src/errors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/files.js';
import { pct } from '../../src/format.js';

describe('errorText', () => {
  it("is an Error's message, anything else as text, trimmed", () => {
    expect(errorText(new Error(' boom \n'))).toBe('boom');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
    expect(errorText(undefined)).toBe('undefined');
    expect(errorLine(new Error('first line\n    at somewhere'))).toBe('first line');
  });
});

describe('writeFileAtomic', () => {
  it('creates the folder, replaces the file whole and leaves no temporary file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fedbench-atomic-'));
    const file = path.join(dir, 'a', 'b', 'x.txt');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, Buffer.from('two'), 0o600);
    expect(await readFile(file, 'utf8')).toBe('two');
    writeFileAtomicSync(path.join(dir, 'c', 'y.txt'), 'three');
    expect(await readFile(path.join(dir, 'c', 'y.txt'), 'utf8')).toBe('three');
    expect(await readdir(path.dirname(file))).toEqual(['x.txt']);
  });

  it('applies the mode given to a new file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fedbench-atomic-'));
    const file = path.join(dir, 'script.sh');
    await writeFileAtomic(file, '#!/bin/sh\n', 0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o700);
  });

  it('fails when the target is a folder and cleans up its temporary file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fedbench-atomic-'));
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow();
    const left = (await readdir(path.dirname(dir))).filter((f) => f.startsWith(`${path.basename(dir)}.`));
    expect(left).toEqual([]);
  });
});

describe('pct', () => {
  it('formats fractions, with one more digit under 10% when asked', () => {
    expect(pct(0.1234)).toBe('12.3%');
    expect(pct(0.5, 0)).toBe('50%');
    expect(pct(0.01234, 'auto')).toBe('1.23%');
    expect(pct(0.1234, 'auto')).toBe('12.3%');
    expect(pct(Infinity, 'auto')).toBe('∞');
    expect(pct(Number.NaN)).toBe('—');
  });
});
