#!/usr/bin/env node
// fedbench command line. Exit codes: 0 ok, 1 a check or a case failed, 2 bad input or usage, 130/143 run interrupted.
import { CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { program } from './program.js';

export async function main(argv: string[]): Promise<number> {
  try {
    await (await program(argv.slice(2))).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`fedbench: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`fedbench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
