import path from 'node:path';
import { Command } from 'commander';
import { InputError, errorText } from '../errors.js';
import { DEFAULT_WEIGHTS, parseWeights, type Weights } from '../analysis/index.js';
import { EXPORT_FORMATS, writeReport, type ExportFormat } from '../report/index.js';
import { allSiteFacts } from '../sites/index.js';
import { loadReferences } from '../suite/index.js';
import { loadRecords } from './results-input.js';

export function parseExports(text: string): ExportFormat[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of list)
    if (!EXPORT_FORMATS.includes(f as ExportFormat))
      throw new InputError(`unknown export format '${f}'. Valid export formats: ${EXPORT_FORMATS.join(', ')}`);
  return list as ExportFormat[];
}

export function weightsOption(text: string | undefined): Weights {
  if (!text) return DEFAULT_WEIGHTS;
  try {
    return parseWeights(text);
  } catch (err) {
    throw new InputError(`--weights: ${errorText(err)}`);
  }
}

export function reportCommand(): Command {
  return new Command('report')
    .description('build one self-contained HTML report (and optional CSV/JSON/Markdown exports) from run records')
    .option('-r, --results <dir...>', 'folders of run records', ['results'])
    .option('-o, --out <file>', 'HTML file to write', path.join('reports', 'report.html'))
    .option('--title <text>', 'report title', 'fedbench report')
    .option('--references <file>', 'references file for the acceptance section')
    .option(
      '--workload <id...>',
      'benchmark or case ids to rank sites for (default: every case run at two or more sites)',
    )
    .option(
      '--weights <list>',
      `ranking weights, e.g. time=1,energy=0.5 (default ${Object.entries(DEFAULT_WEIGHTS)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')})`,
    )
    .option('--sites-dir <dir>', 'site profiles whose facts (cost, GPUs per node, grid carbon) feed the ranking')
    .option('--export <formats>', `also write ${EXPORT_FORMATS.join(', ')} beside the HTML (comma-separated)`, '')
    .option('--json', 'print where files were written, as JSON')
    .action(
      async (opts: {
        results: string[];
        out: string;
        title: string;
        references?: string;
        workload?: string[];
        weights?: string;
        sitesDir?: string;
        export: string;
        json?: boolean;
      }) => {
        const exports = parseExports(opts.export);
        const weights = weightsOption(opts.weights);
        const references = opts.references ? loadReferences(opts.references) : undefined;
        const facts = opts.sitesDir ? allSiteFacts(opts.sitesDir) : undefined;
        const records = await loadRecords(opts.results);
        const written = await writeReport(
          records,
          path.resolve(opts.out),
          {
            title: opts.title,
            weights,
            ...(references ? { references } : {}),
            ...(facts ? { facts } : {}),
            ...(opts.workload ? { workloads: opts.workload } : {}),
            sources: [`records read from ${opts.results.join(', ')}`],
          },
          exports,
        );
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify(
              { html: written.html, exports: written.exports, bytes: written.bytes, records: records.length },
              null,
              2,
            )}\n`,
          );
        else
          process.stdout.write(
            `report: ${written.html} (${records.length} records, ${(written.bytes / 1024).toFixed(0)} KiB)\n${Object.values(
              written.exports,
            )
              .map((f) => `export: ${f}\n`)
              .join('')}`,
          );
      },
    );
}
