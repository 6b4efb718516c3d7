// The fedbench program: its commands, each loaded when it runs.
import { Command } from 'commander';
import { fedbenchVersion } from '../system/index.js';

/**
 * Each subcommand's module, loaded only when that command runs (every one for the full help or an unknown name):
 * a command starts without the others' imports — engines, the report, the server — which cost most of a second.
 */
const COMMANDS: ReadonlyArray<[names: string[], load: () => Promise<Command[]>]> = [
  [['run'], async () => [(await import('./run.js')).runCommand()]],
  [['list'], async () => [(await import('./list.js')).listCommand()]],
  [['info'], async () => [(await import('./info.js')).infoCommand()]],
  [['report'], async () => [(await import('./report.js')).reportCommand()]],
  [
    ['compare', 'validate', 'recommend'],
    async () => {
      const m = await import('./analyse.js');
      return [m.compareCommand(), m.validateCommand(), m.recommendCommand()];
    },
  ],
  [['sites'], async () => [(await import('./sites.js')).sitesCommand()]],
  [['submit'], async () => [(await import('./submit.js')).submitCommand()]],
  [['status'], async () => [(await import('./status.js')).statusCommand()]],
  [['cancel'], async () => [(await import('./cancel.js')).cancelCommand()]],
  [['collect'], async () => [(await import('./collect.js')).collectCommand()]],
  [['deploy'], async () => [(await import('./deploy.js')).deployCommand()]],
  [
    ['db', 'history', 'regressions'],
    async () => {
      const m = await import('./db.js');
      return [m.dbCommand(), m.historyCommand(), m.regressionsCommand()];
    },
  ],
  [['serve'], async () => [(await import('./serve.js')).serveCommand()]],
  [['redact'], async () => [(await import('./redact.js')).redactCommand()]],
];

/** The program with the commands `argv` needs: its command's alone, none for --version, all otherwise. */
export async function program(argv: readonly string[] = []): Promise<Command> {
  const p = new Command('fedbench')
    .description('GPU benchmarking and workload profiling across federated HPC sites')
    .version(fedbenchVersion() ?? 'unknown')
    .showHelpAfterError()
    .exitOverride();
  const first = argv.find((a) => !a.startsWith('-'));
  const only = COMMANDS.find(([names]) => first !== undefined && names.includes(first));
  const versionOnly = first === undefined && argv.some((a) => a === '-V' || a === '--version');
  const wanted = only ? [only] : versionOnly ? [] : COMMANDS;
  for (const [, load] of wanted) for (const cmd of await load()) p.addCommand(cmd.exitOverride());
  return p;
}
