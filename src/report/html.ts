// The HTML report: one self-contained file (chart libraries inlined, no network), readable on screen and
import { createHash } from 'node:crypto';
// printable. Markup is built with the html`…` template, which escapes every interpolated value (strings from
// records or configs included) unless it is markup itself; chart specs enter the page through jsonScript().
import { chartLibraries, chartLibraryVersions } from './assets.js';
import {
  benchmarkChart,
  busbwChart,
  efficiencyChart,
  energyChart,
  historyChart,
  lossChart,
  peakChart,
  scalingChart,
  variabilityChart,
  type Spec,
} from './charts.js';
import { html, joinHtml, jsonScript, trusted, type HtmlValue, type SafeHtml } from './escape.js';
import {
  DEFAULT_CHANGEPOINTS,
  DEFAULT_COMPARE,
  SLOW_PAIR_SHARE,
  STRAGGLER_THRESHOLD,
  type CopyMatrix,
  type NodePairView,
} from '../analysis/index.js';
import { OUTLIER_THRESHOLD } from '../measure/index.js';
import { bytesText, intervalText, modesText, num, paramsText, pct, range } from '../format.js';
import {
  PEAK_HEAD,
  peakCells,
  RANKING_HEAD,
  rankingCells,
  redactionText,
  weightsUsedText,
  type BenchmarkSection,
  type ReportModel,
} from './model.js';

/** The page's peak table explains two of its headings. */
const PEAK_HEAD_EXPLAINED = PEAK_HEAD.map((h) =>
  h === 'intensity'
    ? 'intensity (ideal: inputs and outputs moved once)'
    : h === 'roof'
      ? 'roof min(peak, intensity × bandwidth)'
      : h,
);
import { fedbenchVersion } from '../system/index.js';
import type { Direction } from '../results/index.js';

/** Node-variability charts beyond this many (the widest spreads first) are summarised in a table only. */
const MAX_VARIABILITY_CHARTS = 30;

class Charts {
  private specs: Array<[string, Spec]> = [];
  add(spec: Spec | null): SafeHtml {
    if (!spec) return NOTHING;
    const id = `spec-${this.specs.length}`;
    this.specs.push([id, spec]);
    return html`<div class="chart" data-spec="${id}"></div>`;
  }
  scripts(): SafeHtml {
    return joinHtml(
      this.specs.map(([id, spec]) => jsonScript(id, spec)),
      '\n',
    );
  }
}

const NOTHING = html``;
const isEmpty = (h: SafeHtml) => h.toString() === '';

/** A table of text (escaped) and markup cells; nothing when there are no rows. */
function table(head: string[], rows: HtmlValue[][], cls = ''): SafeHtml {
  if (!rows.length) return NOTHING;
  return html`<table${cls ? html` class="${cls}"` : ''}><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}

function badge(verdict: string | null): SafeHtml {
  if (!verdict) return NOTHING;
  return html`<span class="badge b-${verdict.toLowerCase().replace(/\s+/g, '-')}">${verdict}</span>`;
}

function statusText(s: Record<string, number>): string {
  return Object.entries(s)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function overview(m: ReportModel): SafeHtml {
  const rows = m.overview.map((s) => [
    s.site,
    `${s.nodes.length}: ${s.nodes.slice(0, 6).join(', ')}${s.nodes.length > 6 ? ' …' : ''}`,
    s.partitions.join(', ') || '—',
    s.gpus.join(', ') || 'none',
    s.cpus.join(', '),
    s.engines.join(', '),
    s.campaigns.slice(0, 4).join(', ') + (s.campaigns.length > 4 ? ' …' : ''),
    statusText(s.status),
    `${s.firstAt.slice(0, 16).replace('T', ' ')} – ${s.lastAt.slice(0, 16).replace('T', ' ')}`,
    `${num(s.measuredSeconds)} s`,
  ]);
  return html`<section id="overview"><h2>Overview</h2><p>${m.records} run record(s) from ${m.overview.length} site(s).</p>${table(
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

function benchmarks(m: ReportModel, charts: Charts): SafeHtml {
  const byBench = new Map<string, BenchmarkSection[]>();
  for (const b of m.benchmarks) byBench.set(b.benchmark, [...(byBench.get(b.benchmark) ?? []), b]);
  const parts: SafeHtml[] = [];
  for (const [bench, sections] of byBench) {
    const metric = sections[0]!.metric;
    const rows = sections.flatMap((s) =>
      s.rows.map((r) => [
        paramsText(s.params),
        r.site,
        r.engines.join(', '),
        String(r.n || '—'),
        html`${num(r.median)}${r.modes ? html`<br><small>${modesText({ modes: r.modes })}</small>` : ''}`,
        html`${r.ci95 ? intervalText({ ci95: r.ci95, ciMethod: r.ciMethod ?? undefined }) : '—'}${r.effectiveN !== null ? html`<br><small>phases: worth ${Math.round(r.effectiveN)} samples</small>` : ''}`,
        r.cv === null ? '—' : pct(r.cv),
        badge(r.verdict),
        r.reason,
        statusText(r.status),
      ]),
    );
    parts.push(
      html`<div class="bench"><h3>${bench} <small>${sections[0]!.workload} · ${metric.name} in ${metric.unit}, ${metric.direction === 'higher' ? 'higher' : 'lower'} is better</small></h3>${charts.add(
        benchmarkChart(bench, sections),
      )}${table(['parameters', 'site', 'engine', 'n', 'median', '95% CI', 'cv', 'verdict', 'why', 'records'], rows)}</div>`,
    );
  }
  return html`<section id="benchmarks"><h2>Benchmarks</h2><p>Each site's median with its 95% confidence interval. The verdict compares each site with the best one for that case (Mann-Whitney U, α = ${DEFAULT_COMPARE.alpha}, and a minimum effect of ${pct(DEFAULT_COMPARE.minEffect, 'exact')}): FASTER/SLOWER only when the difference is both significant and large enough, SAME when it is demonstrably small, UNCERTAIN otherwise. Samples with more than one mode (clusters apart) are marked with each mode's share and median; a comparison where either side has several modes is UNCERTAIN unless the difference exceeds the modes' spread. Samples that come in phases (autocorrelated) count for fewer independent samples, and their interval is widened to match. With fewer than 6 samples no pair of samples bounds a 95% interval of the median: the cell then gives their range (smallest and largest), marked “range”.</p>${parts}</section>`;
}

function energy(m: ReportModel, charts: Charts): SafeHtml {
  const rows = m.energy.rows.map((r) => [
    r.case,
    r.site,
    `${num(r.median)} ${r.unit}`,
    num(r.avgWatts),
    `${num(r.joulesPerCall)} J per ${r.per}`,
    r.perWatt === null ? '—' : `${num(r.perWatt)} ${r.unit}/W`,
    r.coverage < 0.9 ? html`<span class="bad">${pct(r.coverage, 0)}</span>` : pct(r.coverage, 0),
    r.scope.join(' + ') || '—',
    r.methods.join(', '),
  ]);
  const none = m.energy.unavailable.length
    ? html`<p>Energy not measured:</p><ul>${m.energy.unavailable.slice(0, 20).map((u) => html`<li>${u}</li>`)}</ul>`
    : '';
  return html`<section id="energy"><h2>Energy</h2>${rows.length ? [charts.add(energyChart(m.energy.rows)), table(['case', 'site', 'median', 'mean W', 'energy', 'per watt', 'coverage', 'scope', 'method'], rows)] : html`<p>No record carries an energy measurement.</p>`}${none}</section>`;
}

function peaks(m: ReportModel, charts: Charts): SafeHtml {
  const rows = m.peaks.rows.map(peakCells);
  const notes = m.peaks.notes.length ? html`<ul>${m.peaks.notes.map((n) => html`<li>${n}</li>`)}</ul>` : '';
  return html`<section id="peaks"><h2>Kernels against peak</h2>${rows.length ? [charts.add(peakChart(m.peaks.rows)), table(PEAK_HEAD_EXPLAINED, rows)] : html`<p>No GPU kernel result with a known peak.</p>`}${notes}</section>`;
}

function scaling(m: ReportModel, charts: Charts): SafeHtml {
  const byBench = new Map<string, BenchmarkSection[]>();
  for (const b of m.benchmarks) byBench.set(b.benchmark, [...(byBench.get(b.benchmark) ?? []), b]);
  const out: SafeHtml[] = [];
  for (const [bench, sections] of byBench) {
    const numeric = Object.keys(sections[0]!.params).filter((k) =>
      sections.every((s) => typeof s.params[k] === 'number'),
    );
    for (const p of numeric) {
      const div = charts.add(scalingChart(`${bench} against ${p}`, p, sections));
      if (!isEmpty(div)) out.push(div);
    }
  }
  return html`<section id="scaling"><h2>Scaling</h2>${out.length ? out : html`<p>No benchmark was run at two or more values of a numeric parameter.</p>`}</section>`;
}

/** A node-pair sweep as a matrix over the nodes: each pair's best busbw and its share of the fastest pair's. */
function nodePairMatrix(v: NodePairView): SafeHtml {
  const cell = (x: string, y: string): HtmlValue => {
    if (x === y) return '—';
    const c = v.pairs.find((p) => (p.a === x && p.b === y) || (p.a === y && p.b === x));
    if (!c) return html`<span class="note">not run</span>`;
    if (c.busbw === null) return html`<span class="bad">failed${c.failed > 1 ? ` (${c.failed} runs)` : ''}</span>`;
    const failedToo = c.failed ? `, ${c.failed} run(s) failed` : '';
    const text = `${num(c.busbw)} GB/s${c.ofBest === null ? '' : ` (${pct(c.ofBest)})`}${failedToo}`;
    return c.slow ? html`<span class="bad">${text} slow</span>` : text;
  };
  const suspects = v.suspects.length
    ? html`<p class="bad">Suspect node${v.suspects.length > 1 ? 's' : ''}: ${v.suspects.map((s) => `${s.node} (all ${s.slowPairs} of its pairs slow or failed${s.ports.length ? `; ${s.ports.join('; ')}` : ''})`).join(', ')} — check its HCA, cable and switch port (fedbench info on it; ibstat).</p>`
    : NOTHING;
  const failures = v.pairs.filter((p) => p.error !== null);
  return html`<h4>${v.site}: ${v.case} (${v.collective}${v.dtype ? ` ${v.dtype}` : ''}, ${v.backend}, ${v.world} ranks on 2 nodes)</h4>${v.note ? html`<p class="note">${v.note}</p>` : NOTHING}${suspects}${table(
    ['', ...v.nodes],
    v.nodes.map((x) => [html`<strong>${x}</strong>`, ...v.nodes.map((y) => cell(x, y))]),
  )}${failures.length ? html`<ul>${failures.map((p) => html`<li>${p.a} and ${p.b}: ${p.error}</li>`)}</ul>` : NOTHING}`;
}

/** A node's copy matrix: rows the source, columns the destination, GB/s per direction. */
function copyMatrix(v: CopyMatrix): SafeHtml {
  const cell = (src: string, dst: string): HtmlValue => {
    if (src === dst) return '—';
    const c = v.cells.find((x) => x.src === src && x.dst === dst);
    if (!c) return html`<span class="note">not run</span>`;
    const text = `${num(c.gbPerSec)} GB/s${c.peer === false ? ' (no peer access)' : ''}`;
    return c.slow ? html`<span class="bad">${text} slow</span>` : text;
  };
  return html`<h4>${v.site}: ${v.node}</h4>${table(
    ['from ↓ to →', ...v.devices],
    v.devices.map((src) => [html`<strong>${src}</strong>`, ...v.devices.map((dst) => cell(src, dst))]),
  )}`;
}

function communication(m: ReportModel, charts: Charts): SafeHtml {
  const { curves, links, scaling, transports, pairs, copies } = m.comm;
  if (!curves.length && !scaling.length && !transports.length && !copies.length) return NOTHING;
  const copyView = copies.length
    ? html`<h3>Copies inside a node</h3><p>Each GPU to every other GPU (peer to peer where the driver allows it) and the host (pinned memory) to and from each GPU, one direction per cell, each copy checked before it is timed (copy_matrix.py; the latest run on each node). A GPU-to-GPU cell below ${pct(SLOW_PAIR_SHARE)} of the node's fastest is slow — a weak or missing NVLink —, and a host cell below ${pct(SLOW_PAIR_SHARE)} of the fastest host cell — a GPU on a slower PCIe path.</p>${copies.map(copyMatrix)}`
    : NOTHING;
  const pairView = pairs.length
    ? html`<h3>Node pairs</h3><p>A collective run on two nodes at a time, on every pair of a site's nodes (<code>fedbench submit --node-pairs</code>): each pair's best busbw over its message sizes (the median over its runs), and its share of the fastest pair's. A pair below ${pct(SLOW_PAIR_SHARE)} of the fastest is slow, and so is one whose every run failed; a node whose every pair (two or more) is slow is the suspect.</p>${pairs.map(nodePairMatrix)}`
    : NOTHING;
  const linkRows = links.map((l) => [
    l.site,
    `${l.collective} ${l.dtype}`,
    `${l.world} on ${l.nodes} node${l.nodes > 1 ? 's' : ''}`,
    `${num(l.bestBusbw)} GB/s at ${bytesText(l.atBytes)}`,
    l.link === null
      ? '—'
      : html`${l.link}${l.peakGbPerSec === null ? '' : `, ${num(l.peakGbPerSec)} GB/s`} <span class="note">(${l.scope === 'interNode' ? 'between nodes' : 'inside a node, per GPU'})</span>`,
    l.share === null ? html`<span class="note">${l.note ?? ''}</span>` : pct(l.share),
  ]);
  const linkSources = [...new Set(links.flatMap((l) => (l.source ? [l.source] : [])))];
  const effRows = scaling.map((r) => [
    r.benchmark,
    r.site,
    r.params,
    `${r.world} on ${r.nodes} node${r.nodes > 1 ? 's' : ''}`,
    `${num(r.median)} ${r.unit}`,
    r.efficiency === null ? '—' : pct(r.efficiency),
    r.commShare === null ? '—' : pct(r.commShare),
  ]);
  const tRows = transports.map((t) => [
    t.site,
    t.case,
    t.backend,
    `${t.world} on ${t.nodes} node${t.nodes > 1 ? 's' : ''}`,
    t.transport.join(', ') || 'not stated',
    t.flag || t.fabric.length
      ? html`<span class="bad">${[t.flag, ...t.fabric].filter(Boolean).join('; ')}</span>`
      : 'none',
  ]);
  return html`<section id="communication"><h2>Communication and scaling</h2><p>Cases run as several ranks. Collectives as nccl-tests reports them: algbw = bytes / time per call, busbw = algbw × 2(n−1)/n for all-reduce, × (n−1)/n for all-gather, reduce-scatter and all-to-all, × 1 for broadcast and send/recv; each size's result is checked before it is timed. Scaling efficiency is T(N) / (N × T(1)) with a fixed batch per rank (weak scaling); the communication share is 1 − (step without the gradient all-reduce) / (step with it). The transport is the library's own report (NCCL's log); a run across nodes over sockets or one rail is flagged, and so is an InfiniBand port that was down or slower than its node's others, on any node of the job whose ranks read their ports (else the node fedbench ran on).</p>${charts.add(busbwChart(curves))}${charts.add(efficiencyChart(scaling))}${links.length ? html`<h3>Against the links</h3><p>An NCCL curve's best busbw as a share of the peak of the link its ranks crossed, per direction, as the site profile declares it (facts.interconnect): per GPU inside a node, the node's rails together between nodes.${linkSources.length ? ` Sources: ${linkSources.join('; ')}.` : ''}</p>${table(['site', 'collective', 'ranks', 'best busbw', 'link peak', 'share of peak'], linkRows)}` : NOTHING}${table(['benchmark', 'site', 'parameters', 'ranks', 'median', 'efficiency', 'communication share'], effRows)}${table(['site', 'case', 'backend', 'ranks', 'transport', 'flag'], tRows)}${pairView}${copyView}</section>`;
}

function variability(m: ReportModel, charts: Charts): SafeHtml {
  if (!m.variability.length)
    return html`<section id="variability"><h2>Node variability</h2><p>No case was measured on two or more nodes of a site (use a node sweep).</p></section>`;
  const units = new Map(m.benchmarks.map((b) => [b.case, b.metric.unit]));
  const sorted = [...m.variability].sort((a, b) => b.spread - a.spread);
  const rows = sorted.map((v) => {
    const s = v.nodes.filter((n) => n.straggler);
    return [
      v.case,
      v.site,
      String(v.nodes.length),
      pct(v.spread),
      s.length ? html`<span class="bad">${s.map((n) => `${n.node} (−${pct(n.deficit)})`).join(', ')}</span>` : 'none',
    ];
  });
  const shown = sorted
    .slice(0, MAX_VARIABILITY_CHARTS)
    .map((v) => charts.add(variabilityChart(v, units.get(v.case) ?? '')));
  return html`<section id="variability"><h2>Node variability</h2><p>A straggler is a node whose median is more than ${pct(STRAGGLER_THRESHOLD, 'exact')} worse than the median of the site's node medians.</p>${table(['case', 'site', 'nodes', 'spread (max−min)/median', 'stragglers'], rows)}${shown}</section>`;
}

function wholeNodeSection(m: ReportModel): SafeHtml {
  if (!m.wholeNodes.length) return NOTHING;
  const rows = m.wholeNodes.flatMap((c) =>
    c.runs.map((r) => [
      c.case,
      c.site,
      r.node,
      r.job,
      `${r.ok} / ${r.gpus}`,
      r.figure === null
        ? html`<span class="bad">${r.problem ?? 'no figure'}</span>`
        : html`${num(r.figure)} ${c.unit} <span class="note">(${c.figureName})</span>`,
      r.perGpu.length
        ? `${num(Math.min(...r.perGpu.map((g) => g.median)))} – ${num(Math.max(...r.perGpu.map((g) => g.median)))} ${c.unit}`
        : '—',
      r.spread === null ? '—' : pct(r.spread),
      versusTypical(r.figure, c.typical, c.direction),
    ]),
  );
  return html`<section id="whole-nodes"><h2>Whole nodes</h2><p>Every GPU of a node ran the case at once (one worker each). A node's figure is the sum of its GPUs' medians for a rate, or its slowest GPU for a time; a node with a GPU missing gets none. "vs typical" compares it with the median node of its site.</p>${table(['case', 'site', 'node', 'job', 'GPUs with a result', 'node figure', 'per-GPU medians', 'GPU spread', 'vs typical'], rows)}</section>`;
}

/** "3.0% better" / "3.0% worse" than the site's typical node, in the metric's direction. */
function versusTypical(figure: number | null, typical: number | null, direction: Direction): HtmlValue {
  if (figure === null || typical === null || typical === 0) return '—';
  const rel = figure / typical - 1;
  if (rel === 0) return 'typical';
  const better = direction === 'higher' ? rel > 0 : rel < 0;
  return better ? `${pct(Math.abs(rel))} better` : html`<span class="bad">${pct(Math.abs(rel))} worse</span>`;
}

function enginesSection(m: ReportModel): SafeHtml {
  if (!m.engines.length) return NOTHING;
  const rows = m.engines.flatMap((g) =>
    g.engines.map((e) => [
      g.benchmark,
      paramsText(g.params),
      g.site,
      e.engine,
      String(e.n),
      `${num(e.median)} ${g.metric.unit}`,
      badge(e.verdict),
      e.caveats.length
        ? html`${e.reason}${e.reason ? '; ' : ''}<strong>not like for like: ${e.caveats.join('; ')}</strong>`
        : e.reason,
    ]),
  );
  return html`<section id="engines"><h2>Engines compared</h2><p>The same benchmark and parameters on several engines at one site, each against the best (same test as between sites). A figure from another device class (CPU against GPU) or from another run is marked: its verdict compares more than the engines.</p>${table(['benchmark', 'parameters', 'site', 'engine', 'n', 'median', 'verdict', 'why'], rows)}</section>`;
}

function trainingSection(m: ReportModel, charts: Charts): SafeHtml {
  if (!m.training.length) return NOTHING;
  const rows = m.training.map((t) => [
    t.case,
    t.site,
    t.engine,
    `${num(t.median)} ${t.unit}`,
    t.epochSeconds === null ? '—' : `${num(t.epochSeconds)} s`,
    `${num(t.lossFirst)} → ${num(t.lossLast)}`,
  ]);
  return html`<section id="training"><h2>Training</h2><p>Throughput over steady-state steps; a run whose loss did not fall is failed and has no figure.</p>${charts.add(lossChart(m.training))}${table(['case', 'site', 'engine', 'median', 'epoch', 'loss first → last'], rows)}</section>`;
}

function inferenceSection(m: ReportModel): SafeHtml {
  if (!m.inference.length) return NOTHING;
  const rows = m.inference.map((r) => [
    r.case,
    r.site,
    r.engine,
    r.scenario,
    `${num(r.median)} ${r.unit} (${r.metric})`,
    num(r.p50Ms),
    num(r.p90Ms),
    num(r.p99Ms),
    r.targetQps === null
      ? '—'
      : html`${num(r.targetQps)} QPS, p99 ≤ ${num(r.boundMs)} ms: ${r.boundMet === null ? '?' : r.boundMet ? 'met' : html`<span class="bad">missed</span>`}`,
  ]);
  return html`<section id="inference"><h2>Inference scenarios</h2><p>After MLPerf: Offline (throughput), SingleStream (p90 latency), Server (Poisson arrivals; latency counted from the scheduled arrival, so queueing is included).</p>${table(['case', 'site', 'engine', 'scenario', 'figure', 'p50 ms', 'p90 ms', 'p99 ms', 'server target'], rows)}</section>`;
}

function acceptance(m: ReportModel): SafeHtml {
  if (!m.acceptance.given)
    return html`<section id="acceptance"><h2>Acceptance</h2><p>No references file was given (<code>--references FILE</code>).</p></section>`;
  const counts = { PASS: 0, FAIL: 0, 'NO REFERENCE': 0 } as Record<string, number>;
  for (const r of m.acceptance.rows) counts[r.verdict]! += 1;
  const rows = m.acceptance.rows.map((r) => [
    r.case,
    r.site,
    r.node,
    `${num(r.median)} ${r.unit}`,
    r.reference ? `${num(r.reference.value)} ${r.reference.unit}` : '—',
    r.bounds ? range(r.bounds) : '—',
    badge(r.verdict),
    r.reason,
  ]);
  return html`<section id="acceptance"><h2>Acceptance</h2><p>${counts.PASS} PASS, ${counts.FAIL} FAIL, ${counts['NO REFERENCE']} NO REFERENCE.</p>${table(['case', 'site', 'node', 'median', 'reference', 'accepted range', 'verdict', 'why'], rows)}</section>`;
}

function recommendation(m: ReportModel): SafeHtml {
  const w = Object.entries(m.rankings.weights)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (!m.rankings.rankings.length)
    return html`<section id="recommendation"><h2>Recommendation</h2><p>Nothing to rank: no case was measured at two or more sites. Requested weights: ${w}.</p></section>`;
  const parts = m.rankings.rankings.map((r) => {
    // the verdict against the top site as a badge
    const rows = r.sites.map((s): HtmlValue[] => [...rankingCells(s).slice(0, -1), badge(s.versusTop)]);
    const excluded = r.excluded.length
      ? html`<p class="note">Left out: ${r.excluded.map((e) => `${e.criterion} (${e.reason})`).join('; ')}.</p>`
      : '';
    return html`<h3>${r.case}</h3><p class="note">Weights used: ${weightsUsedText(r)}. ${r.note}.</p>${excluded}${table(RANKING_HEAD, rows)}`;
  });
  return html`<section id="recommendation"><h2>Recommendation</h2><p>Requested weights: ${w} (${m.rankings.note}).</p>${parts}</section>`;
}

function provenance(m: ReportModel): SafeHtml {
  const rows = m.provenance.map((p) => [
    p.site,
    p.hosts.slice(0, 8).join(', ') + (p.hosts.length > 8 ? ` … (${p.hosts.length})` : ''),
    p.os.join('; '),
    p.cpus.join('; '),
    p.gpus.join('; ') || 'none',
    p.node.join(', '),
    p.packages.join('; '),
    p.env.join(' ') || '—',
  ]);
  return html`<section id="provenance"><h2>Appendix: provenance</h2>${table(['site', 'hosts', 'OS', 'CPU', 'GPU', 'Node.js', 'packages', 'environment'], rows, 'small')}</section>`;
}

function method(m: ReportModel): SafeHtml {
  const libs = Object.entries(chartLibraryVersions())
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  // the built-in workloads' checks and counting; a user's program (workload: command) gets none of them
  const builtIn = m.kinds.some((k) => k !== 'command');
  const command = m.kinds.includes('command');
  /** With users' programs beside them, the built-in workloads' lines say whom they describe. */
  const scoped = (text: string): string =>
    command ? `Built-in workloads: ${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
  return html`<section id="method"><h2>Method</h2><ul>
${
  builtIn
    ? html`<li>${scoped('Each case is first checked at a small size against a plain JavaScript reference; a case with wrong numbers is failed and has no figure.')}</li>
<li>${scoped("Warm-up runs until the last calls' times are stable; then samples are taken until the half-width of the median's 95% interval is below the target, with minimum samples and time and a time-out. Short calls are grouped so that one sample lasts at least a millisecond; the harness measures its own cost and records it.")}</li>
<li>${scoped('Figures of merit are computed from the work each call does (e.g. 2n³ FLOP for GEMM) divided by the measured time.')}</li>`
    : ''
}${
  command
    ? html`<li>Users' programs (workload: command): the figure is the program's own, read from its output by the suite's rule (a regular expression or a JSON path), or its wall time (or that of its FEDBENCH:BEGIN..END window); fedbench runs no reference check and counts no FLOP, since it does not know what the program computes. Warm-up is the suite's fixed count of runs, not checked for stability. Each run is one sample (or each figure it prints, with samples: all) under the same stopping rules and warnings as built-in workloads; processes a run leaves behind are killed when it exits.</li>`
    : ''
}
<li>Raw samples are kept in every record. The 95% interval of a median is distribution-free (order statistics); samples of several records of one case and site are pooled. Comparisons use the Mann-Whitney U test (two-sided, α = ${DEFAULT_COMPARE.alpha}) and a minimum effect of ${pct(DEFAULT_COMPARE.minEffect, 'exact')}.</li>
<li>Outliers are flagged by the modified z-score on the median absolute deviation (threshold ${OUTLIER_THRESHOLD}); they are kept, not removed.</li>
<li>Energy figures state their source and method (counter, sampled, scheduler, estimate); a record without a source says why.</li>
${joinHtml(
  m.sources.map((s) => html`<li>${s}</li>`),
  '\n',
)}
</ul><p class="note">Generated by fedbench ${fedbenchVersion() ?? ''} on ${m.generatedAt}; charts by ${libs}, inlined.</p></section>`;
}

const CSS = trusted(`
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3 small{font-weight:normal;color:#666}
table{border-collapse:collapse;margin:.6em 0 1.2em;width:100%;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}table.small{font-size:11px}td{overflow-wrap:anywhere}
.badge{display:inline-block;white-space:nowrap;padding:0 6px;border-radius:3px;font-weight:600;font-size:11px;color:#fff;background:#888}
.b-best,.b-pass,.b-faster{background:#2e7d32}.b-slower,.b-fail{background:#c62828}.b-same{background:#1565c0}.b-uncertain,.b-no-reference{background:#9e9e9e}
.redacted{border-left:4px solid #1565c0;background:#e3f2fd;padding:.4em .8em}.bad{color:#c62828}.note{color:#555;font-size:12.5px}.chart{margin:.5em 0;min-height:40px}
nav a{margin-right:1em}
@media print{nav{display:none}section{page-break-inside:auto}.bench,.chart{page-break-inside:avoid}body{max-width:none}}
`);

const RENDER = trusted(`
(async () => {
  for (const el of document.querySelectorAll('[data-spec]')) {
    try {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      await vegaEmbed(el, spec, { renderer: 'svg', actions: false, ast: true });
      el.dataset.rendered = 'true';
    } catch (err) {
      el.dataset.rendered = 'error';
      el.textContent = 'chart could not be drawn: ' + err.message;
      console.error(err);
    }
  }
  document.body.dataset.charts = 'done';
})();
`);

function historySection(m: ReportModel, charts: Charts): SafeHtml {
  if (m.history === null) return NOTHING;
  if (!m.history.length)
    return html`<section id="history"><h2>History</h2><p>The results database holds no earlier successful run of the reported cases.</p></section>`;
  const byCase = new Map<string, typeof m.history>();
  for (const s of m.history) byCase.set(s.case, [...(byCase.get(s.case) ?? []), s]);
  const parts = [...byCase].map(([id, series]) => charts.add(historyChart(id, series)));
  const rows = m.history.flatMap((s) =>
    s.changes.map((c) => [
      s.case,
      s.site ?? '—',
      s.node ?? '—',
      c.at.slice(0, 16).replace('T', ' '),
      badge(c.verdict),
      `${num(c.ratio)} [${num(c.ratioRange[0])}, ${num(c.ratioRange[1])}]`,
      c.changed.map((f) => `${f.field}: ${f.before ?? '—'} → ${f.after ?? '—'}`).join('; ') || 'nothing recorded',
    ]),
  );
  const runs = m.history.reduce((n, s) => n + s.points.length, 0);
  return html`<section id="history"><h2>History</h2><p>${runs} run(s) of the reported cases from the results database, one series per site (per node where a site had node sweeps). Change points: E-Divisive means with a permutation test (${DEFAULT_CHANGEPOINTS.permutations} permutations, p ≤ ${DEFAULT_CHANGEPOINTS.pValue}, at least ${DEFAULT_CHANGEPOINTS.minSize} runs a side), each judged by the same test and minimum effect as the comparisons: SLOWER is a regression, FASTER an improvement.</p>${parts}${rows.length ? table(['case', 'site', 'node', 'from', 'verdict', 'after / before [range]', 'what changed'], rows) : html`<p>No change point in any series.</p>`}</section>`;
}

/** The report's sections as markup: the body, its navigation, and the chart specs (JSON script elements, inert). */
export interface ReportBody {
  nav: SafeHtml;
  body: SafeHtml;
  specs: SafeHtml;
}

/** The sections of the report for this model; `fedbench serve` shows the same markup in its results page. */
export function renderReportBody(m: ReportModel, only?: readonly string[]): ReportBody {
  const charts = new Charts();
  const sections: Array<[string, () => SafeHtml]> = [
    ['overview', () => overview(m)],
    ['benchmarks', () => benchmarks(m, charts)],
    ['engines', () => enginesSection(m)],
    ['training', () => trainingSection(m, charts)],
    ['inference', () => inferenceSection(m)],
    ['energy', () => energy(m, charts)],
    ['peaks', () => peaks(m, charts)],
    ['scaling', () => scaling(m, charts)],
    ['communication', () => communication(m, charts)],
    ['variability', () => variability(m, charts)],
    ['whole-nodes', () => wholeNodeSection(m)],
    ['history', () => historySection(m, charts)],
    ['acceptance', () => acceptance(m)],
    ['recommendation', () => recommendation(m)],
    ['provenance', () => provenance(m)],
    ['method', () => method(m)],
  ];
  const shown = sections
    .filter(([id]) => !only || only.includes(id))
    .map(([id, make]): [string, SafeHtml] => [id, make()])
    .filter(([, section]) => !isEmpty(section));
  return {
    body: joinHtml(
      shown.map(([, section]) => section),
      '\n',
    ),
    nav: joinHtml(
      shown.map(([id]) => html`<a href="#${id}">${id}</a>`),
      '',
    ),
    specs: charts.scripts(),
  };
}

/** The report's style sheet (also served by `fedbench serve`). */
export const REPORT_CSS: string = CSS.toString();

const scriptHash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function renderHtml(m: ReportModel): string {
  const { nav, body, specs } = renderReportBody(m);
  // the page's two scripts by their hashes, no eval (vega's expression interpreter): a script injected into the
  // page, or a chart expression that compiles code, does not run
  const scripts = `${scriptHash(chartLibraries())} ${scriptHash(RENDER.toString())}`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${trusted(scripts)}; style-src 'unsafe-inline'; img-src data:">
<title>${m.title}</title><style>${CSS}</style></head>
<body><h1>${m.title}</h1><p class="note">${m.records} records · generated ${m.generatedAt}</p>${m.redaction ? html`<p class="redacted" id="redaction">${redactionText(m.redaction)}</p>` : ''}<nav>${nav}</nav>
${body}
${specs}
<script>${trusted(chartLibraries())}</script>
<script>${RENDER}</script>
</body></html>
`.toString();
}
