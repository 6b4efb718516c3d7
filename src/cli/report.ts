import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { InputError, errorText } from '../errors.js';
import { DEFAULT_WEIGHTS, historySeries, parseWeights, type HistorySeries, type Weights } from '../analysis/index.js';
import { analyseWith, keptChanges, keptChangesMap } from '../analysis/kept-regressions.js';
import { historyPoints, type ResultsDb } from '../db/index.js';
import type { RunRecord } from '../results/index.js';
import { EXPORT_FORMATS, writeReport, type ExportFormat } from '../report/index.js';
import { redactForSharing } from '../share/index.js';
import { allSiteFacts } from '../sites/index.js';
import { loadReferences } from '../suite/index.js';
import { DB_HELP, openUserDb, sinceOption } from './db.js';
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

async function recordsFromDb(
  db: ResultsDb,
  campaign: string[] | undefined,
  since: Date | undefined,
): Promise<RunRecord[]> {
  const records = await db.records({ ...(campaign ? { campaign } : {}), ...(since ? { since } : {}) });
  if (!records.length)
    throw new InputError(
      `no run records in the results database${campaign ? ` for campaign ${campaign.join(', ')}` : ''}${since ? ` since ${since.toISOString()}` : ''} ('fedbench db status' says what it holds)`,
    );
  return records;
}

/** Every series of the reported cases, from the database (each case's whole history, all sites), with the change
 * points kept for them (found when their records arrived). */
async function historyOf(db: ResultsDb, records: readonly RunRecord[]): Promise<HistorySeries[]> {
  const cases = [...new Set(records.map((r) => r.case))].sort();
  const series: HistorySeries[] = [];
  for (const c of cases) {
    const kept = keptChangesMap(await keptChanges(db, { bench: c }, analyseWith(historyPoints)));
    series.push(...historySeries(await db.history({ bench: c }), kept));
  }
  return series;
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
    .option(
      '--redact',
      'share outside the centre: every field kept, replaced by a label (node-1, user-1, job-1, …) or dropped as README says; the values replaced are listed in NAME.replaced.json beside the report, to keep',
    )
    .option('--redact-also <value...>', 'with --redact: more values to replace, e.g. project or account ids')
    .option('--export <formats>', `also write ${EXPORT_FORMATS.join(', ')} beside the HTML (comma-separated)`, '')
    .option('--campaign <id...>', "read these campaigns' records from the results database instead of folders")
    .option('--since <date>', 'read the records started on or after this date from the results database')
    .option('--history', "add each reported case's history and change points from the results database")
    .option('--db <url|dir>', DB_HELP)
    .option('--json', 'print where files were written, as JSON')
    .action(async function (
      this: Command,
      opts: {
        results: string[];
        out: string;
        title: string;
        references?: string;
        workload?: string[];
        weights?: string;
        sitesDir?: string;
        export: string;
        campaign?: string[];
        since?: string;
        history?: boolean;
        db?: string;
        redact?: boolean;
        redactAlso?: string[];
        json?: boolean;
      },
    ) {
      if (opts.redactAlso && !opts.redact) throw new InputError('--redact-also needs --redact');
      const exports = parseExports(opts.export);
      const weights = weightsOption(opts.weights);
      const references = opts.references ? loadReferences(opts.references) : undefined;
      const warn = (line: string) => process.stderr.write(`fedbench: ${line}\n`);
      const facts = opts.sitesDir
        ? allSiteFacts(opts.sitesDir, (name, err) =>
            warn(`warning: site profile ${name} left out of the report's facts: ${errorText(err)}`),
          )
        : undefined;
      const since = sinceOption(opts.since);
      const fromDb = Boolean(opts.campaign || since);
      if (fromDb && this.getOptionValueSource('results') === 'cli')
        throw new InputError('give either --results (folders) or --campaign/--since (the results database), not both');
      let records: RunRecord[];
      let history: HistorySeries[] | undefined;
      let sources: string[];
      let title = opts.title;
      if (fromDb || opts.history) {
        const db = await openUserDb(opts.db, 'small');
        try {
          records = fromDb ? await recordsFromDb(db, opts.campaign, since) : await loadRecords(opts.results);
          if (opts.history) history = await historyOf(db, records);
          sources = [
            fromDb
              ? `records read from the results database (${db.target.kind === 'embedded' ? 'embedded' : 'PostgreSQL server'})${opts.campaign ? `, campaign ${opts.campaign.join(', ')}` : ''}${since ? `, started since ${since.toISOString()}` : ''}`
              : `records read from ${opts.results.join(', ')}`,
            ...(history ? ['history from the results database'] : []),
          ];
        } finally {
          await db.close();
        }
      } else {
        records = await loadRecords(opts.results);
        sources = [`records read from ${opts.results.join(', ')}`];
      }
      // before anything is built from them: every view of the report (HTML, exports) sees labels only
      let workloads = opts.workload;
      const shared = opts.redact
        ? redactForSharing(
            records,
            { title: opts.title, sources, history, workloads },
            opts.sitesDir,
            opts.redactAlso,
            warn,
          )
        : null;
      if (shared)
        ({
          records,
          extra: { title, sources, history, workloads },
        } = shared);
      const written = await writeReport(
        records,
        path.resolve(opts.out),
        {
          title,
          weights,
          ...(references ? { references } : {}),
          ...(facts ? { facts } : {}),
          ...(workloads ? { workloads } : {}),
          ...(history ? { history } : {}),
          sources,
          ...(shared ? { redaction: shared.summary } : {}),
        },
        exports,
      );
      // the proof of what was replaced stays at the centre: beside the report, never inside it
      const proof = shared ? written.html.replace(/(\.html?)?$/i, '.replaced.json') : undefined;
      if (shared && proof)
        await writeFile(
          proof,
          `${JSON.stringify({ note: 'values replaced in the redacted report: keep at the centre, never share', values: shared.replaced }, null, 2)}\n`,
          { mode: 0o600 },
        );
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify(
            {
              html: written.html,
              exports: written.exports,
              bytes: written.bytes,
              records: records.length,
              redacted: Boolean(shared),
              ...(proof ? { replaced: proof } : {}),
            },
            null,
            2,
          )}\n`,
        );
      else
        process.stdout.write(
          `report: ${written.html} (${records.length} records${shared ? ', redacted' : ''}, ${(written.bytes / 1024).toFixed(0)} KiB)\n${Object.values(
            written.exports,
          )
            .map((f) => `export: ${f}\n`)
            .join('')}${proof ? `replaced values (keep at the centre, do not share): ${proof}\n` : ''}`,
        );
    });
}
