// The one quoting function, against real shells: any string, hostile ones included, arrives as one word.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quoteWord, shellCommand } from '../../src/remote/index.js';

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
  fc.constantFrom(
    "'",
    '"',
    '`id`',
    '$(id)',
    '${HOME}',
    '; rm -rf /',
    '&& echo pwned',
    '|cat',
    '\n',
    '\\',
    "'\\''",
    '*',
    '~',
    '-n',
    '--',
    '!',
    '#x',
    '$((1+1))',
    'a b',
    '\t',
    "x'$(id)'y",
  ),
);

/** Runs the command line in `shell` and returns the words printf received. */
function wordsThrough(shell: string, line: string): string[] {
  const out = execFileSync(shell, ['-c', line], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteWord / shellCommand', () => {
  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`every string arrives as exactly one word in ${shell}`, () => {
      fc.assert(
        fc.property(fc.array(hostile, { minLength: 1, maxLength: 6 }), (words) => {
          expect(wordsThrough(shell, shellCommand(['printf', '%s\\0', ...words]))).toEqual(words);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('sets environment and folder without letting values escape', () => {
    const line = shellCommand(['sh', '-c', 'printf "%s\\0%s\\0" "$PWD" "$X"'], {
      cwd: '/tmp',
      env: { X: "$(id) ' ; echo no" },
    });
    expect(wordsThrough('/bin/sh', line)).toEqual(['/tmp', "$(id) ' ; echo no"]);
  });

  it('refuses what a shell cannot carry', () => {
    expect(() => quoteWord('a\0b')).toThrow(/NUL/);
    expect(() => shellCommand(['true'], { env: { 'A;B': 'x' } })).toThrow(/variable name/);
    expect(() => shellCommand([])).toThrow(/empty/);
  });

  it('leaves plain words bare so commands stay readable', () => {
    expect(shellCommand(['sbatch', '--parsable', '/work/job-0.sbatch'])).toBe('sbatch --parsable /work/job-0.sbatch');
    expect(quoteWord('')).toBe("''");
  });
});

describe('command position', () => {
  it('a NAME=value program name stays a command, not an assignment', async () => {
    const { shellCommand } = await import('../../src/remote/quote.js');
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('sh', ['-c', shellCommand(['PATH=/nonexistent', 'true'])], { encoding: 'utf8' });
    // run as a command, the word is not found; as an assignment it would have run `true` with a changed PATH
    expect(r.status).toBe(127);
  });
});
