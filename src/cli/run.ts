import path from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { writeReport } from '../report/index.js';
import { runCases } from '../runner/index.js';
import { loadSuite } from '../suite/index.js';
import { summaryTable } from './format.js';
import { parseEngineFilter, selectCases } from './select.js';
import { intOption } from './options.js';

function defaultCampaign(): string {
  return `local-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a suite on this machine and write one run record per case')
    .option('-s, --suite <name|file>', 'built-in suite name or path to a suite file', 'quick')
    .option('-b, --bench <id...>', 'only these benchmark ids')
    .option('-e, --engine <engine...>', 'only these engines, optionally pinning the backend (e.g. onnxruntime:cpu, tfjs:wasm)')
    .option('-t, --threads <n>', 'threads for engines that take a count (default: all available CPUs)', intOption)
    .option('-o, --out <dir>', 'folder for run records (default: results/<campaign>)')
    .option('--campaign <name>', 'campaign name recorded in every record')
    .option('--report [file]', 'then write an HTML report of this run (default: reports/<campaign>.html)')
    .option('--json', 'print the records as JSON on stdout (no progress, no table)')
    .action(async (opts: { suite: string; bench?: string[]; engine?: string[]; threads?: number; out?: string; campaign?: string; report?: string | boolean; json?: boolean }) => {
      const suite = loadSuite(opts.suite);
      const cases = selectCases(suite.cases, { ...(opts.bench ? { bench: opts.bench } : {}), ...(opts.engine ? { engines: opts.engine.map(parseEngineFilter) } : {}) });
      const campaign = opts.campaign ?? defaultCampaign();
      const out = path.resolve(opts.out ?? path.join('results', campaign));
      const tty = !opts.json && process.stderr.isTTY;
      const bar = tty
        ? new cliProgress.SingleBar(
            { format: '{bar} {value}/{total} cases | {case} | {samples} samples, {elapsed}s', stream: process.stderr, hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(cases.length, 0, { case: '', samples: 0, elapsed: '0.0' });
      const records = await runCases(cases, {
        campaign,
        out,
        ...(opts.threads ? { threads: opts.threads } : {}),
        events: {
          caseStart: (c, i) => bar?.update(i, { case: c.id, samples: 0, elapsed: '0.0' }),
          sample: (_c, n, t) => bar?.update({ samples: n, elapsed: t.toFixed(1) }),
          caseEnd: (r) => {
            if (!bar && !opts.json) process.stderr.write(`${r.status.padEnd(7)} ${r.case}\n`);
          },
        },
      });
      bar?.update(cases.length);
      bar?.stop();
      if (opts.json) {
        process.stdout.write(JSON.stringify(records, null, 2) + '\n');
      } else {
        process.stdout.write(`${summaryTable(records)}\n`);
        const warned = records.filter((r) => r.warnings.length);
        for (const r of warned) for (const w of r.warnings) process.stdout.write(`warning: ${r.case}: ${w}\n`);
        process.stdout.write(`${records.length} record(s) in ${out}\n`);
      }
      if (opts.report) {
        const file = path.resolve(typeof opts.report === 'string' ? opts.report : path.join('reports', `${campaign}.html`));
        const written = await writeReport(records, file, { title: `fedbench ${suite.name} — ${campaign}`, sources: [`suite ${suite.file}`, `records in ${out}`] });
        process.stderr.write(`report: ${written.html}\n`);
      }
      const failed = records.filter((r) => r.status === 'failed');
      if (failed.length) {
        process.stderr.write(`${failed.length} case(s) failed:\n${failed.map((r) => `  ${r.case}: ${r.error}`).join('\n')}\n`);
        process.exitCode = 1;
      }
    });
}
