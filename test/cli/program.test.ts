// The program loads only the command that runs (each command's imports cost a fresh process most of a second).
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/program.js';

const names = async (argv: string[]) => (await program(argv)).commands.map((c) => c.name());

describe('fedbench program', () => {
  it('has every command for the full help or an unknown name, one module for a named command, none for --version', async () => {
    const all = await names([]);
    expect(all).toEqual([
      'run',
      'list',
      'info',
      'report',
      'compare',
      'validate',
      'recommend',
      'sites',
      'submit',
      'status',
      'cancel',
      'collect',
      'deploy',
      'db',
      'history',
      'regressions',
      'serve',
      'redact',
    ]);
    expect(await names(['nosuch'])).toEqual(all);
    expect(await names(['help', 'history'])).toEqual(all);
    expect(await names(['history', '--case', 'x'])).toEqual(['db', 'history', 'regressions']);
    expect(await names(['--version'])).toEqual([]);
  });
});
