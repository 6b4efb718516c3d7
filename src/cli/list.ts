import { Command } from 'commander';
import { builtinSuites, loadSuite } from '../suite/index.js';
import { metricSummary, WORKLOADS } from '../workloads/index.js';

export function listCommand(): Command {
  return new Command('list')
    .description('list built-in suites, or the cases of one suite, and the workloads')
    .option('-s, --suite <name|file>', 'list the cases of this suite')
    .option('--json', 'machine-readable output')
    .action((opts: { suite?: string; json?: boolean }) => {
      if (opts.suite) {
        const suite = loadSuite(opts.suite);
        const cases = suite.cases.map((c) => ({
          id: c.id,
          benchmark: c.benchmark.id,
          workload: c.workload.id,
          engine: c.engine,
          backend: c.backend,
          params: c.params,
        }));
        if (opts.json)
          return void process.stdout.write(
            `${JSON.stringify({ suite: suite.name, file: suite.file, cases }, null, 2)}\n`,
          );
        process.stdout.write(
          `${suite.name} (${suite.file}): ${cases.length} case(s)\n${cases.map((c) => `  ${c.id}`).join('\n')}\n`,
        );
        return;
      }
      const suites = builtinSuites().map((name) => {
        const s = loadSuite(name);
        return { name, description: s.description ?? '', cases: s.cases.length };
      });
      const workloads = Object.values(WORKLOADS).map((w) => ({
        id: w.id,
        kind: w.kind,
        description: w.description,
        metric: metricSummary(w),
      }));
      // Not in the registry: each command benchmark builds its own workload from the suite's fields.
      workloads.push({
        id: 'command',
        kind: 'command',
        description:
          "a user's program: argv with {param} placeholders, its figure read from its output (README: Your own program)",
        metric: 'the suite states it, or wall time (s)',
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify({ suites, workloads }, null, 2)}\n`);
      process.stdout.write(
        'suites:\n' +
          suites
            .map((s) => `  ${s.name.padEnd(12)} ${String(s.cases).padStart(3)} cases  ${s.description}`)
            .join('\n') +
          '\n',
      );
      process.stdout.write(
        'workloads:\n' +
          workloads
            .map((w) => `  ${w.id.padEnd(12)} ${w.kind.padEnd(8)} ${w.metric.padEnd(8)} ${w.description}`)
            .join('\n') +
          '\n',
      );
    });
}
