#!/usr/bin/env node
// fedbench command line. Exit codes: 0 ok, 1 a check or a case failed, 2 bad input or usage, 130/143 run interrupted.
import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { fedbenchVersion } from '../system/index.js';
import { infoCommand } from './info.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';
import { reportCommand } from './report.js';
import { compareCommand, recommendCommand, validateCommand } from './analyse.js';
import { sitesCommand } from './sites.js';
import { submitCommand } from './submit.js';
import { statusCommand } from './status.js';
import { cancelCommand } from './cancel.js';
import { collectCommand } from './collect.js';
import { deployCommand } from './deploy.js';
import { dbCommand, historyCommand, regressionsCommand } from './db.js';
import { serveCommand } from './serve.js';
import { redactCommand } from './redact.js';

export function program(): Command {
  const p = new Command('fedbench')
    .description('GPU benchmarking and workload profiling across federated HPC sites')
    .version(fedbenchVersion() ?? 'unknown')
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of [
    runCommand(),
    listCommand(),
    infoCommand(),
    reportCommand(),
    compareCommand(),
    validateCommand(),
    recommendCommand(),
    sitesCommand(),
    submitCommand(),
    statusCommand(),
    cancelCommand(),
    collectCommand(),
    deployCommand(),
    dbCommand(),
    historyCommand(),
    regressionsCommand(),
    serveCommand(),
    redactCommand(),
  ])
    p.addCommand(cmd.exitOverride());
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
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
