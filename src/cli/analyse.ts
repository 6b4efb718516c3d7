// compare, validate, recommend: terminal views of the analysis, for scripts and people.
import { Command } from 'commander';
import { accept, aggregate, compareSamples, rankSites, type CaseSeries } from '../analysis/index.js';
import { unknownName } from '../errors.js';
import { median } from '../measure/index.js';
import { num, RANKING_HEAD, rankingCells, weightsUsedText } from '../report/index.js';
import { allSiteFacts } from '../sites/index.js';
import { loadReferences } from '../suite/index.js';
import { caseLabels, caseTable, fitTable, terminalWidth, wrapText } from './format.js';
import { weightsOption } from './report.js';
import { loadRecords } from './results-input.js';

export function compareCommand(): Command {
  return new Command('compare')
    .description('compare two sets of results case by case: B against baseline A (SAME / FASTER / SLOWER / UNCERTAIN)')
    .argument('<a>', 'baseline results folder')
    .argument('<b>', 'candidate results folder')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, opts: { json?: boolean }) => {
      const [ra, rb] = [await loadRecords([a]), await loadRecords([b])];
      const ca = new Map(aggregate(ra).map((c) => [c.case, c]));
      const rows = aggregate(rb)
        .filter((c) => ca.has(c.case))
        .map((c) => {
          const pool = (x: CaseSeries) => x.sites.flatMap((s) => s.samples);
          const sa = pool(ca.get(c.case)!);
          const sb = pool(c);
          if (!sa.length || !sb.length)
            return {
              case: c.case,
              unit: c.metric.unit,
              a: null,
              b: null,
              ratio: null,
              verdict: 'NO DATA',
              reason: 'no successful run on one side',
            };
          const cmp = compareSamples(sb, sa, c.metric.direction);
          return {
            case: c.case,
            unit: c.metric.unit,
            a: median(sa),
            b: median(sb),
            ratio: cmp.ratio,
            verdict: cmp.verdict,
            reason: cmp.reason,
          };
        });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const t = caseTable(
        ['case', 'A median', 'B median', 'unit', 'B/A', 'verdict', 'why'],
        rows.map((r) => [
          r.case,
          num(r.a),
          num(r.b),
          r.unit,
          r.ratio === null ? '—' : r.ratio.toFixed(3),
          r.verdict,
          r.reason,
        ]),
      );
      process.stdout.write(`${t}\n${rows.length} case(s) in both sets\n`);
    });
}

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'acceptance: PASS / FAIL / NO REFERENCE per case and node against a references file; exits 1 when anything fails',
    )
    .requiredOption('--references <file>', 'references file (YAML or JSON)')
    .option('-r, --results <dir...>', 'folders of run records', ['results'])
    .option('--strict', 'also fail when a case has no reference')
    .option('--json', 'machine-readable output')
    .action(async (opts: { references: string; results: string[]; strict?: boolean; json?: boolean }) => {
      const refs = loadReferences(opts.references);
      const rows = accept(await loadRecords(opts.results), refs);
      const failed = rows.filter((r) => r.verdict === 'FAIL' || (opts.strict && r.verdict === 'NO REFERENCE'));
      if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const t = caseTable(
          ['case', 'site', 'node', 'median', 'reference', 'verdict', 'why'],
          rows.map((r) => [
            r.case,
            r.site,
            r.node,
            `${num(r.median)} ${r.unit}`,
            r.reference ? `${num(r.reference.value)} ${r.reference.unit}` : '—',
            r.verdict,
            r.reason,
          ]),
        );
        const count = (v: string) => rows.filter((r) => r.verdict === v).length;
        process.stdout.write(
          `${t}\n${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('NO REFERENCE')} NO REFERENCE\n`,
        );
      }
      if (failed.length) process.exitCode = 1;
    });
}

export function recommendCommand(): Command {
  return new Command('recommend')
    .description('rank sites for a workload by time-to-solution, energy, cost and CO2, with stated weights')
    .requiredOption('--workload <id>', 'benchmark id or case id')
    .option('-r, --results <dir...>', 'folders of run records', ['results'])
    .option('--weights <list>', 'e.g. time=1,energy=0.5,cost=0,co2=0')
    .option('--sites-dir <dir>', 'site profiles whose facts (cost, GPUs per node, grid carbon) feed the ranking')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { workload: string; results: string[]; weights?: string; sitesDir?: string; json?: boolean }) => {
        const weights = weightsOption(opts.weights);
        const facts = opts.sitesDir ? allSiteFacts(opts.sitesDir) : {};
        const records = await loadRecords(opts.results);
        const cases = aggregate(records);
        const chosen = cases.filter((c) => c.case === opts.workload || c.benchmark.id === opts.workload);
        if (!chosen.length)
          throw unknownName('workload', opts.workload, [...new Set(cases.flatMap((c) => [c.benchmark.id]))]);
        const rankings = chosen.map((c) =>
          rankSites(c, facts, weights, records.find((r) => r.case === c.case)?.work?.perCall ?? null),
        );
        if (opts.json) return void process.stdout.write(`${JSON.stringify(rankings, null, 2)}\n`);
        const width = terminalWidth();
        const { label, shared } = caseLabels(rankings.map((r) => r.case));
        for (const s of shared) process.stdout.write(`${wrapText(s, width, '  ')}\n`);
        for (const r of rankings) {
          const t = fitTable(RANKING_HEAD, r.sites.map(rankingCells), width);
          const used = weightsUsedText(r);
          const heading = `${label(r.case)}\nweights used: ${used}${r.excluded.length ? `; left out: ${r.excluded.map((e) => `${e.criterion} (${e.reason})`).join('; ')}` : ''}`;
          process.stdout.write(`${wrapText(heading, width, '  ')}\n${t}\n`);
        }
      },
    );
}
