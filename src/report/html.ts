// The HTML report: one self-contained file (chart libraries inlined, no network), readable on screen and
// printable. Every string from records or configs goes through esc() or jsonForScript().
import { chartLibraries, chartLibraryVersions } from './assets.js';
import {
  benchmarkChart,
  energyChart,
  lossChart,
  peakChart,
  scalingChart,
  variabilityChart,
  type Spec,
} from './charts.js';
import { esc, jsonForScript } from './escape.js';
import { modesText, num, paramsText, pct, range } from '../format.js';
import type { BenchmarkSection, ReportModel } from './model.js';
import { fedbenchVersion } from '../system/index.js';

/** Node-variability charts beyond this many (the widest spreads first) are summarised in a table only. */
const MAX_VARIABILITY_CHARTS = 30;

class Charts {
  private specs: Array<[string, Spec]> = [];
  add(spec: Spec | null): string {
    if (!spec) return '';
    const id = `spec-${this.specs.length}`;
    this.specs.push([id, spec]);
    return `<div class="chart" data-spec="${id}"></div>`;
  }
  scripts(): string {
    return this.specs
      .map(([id, spec]) => `<script type="application/json" id="${id}">${jsonForScript(spec)}</script>`)
      .join('\n');
  }
}

function table(head: string[], rows: string[][], cls = ''): string {
  if (!rows.length) return '';
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function badge(verdict: string | null): string {
  if (!verdict) return '';
  return `<span class="badge b-${esc(verdict.toLowerCase().replace(/\s+/g, '-'))}">${esc(verdict)}</span>`;
}

function statusText(s: Record<string, number>): string {
  return Object.entries(s)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function overview(m: ReportModel): string {
  const rows = m.overview.map((s) => [
    esc(s.site),
    `${s.nodes.length}: ${esc(s.nodes.slice(0, 6).join(', '))}${s.nodes.length > 6 ? ' …' : ''}`,
    esc(s.partitions.join(', ') || '—'),
    esc(s.gpus.join(', ') || 'none'),
    esc(s.cpus.join(', ')),
    esc(s.engines.join(', ')),
    esc(s.campaigns.slice(0, 4).join(', ') + (s.campaigns.length > 4 ? ' …' : '')),
    esc(statusText(s.status)),
    `${esc(s.firstAt.slice(0, 16).replace('T', ' '))} – ${esc(s.lastAt.slice(0, 16).replace('T', ' '))}`,
    `${num(s.measuredSeconds)} s`,
  ]);
  return `<section id="overview"><h2>Overview</h2><p>${m.records} run record(s) from ${m.overview.length} site(s).</p>${table(
    [
      'site',
      'nodes',
      'partitions',
      'GPUs',
      'CPU',
      'engines (backend × threads)',
      'campaigns',
      'records',
      'period (UTC)',
      'time sampled',
    ],
    rows,
  )}</section>`;
}

function benchmarks(m: ReportModel, charts: Charts): string {
  const byBench = new Map<string, BenchmarkSection[]>();
  for (const b of m.benchmarks) byBench.set(b.benchmark, [...(byBench.get(b.benchmark) ?? []), b]);
  const parts: string[] = [];
  for (const [bench, sections] of byBench) {
    const metric = sections[0]!.metric;
    const rows = sections.flatMap((s) =>
      s.rows.map((r) => [
        esc(paramsText(s.params)),
        esc(r.site),
        esc(r.engines.join(', ')),
        String(r.n || '—'),
        `${num(r.median)}${r.modes ? `<br><small>${esc(modesText({ modes: r.modes }))}</small>` : ''}`,
        `${r.ci95 ? `[${num(r.ci95[0])}, ${num(r.ci95[1])}]` : '—'}${r.effectiveN !== null ? `<br><small>phases: worth ${Math.round(r.effectiveN)} samples</small>` : ''}`,
        r.cv === null ? '—' : pct(r.cv),
        badge(r.verdict),
        esc(r.reason),
        esc(statusText(r.status)),
      ]),
    );
    parts.push(
      `<div class="bench"><h3>${esc(bench)} <small>${esc(sections[0]!.workload)} · ${esc(metric.name)} in ${esc(metric.unit)}, ${metric.direction === 'higher' ? 'higher' : 'lower'} is better</small></h3>${charts.add(
        benchmarkChart(bench, sections),
      )}${table(['parameters', 'site', 'engine', 'n', 'median', '95% CI', 'cv', 'verdict', 'why', 'records'], rows)}</div>`,
    );
  }
  return `<section id="benchmarks"><h2>Benchmarks</h2><p>Each site's median with its 95% confidence interval. The verdict compares each site with the best one for that case (Mann-Whitney U, α = 0.05, and a minimum effect of 2%): FASTER/SLOWER only when the difference is both significant and large enough, SAME when it is demonstrably small, UNCERTAIN otherwise. Samples with more than one mode (clusters apart) are marked with each mode's share and median; a comparison where either side has several modes is UNCERTAIN unless the difference exceeds the modes' spread. Samples that come in phases (autocorrelated) count for fewer independent samples, and their interval is widened to match.</p>${parts.join('')}</section>`;
}

function energy(m: ReportModel, charts: Charts): string {
  const rows = m.energy.rows.map((r) => [
    esc(r.case),
    esc(r.site),
    `${num(r.median)} ${esc(r.unit)}`,
    num(r.avgWatts),
    `${num(r.joulesPerCall)} J per ${esc(r.per)}`,
    r.perWatt === null ? '—' : `${num(r.perWatt)} ${esc(r.unit)}/W`,
    r.coverage < 0.9 ? `<span class="bad">${pct(r.coverage, 0)}</span>` : pct(r.coverage, 0),
    esc(r.scope.join(' + ') || '—'),
    esc(r.methods.join(', ')),
  ]);
  const none = m.energy.unavailable.length
    ? `<p>Energy not measured:</p><ul>${m.energy.unavailable
        .slice(0, 20)
        .map((u) => `<li>${esc(u)}</li>`)
        .join('')}</ul>`
    : '';
  return `<section id="energy"><h2>Energy</h2>${rows.length ? charts.add(energyChart(m.energy.rows)) + table(['case', 'site', 'median', 'mean W', 'energy', 'per watt', 'coverage', 'scope', 'method'], rows) : '<p>No record carries an energy measurement.</p>'}${none}</section>`;
}

function peaks(m: ReportModel, charts: Charts): string {
  const rows = m.peaks.rows.map((r) => [
    esc(r.case),
    esc(r.site),
    esc(r.device),
    `${num(r.median)} ${esc(r.unit)}`,
    `${num(r.peak)} (${esc(r.what)})`,
    pct(r.fraction),
    r.intensity === null ? '—' : `${num(r.intensity)} FLOP/B`,
    r.roof === null ? '—' : `${num(r.roof)} (${r.bound}-bound)`,
    r.ofRoof === null ? '—' : pct(r.ofRoof),
    esc(r.source),
  ]);
  const notes = m.peaks.notes.length ? `<ul>${m.peaks.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<section id="peaks"><h2>Kernels against peak</h2>${rows.length ? charts.add(peakChart(m.peaks.rows)) + table(['case', 'site', 'device', 'median', 'peak', 'of peak', 'intensity (ideal: inputs and outputs moved once)', 'roof min(peak, intensity × bandwidth)', 'of roof', 'source'], rows) : '<p>No GPU kernel result with a known peak.</p>'}${notes}</section>`;
}

function scaling(m: ReportModel, charts: Charts): string {
  const byBench = new Map<string, BenchmarkSection[]>();
  for (const b of m.benchmarks) byBench.set(b.benchmark, [...(byBench.get(b.benchmark) ?? []), b]);
  const out: string[] = [];
  for (const [bench, sections] of byBench) {
    const numeric = Object.keys(sections[0]!.params).filter((k) =>
      sections.every((s) => typeof s.params[k] === 'number'),
    );
    for (const p of numeric) {
      const div = charts.add(scalingChart(`${bench} against ${p}`, p, sections));
      if (div) out.push(div);
    }
  }
  return `<section id="scaling"><h2>Scaling</h2>${out.length ? out.join('') : '<p>No benchmark was run at two or more values of a numeric parameter.</p>'}</section>`;
}

function variability(m: ReportModel, charts: Charts): string {
  if (!m.variability.length)
    return `<section id="variability"><h2>Node variability</h2><p>No case was measured on two or more nodes of a site (use a node sweep).</p></section>`;
  const units = new Map(m.benchmarks.map((b) => [b.case, b.metric.unit]));
  const sorted = [...m.variability].sort((a, b) => b.spread - a.spread);
  const rows = sorted.map((v) => {
    const s = v.nodes.filter((n) => n.straggler);
    return [
      esc(v.case),
      esc(v.site),
      String(v.nodes.length),
      pct(v.spread),
      s.length ? `<span class="bad">${esc(s.map((n) => `${n.node} (−${pct(n.deficit)})`).join(', '))}</span>` : 'none',
    ];
  });
  const shown = sorted
    .slice(0, MAX_VARIABILITY_CHARTS)
    .map((v) => charts.add(variabilityChart(v, units.get(v.case) ?? '')));
  return `<section id="variability"><h2>Node variability</h2><p>A straggler is a node whose median is more than 5% worse than the median of the site's node medians.</p>${table(['case', 'site', 'nodes', 'spread (max−min)/median', 'stragglers'], rows)}${shown.join('')}</section>`;
}

function wholeNodeSection(m: ReportModel): string {
  if (!m.wholeNodes.length) return '';
  const rows = m.wholeNodes.flatMap((c) =>
    c.runs.map((r) => [
      esc(c.case),
      esc(c.site),
      esc(r.node),
      esc(r.job),
      `${r.ok} / ${r.gpus}`,
      r.figure === null
        ? `<span class="bad">${esc(r.problem ?? 'no figure')}</span>`
        : `${num(r.figure)} ${esc(c.unit)} <span class="note">(${esc(c.figureName)})</span>`,
      r.perGpu.length
        ? `${num(Math.min(...r.perGpu.map((g) => g.median)))} – ${num(Math.max(...r.perGpu.map((g) => g.median)))} ${esc(c.unit)}`
        : '—',
      r.spread === null ? '—' : pct(r.spread),
      versusTypical(r.figure, c.typical, c.direction),
    ]),
  );
  return `<section id="whole-nodes"><h2>Whole nodes</h2><p>Every GPU of a node ran the case at once (one worker each). A node's figure is the sum of its GPUs' medians for a rate, or its slowest GPU for a time; a node with a GPU missing gets none. "vs typical" compares it with the median node of its site.</p>${table(['case', 'site', 'node', 'job', 'GPUs with a result', 'node figure', 'per-GPU medians', 'GPU spread', 'vs typical'], rows)}</section>`;
}

/** "3.0% better" / "3.0% worse" than the site's typical node, in the metric's direction. */
function versusTypical(figure: number | null, typical: number | null, direction: 'higher' | 'lower'): string {
  if (figure === null || typical === null || typical === 0) return '—';
  const rel = figure / typical - 1;
  if (rel === 0) return 'typical';
  const better = direction === 'higher' ? rel > 0 : rel < 0;
  return better ? `${pct(Math.abs(rel))} better` : `<span class="bad">${pct(Math.abs(rel))} worse</span>`;
}

function enginesSection(m: ReportModel): string {
  if (!m.engines.length) return '';
  const rows = m.engines.flatMap((g) =>
    g.engines.map((e) => [
      esc(g.benchmark),
      esc(paramsText(g.params)),
      esc(g.site),
      esc(e.engine),
      String(e.n),
      `${num(e.median)} ${esc(g.metric.unit)}`,
      badge(e.verdict),
      esc(e.reason),
    ]),
  );
  return `<section id="engines"><h2>Engines compared</h2><p>The same benchmark and parameters on several engines at one site, each against the best (same test as between sites).</p>${table(['benchmark', 'parameters', 'site', 'engine', 'n', 'median', 'verdict', 'why'], rows)}</section>`;
}

function trainingSection(m: ReportModel, charts: Charts): string {
  if (!m.training.length) return '';
  const rows = m.training.map((t) => [
    esc(t.case),
    esc(t.site),
    esc(t.engine),
    `${num(t.median)} ${esc(t.unit)}`,
    t.epochSeconds === null ? '—' : `${num(t.epochSeconds)} s`,
    `${num(t.lossFirst)} → ${num(t.lossLast)}`,
  ]);
  return `<section id="training"><h2>Training</h2><p>Throughput over steady-state steps; a run whose loss did not fall is failed and has no figure.</p>${charts.add(lossChart(m.training))}${table(['case', 'site', 'engine', 'median', 'epoch', 'loss first → last'], rows)}</section>`;
}

function inferenceSection(m: ReportModel): string {
  if (!m.inference.length) return '';
  const rows = m.inference.map((r) => [
    esc(r.case),
    esc(r.site),
    esc(r.engine),
    esc(r.scenario),
    `${num(r.median)} ${esc(r.unit)} (${esc(r.metric)})`,
    num(r.p50Ms),
    num(r.p90Ms),
    num(r.p99Ms),
    r.targetQps === null
      ? '—'
      : `${num(r.targetQps)} QPS, p99 ≤ ${num(r.boundMs)} ms: ${r.boundMet === null ? '?' : r.boundMet ? 'met' : '<span class="bad">missed</span>'}`,
  ]);
  return `<section id="inference"><h2>Inference scenarios</h2><p>After MLPerf: Offline (throughput), SingleStream (p90 latency), Server (Poisson arrivals; latency counted from the scheduled arrival, so queueing is included).</p>${table(['case', 'site', 'engine', 'scenario', 'figure', 'p50 ms', 'p90 ms', 'p99 ms', 'server target'], rows)}</section>`;
}

function acceptance(m: ReportModel): string {
  if (!m.acceptance.given)
    return `<section id="acceptance"><h2>Acceptance</h2><p>No references file was given (<code>--references FILE</code>).</p></section>`;
  const counts = { PASS: 0, FAIL: 0, 'NO REFERENCE': 0 } as Record<string, number>;
  for (const r of m.acceptance.rows) counts[r.verdict]! += 1;
  const rows = m.acceptance.rows.map((r) => [
    esc(r.case),
    esc(r.site),
    esc(r.node),
    `${num(r.median)} ${esc(r.unit)}`,
    r.reference ? `${num(r.reference.value)} ${esc(r.reference.unit)}` : '—',
    r.bounds ? range(r.bounds) : '—',
    badge(r.verdict),
    esc(r.reason),
  ]);
  return `<section id="acceptance"><h2>Acceptance</h2><p>${counts.PASS} PASS, ${counts.FAIL} FAIL, ${counts['NO REFERENCE']} NO REFERENCE.</p>${table(['case', 'site', 'node', 'median', 'reference', 'accepted range', 'verdict', 'why'], rows)}</section>`;
}

function recommendation(m: ReportModel): string {
  const w = Object.entries(m.rankings.weights)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (!m.rankings.rankings.length)
    return `<section id="recommendation"><h2>Recommendation</h2><p>Nothing to rank: no case was measured at two or more sites. Requested weights: ${esc(w)}.</p></section>`;
  const parts = m.rankings.rankings.map((r) => {
    const rows = r.sites.map((s) => [
      String(s.rank),
      esc(s.site),
      num(s.score),
      num(s.values.time),
      num(s.values.energy),
      num(s.values.cost),
      num(s.values.co2),
      badge(s.versusTop),
    ]);
    const excluded = r.excluded.length
      ? `<p class="note">Left out: ${esc(r.excluded.map((e) => `${e.criterion} (${e.reason})`).join('; '))}.</p>`
      : '';
    return `<h3>${esc(r.case)}</h3><p class="note">Weights used: ${esc(
      Object.entries(r.weightsUsed)
        .map(([k, v]) => `${k} ${num(v)}`)
        .join(', ') || 'none',
    )}. ${esc(r.note)}.</p>${excluded}${table(['rank', 'site', 'score', 's per call', 'J per call', 'cost per call', 'g CO2e per call', 'vs top'], rows)}`;
  });
  return `<section id="recommendation"><h2>Recommendation</h2><p>Requested weights: ${esc(w)} (${esc(m.rankings.note)}).</p>${parts.join('')}</section>`;
}

function provenance(m: ReportModel): string {
  const rows = m.provenance.map((p) => [
    esc(p.site),
    esc(p.hosts.slice(0, 8).join(', ') + (p.hosts.length > 8 ? ` … (${p.hosts.length})` : '')),
    esc(p.os.join('; ')),
    esc(p.cpus.join('; ')),
    esc(p.gpus.join('; ') || 'none'),
    esc(p.node.join(', ')),
    esc(p.packages.join('; ')),
    esc(p.env.join(' ') || '—'),
  ]);
  return `<section id="provenance"><h2>Appendix: provenance</h2>${table(['site', 'hosts', 'OS', 'CPU', 'GPU', 'Node.js', 'packages', 'environment'], rows, 'small')}</section>`;
}

function method(m: ReportModel): string {
  const libs = Object.entries(chartLibraryVersions())
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `<section id="method"><h2>Method</h2><ul>
<li>Each case is first checked at a small size against a plain JavaScript reference; a case with wrong numbers is failed and has no figure.</li>
<li>Warm-up runs until the last calls' times are stable; then samples are taken until the half-width of the median's 95% interval is below the target, with minimum samples and time and a time-out. Short calls are grouped so that one sample lasts at least a millisecond; the harness measures its own cost and records it.</li>
<li>Figures of merit are computed from the work each call does (e.g. 2n³ FLOP for GEMM) divided by the measured time. Raw samples are kept in every record.</li>
<li>The 95% interval of a median is distribution-free (order statistics); samples of several records of one case and site are pooled. Comparisons use the Mann-Whitney U test (two-sided, α = 0.05) and a minimum effect of 2%.</li>
<li>Outliers are flagged by the modified z-score on the median absolute deviation (threshold 3.5); they are kept, not removed.</li>
<li>Energy figures state their source and method (counter, sampled, scheduler, estimate); a record without a source says why.</li>
${m.sources.map((s) => `<li>${esc(s)}</li>`).join('\n')}
</ul><p class="note">Generated by fedbench ${esc(fedbenchVersion() ?? '')} on ${esc(m.generatedAt)}; charts by ${esc(libs)}, inlined.</p></section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3 small{font-weight:normal;color:#666}
table{border-collapse:collapse;margin:.6em 0 1.2em;width:100%;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}table.small{font-size:11px}td{overflow-wrap:anywhere}
.badge{display:inline-block;white-space:nowrap;padding:0 6px;border-radius:3px;font-weight:600;font-size:11px;color:#fff;background:#888}
.b-best,.b-pass,.b-faster{background:#2e7d32}.b-slower,.b-fail{background:#c62828}.b-same{background:#1565c0}.b-uncertain,.b-no-reference{background:#9e9e9e}
.bad{color:#c62828}.note{color:#555;font-size:12.5px}.chart{margin:.5em 0;min-height:40px}
nav a{margin-right:1em}
@media print{nav{display:none}section{page-break-inside:auto}.bench,.chart{page-break-inside:avoid}body{max-width:none}}
`;

const RENDER = `
(async () => {
  for (const el of document.querySelectorAll('[data-spec]')) {
    try {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      await vegaEmbed(el, spec, { renderer: 'svg', actions: false });
      el.dataset.rendered = 'true';
    } catch (err) {
      el.dataset.rendered = 'error';
      el.textContent = 'chart could not be drawn: ' + err.message;
      console.error(err);
    }
  }
  document.body.dataset.charts = 'done';
})();
`;

export function renderHtml(m: ReportModel): string {
  const charts = new Charts();
  const sections: Array<[string, string]> = [
    ['overview', overview(m)],
    ['benchmarks', benchmarks(m, charts)],
    ['engines', enginesSection(m)],
    ['training', trainingSection(m, charts)],
    ['inference', inferenceSection(m)],
    ['energy', energy(m, charts)],
    ['peaks', peaks(m, charts)],
    ['scaling', scaling(m, charts)],
    ['variability', variability(m, charts)],
    ['whole-nodes', wholeNodeSection(m)],
    ['acceptance', acceptance(m)],
    ['recommendation', recommendation(m)],
    ['provenance', provenance(m)],
    ['method', method(m)],
  ];
  const shown = sections.filter(([, html]) => html);
  const body = shown.map(([, html]) => html).join('\n');
  const nav = shown.map(([id]) => `<a href="#${id}">${id}</a>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(m.title)}</title><style>${CSS}</style></head>
<body><h1>${esc(m.title)}</h1><p class="note">${m.records} records · generated ${esc(m.generatedAt)}</p><nav>${nav}</nav>
${body}
${charts.scripts()}
<script>${chartLibraries()}</script>
<script>${RENDER}</script>
</body></html>
`;
}
