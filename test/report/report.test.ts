import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv, writeReport } from '../../src/report/index.js';
import { csvCell } from '../../src/report/export/csv.js';
import { esc, jsonForScript } from '../../src/report/escape.js';
import { referencesFileSchema } from '../../src/suite/index.js';
import { ROOT } from '../cli/run-cli.js';
import { launch, openReport } from './browser.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { historySeries, type RunPoint } from '../../src/analysis/index.js';

/** A constructed history (not measured): 20 daily runs per site; meluxina 15% slower from day 11, new driver. */
function history() {
  const points: RunPoint[] = [];
  for (const site of ['meluxina', HOSTILE])
    for (let day = 1; day <= 20; day++) {
      const median = (site === 'meluxina' && day > 10 ? 85 : 100) * (1 + 0.003 * Math.sin(day * 7));
      points.push({
        id: `${site}-${day}`,
        campaign: `night-${day}`,
        case: 'gemm/onnxruntime/n=4096,dtype=fp32',
        site,
        node: null,
        seriesNode: null,
        startedAt: new Date(Date.UTC(2026, 5, day)).toISOString(),
        median,
        ci95: [median * 0.99, median * 1.01],
        unit: 'GFLOP/s',
        direction: 'higher',
        gpu: 'NVIDIA A100-SXM4-40GB',
        driver: site === 'meluxina' && day > 10 ? '560.28.03' : '550.54.15',
        cuda: '12.4',
        backend: 'cuda',
        engineVersion: '1.20.0',
      });
    }
  return historySeries(points);
}

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const HOSTILE = `<script>alert("site")</script><img src=x onerror=alert(1)>`;

function federation() {
  const records = [];
  const sites = [
    { site: 'meluxina', gpu: 'NVIDIA A100-SXM4-40GB', speed: 1.0, watts: 250 },
    { site: 'vega', gpu: 'NVIDIA A100-SXM4-40GB', speed: 0.9, watts: 240 },
    { site: HOSTILE, gpu: 'NVIDIA A100-PCIE-40GB', speed: 0.8, watts: 0 },
  ];
  let seed = 1;
  for (const s of sites)
    for (const n of [1024, 2048, 4096])
      for (const node of [1, 2, 3])
        records.push(
          syntheticRecord({
            site: s.site,
            node: `${s.site.slice(0, 8)}-gpu0${node}`,
            params: { n, dtype: 'fp32' },
            median: 15000 * s.speed * (n / 4096) ** 0.1 * (s.site === 'vega' && node === 3 ? 0.8 : 1),
            gpu: s.gpu,
            ...(s.watts ? { watts: s.watts } : {}),
            seed: seed++,
          }),
        );
  records.push(
    syntheticRecord({
      site: 'vega',
      node: 'vega-gpu01',
      params: { n: 8192, dtype: 'fp32' },
      median: 0,
      status: 'failed',
      error: '</script><script>alert("error")</script>',
      gpu: 'NVIDIA A100-SXM4-40GB',
    }),
  );
  // whole-node runs at meluxina: four GPUs per node, one of node 02's failed with a hostile message
  for (const [job, node] of [
    ['101', 'mel-n01'],
    ['102', 'mel-n02'],
  ] as const)
    for (const gpu of [0, 1, 2, 3]) {
      const failed = node === 'mel-n02' && gpu === 3;
      const r = syntheticRecord({
        site: 'meluxina',
        benchmark: 'gemm-node',
        node,
        params: { n: 8192, dtype: 'fp32' },
        median: failed ? 0 : 15000 + 100 * gpu,
        gpu: 'NVIDIA A100-SXM4-40GB',
        seed: seed++,
        ...(failed ? { status: 'failed' as const, error: '<img src=x onerror=alert("gpu")>' } : {}),
      });
      records.push({ ...r, slurm: { ...r.slurm, jobId: job, arrayTaskId: 0, gpuWorker: gpu, workers: 4 } });
    }
  return records;
}

describe('escaping', () => {
  it('escapes text and keeps embedded JSON inside its script element', () => {
    expect(esc(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
    const j = jsonForScript({ s: '</script><script>alert(1)</script>\u2028' });
    expect(j).not.toMatch(/<\/script/i);
    expect(JSON.parse(j)).toEqual({ s: '</script><script>alert(1)</script>\u2028' });
  });

  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-3.5)).toBe('-3.5');
  });
});

describe('HTML report in a real browser', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launch();
    dir = await mkdtemp(path.join(os.tmpdir(), 'fb-report-'));
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => browser?.close());

  it('renders every section and chart offline, with hostile strings shown as text', async () => {
    const records = federation();
    const references = referencesFileSchema.parse({
      references: [{ benchmark: 'gemm', device: 'A100', value: 14000, unit: 'GFLOP/s', tolerance: { rel: 0.1 } }],
    }).references;
    const file = path.join(dir, 'federation.html');
    // vega's profile declares its peaks (they take precedence); the other sites' come from the datasheet
    const facts = {
      vega: {
        gpusPerNode: 4,
        peaks: {
          label: 'A100 (vega profile)',
          tflops: { fp32: 20 },
          bandwidthGBs: 1555,
          source: 'site profile vega (facts.peak)',
        },
      },
    };
    const written = await writeReport(
      records,
      file,
      { title: `Federation <b>${HOSTILE}</b>`, references, workloads: ['gemm'], facts, history: history() },
      ['csv', 'json', 'md'],
    );
    const check = await openReport(browser, file, path.join(ARTIFACTS, 'report-federation.png'));

    // scripts run by their hashes only, and nothing is compiled from strings: the charts below drew under that
    const pageText = await readFile(file, 'utf8');
    const scriptSrc = /http-equiv="Content-Security-Policy" content="[^"]*script-src ([^;"]+)/.exec(pageText)![1]!;
    expect(scriptSrc).not.toMatch(/unsafe/);
    const inline = [...pageText.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline.length).toBe(2);
    for (const text of inline)
      expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(text).digest('base64')}'`);
    expect(check.errors).toEqual([]);
    expect(check.dialogs).toEqual([]); // no injected script ran
    expect(check.requests).toEqual([]); // nothing fetched from the network
    expect(check.charts.length).toBeGreaterThanOrEqual(5);
    for (const c of check.charts) {
      expect(c.rendered, c.id).toBe('true');
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(20);
    }
    for (const heading of [
      'Overview',
      'Benchmarks',
      'Energy',
      'Kernels against peak',
      'Scaling',
      'Node variability',
      'Whole nodes',
      'History',
      'Acceptance',
      'Recommendation',
      'Appendix: provenance',
      'Method',
    ]) {
      expect(check.text).toContain(heading);
    }
    // the sections have content, not only their headings
    expect(check.text).toMatch(
      /meluxina\s+A100 40 GB\s+\S+ GFLOP\/s\s+19 ?500 \(FP32 \(non-tensor\) peak\)\s+\d+\.\d%\s+(—\s+){3}NVIDIA A100 datasheet/,
    ); // synthetic records carry no memory traffic: no roofline
    expect(check.text).toContain('site profile vega (facts.peak)');
    expect(check.text).toMatch(/meluxina\s+—\s+2026-06-11 00:00\s+SLOWER\s+0\.85\d* \[/);
    expect(check.text).toContain('driver: 550.54.15 → 560.28.03');
    expect(check.text).not.toContain('No benchmark was run at two or more values');
    expect(check.text).toContain(HOSTILE); // shown literally
    expect(check.text).toContain('</script><script>alert("error")</script>');
    expect(check.text).toMatch(/vega-gpu03 \(−\d+\.\d%\)/); // the straggler is named
    expect(check.text).toMatch(/mel-n01\s+101_0\s+4 \/ 4\s+60[.,]?\d* ?k? ?GFLOP\/s/); // the node's total over its 4 GPUs
    expect(check.text).toContain(
      '3 of 4 GPUs gave a result (failed: <img src=x onerror=alert("gpu")>): no node figure',
    );
    expect(check.text).toMatch(/PASS/);
    expect(check.text).toMatch(/FAIL/);

    // column headers are marked as such for screen readers (the report is shared outside the centre)
    const page = await readFile(file, 'utf8');
    expect(page).toMatch(/<th scope="col">/);
    expect(page).not.toMatch(/<th\b(?![^>]*\bscope=)[^>]*>/);

    const csv = await readFile(written.exports.csv!, 'utf8');
    expect(csv.split('\n').length - 2).toBe(records.length);
    const model = JSON.parse(await readFile(written.exports.json!, 'utf8'));
    expect(model.rankings.rankings[0].sites[0].site).toBe('meluxina');
    const md = await readFile(written.exports.md!, 'utf8');
    expect(md).toContain('&lt;script&gt;');
    for (const heading of [
      '## Benchmarks',
      '## Energy',
      '## Kernels against peak',
      '## Whole nodes',
      '## Acceptance',
      '## Recommendation',
    ])
      expect(md).toContain(heading);
    expect(md).toMatch(
      /\| vega \| A100 \(vega profile\) \| .* \| site profile vega \(facts\.peak\); figures it does not declare from the NVIDIA A100 datasheet \|/,
    );
  });

  it('renders a report of a single local run', async () => {
    const file = path.join(dir, 'local.html');
    await writeReport(
      [
        syntheticRecord({ site: 'local:vm', median: 100, backend: 'cpu' }),
        syntheticRecord({
          site: 'local:vm',
          benchmark: 'train-mlp',
          kind: 'training',
          median: 5000,
          backend: 'wasm',
          details: {
            epochSeconds: 0.2,
            lossTrajectory: [
              [1, 2.3],
              [10, 1.2],
              [20, 0.4],
            ],
          },
        }),
        syntheticRecord({
          site: 'local:vm',
          benchmark: 'infer-cnn',
          kind: 'inference',
          median: 40,
          backend: 'cpu',
          details: {
            scenario: 'server',
            targetQps: 40,
            p99BoundMs: 15,
            meetsBound: false,
            p50Ms: 3,
            p90Ms: 9,
            p99Ms: 21,
          },
        }),
      ],
      file,
    );
    const check = await openReport(browser, file, path.join(ARTIFACTS, 'report-local.png'));
    expect(check.errors).toEqual([]);
    expect(check.charts.every((c) => c.rendered === 'true' && c.width > 100)).toBe(true);
    expect(check.text).toContain('Nothing to rank');
    expect(check.text).toContain('Training loss');
    expect(check.text).toMatch(/2\.3 → 0\.4/);
    expect(check.text).toMatch(/40 QPS, p99 ≤ 15 ms: missed/);
    expect((await stat(file)).size).toBeLessThan(5 * 2 ** 20);
  });

  it('the CSV export has one row per record', () => {
    const recs = federation();
    expect(toCsv(recs).trim().split('\n')).toHaveLength(recs.length + 1);
  });
});
