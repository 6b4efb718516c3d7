// The report's tables as Markdown, for tickets and wikis.
import { intervalText, num, paramsText, pct } from '../../format.js';
import {
  PEAK_HEAD,
  peakCells,
  RANKING_HEAD,
  rankingCells,
  redactionText,
  weightsUsedText,
  type ReportModel,
} from '../model.js';

/** Escapes what would break a table cell or start markup; Markdown renderers may still allow HTML, so < and > are entities. */
export function mdCell(value: unknown): string {
  return String(value ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\r\n]+/g, ' ');
}

function table(head: string[], rows: unknown[][]): string {
  if (!rows.length) return '_none_\n';
  return `${[
    `| ${head.map(mdCell).join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n')}\n`;
}

export function toMarkdown(m: ReportModel): string {
  const out = [`# ${mdCell(m.title)}`, '', `${m.records} records, generated ${m.generatedAt}.`, ''];
  if (m.redaction) out.push(`> ${mdCell(redactionText(m.redaction))}`, '');
  out.push('## Overview', '');
  out.push(
    table(
      ['site', 'nodes', 'GPUs', 'CPU', 'records'],
      m.overview.map((s) => [s.site, s.nodes.length, s.gpus.join(', ') || 'none', s.cpus.join(', '), s.records]),
    ),
  );
  out.push('## Benchmarks', '');
  out.push(
    table(
      ['case', 'site', 'engine', 'n', 'median', '95% CI', 'unit', 'verdict', 'why'],
      m.benchmarks.flatMap((b) =>
        b.rows.map((r) => [
          `${b.benchmark} ${paramsText(b.params)}`,
          r.site,
          r.engines.join(', '),
          r.n,
          num(r.median),
          r.ci95 ? intervalText({ ci95: r.ci95, ciMethod: r.ciMethod ?? undefined }) : '—',
          b.metric.unit,
          r.verdict ?? '',
          r.reason,
        ]),
      ),
    ),
  );
  if (m.energy.rows.length) {
    out.push('## Energy', '');
    out.push(
      table(
        ['case', 'site', 'median', 'mean W', 'energy', 'per watt', 'coverage', 'scope', 'method'],
        m.energy.rows.map((r) => [
          r.case,
          r.site,
          `${num(r.median)} ${r.unit}`,
          num(r.avgWatts),
          `${num(r.joulesPerCall)} J per ${r.per}`,
          r.perWatt === null ? '—' : `${num(r.perWatt)} ${r.unit}/W`,
          pct(r.coverage, 0),
          r.scope.join(' + ') || '—',
          r.methods.join(', '),
        ]),
      ),
    );
  }
  if (m.peaks.rows.length) {
    out.push('## Kernels against peak', '');
    out.push(table(PEAK_HEAD, m.peaks.rows.map(peakCells)));
  }
  if (m.wholeNodes.length) {
    out.push('## Whole nodes', '');
    out.push(
      table(
        ['case', 'site', 'node', 'job', 'GPUs with a result', 'node figure', 'unit', 'GPU spread', 'problem'],
        m.wholeNodes.flatMap((c) =>
          c.runs.map((r) => [
            c.case,
            c.site,
            r.node,
            r.job,
            `${r.ok} / ${r.gpus}`,
            r.figure === null ? '—' : `${num(r.figure)} (${c.figureName})`,
            c.unit,
            r.spread === null ? '—' : pct(r.spread),
            r.problem ?? '',
          ]),
        ),
      ),
    );
  }
  if (m.acceptance.given) {
    out.push('## Acceptance', '');
    out.push(
      table(
        ['case', 'site', 'node', 'median', 'reference', 'verdict', 'why'],
        m.acceptance.rows.map((r) => [
          r.case,
          r.site,
          r.node,
          num(r.median),
          r.reference ? `${num(r.reference.value)} ${r.reference.unit}` : '—',
          r.verdict,
          r.reason,
        ]),
      ),
    );
  }
  if (m.rankings.rankings.length) {
    out.push('## Recommendation', '');
    for (const r of m.rankings.rankings) {
      out.push(`### ${mdCell(r.case)}`, '', `Weights used: ${weightsUsedText(r)}.`, '');
      out.push(table(RANKING_HEAD, r.sites.map(rankingCells)));
    }
  }
  return out.join('\n');
}
