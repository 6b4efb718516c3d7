// npm run bench:report — 100,000 run records from several sites → one HTML report.
// Baseline in the same process: reading (synchronously) and JSON-parsing the same files, nothing else. Figures: the
// time of each step, the ratio to the baseline, and the size of the HTML.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readRecords } from '../results/index.js';
import { buildReportModel, renderHtml } from '../report/index.js';
import { redactRecords } from '../redact/index.js';
import { recordFileName } from '../results/store.js';
import { syntheticRecord } from './synthetic.js';

const TOTAL = Number(process.env.FEDBENCH_BENCH_RECORDS ?? 100_000);
const SITES = ['meluxina', 'leonardo', 'vega', 'karolina'];
const CASES = 25;
const NODES = 50;
const now = () => performance.now() / 1000;

/** One JSONL bundle per site, as a bulk collection or export would store them. */
async function bundle(dir: string, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const site of SITES) {
    const files = readdirSync(path.join(dir, site));
    await writeFile(
      path.join(out, `${site}.jsonl`),
      `${files.map((f) => readFileSync(path.join(dir, site, f), 'utf8')).join('\n')}\n`,
    );
  }
}

async function timeReport(dir: string): Promise<{
  read: number;
  model: number;
  render: number;
  write: number;
  total: number;
  /** `report --redact`'s extra step, not in the total. */
  redact: number;
  records: number;
  problems: number;
  bytes: number;
}> {
  let t = now();
  const { records, problems } = await readRecords(dir);
  const read = now() - t;
  t = now();
  redactRecords(records);
  const redact = now() - t;
  t = now();
  const model = buildReportModel(records, { workloads: ['gemm'] });
  const tModel = now() - t;
  t = now();
  const html = renderHtml(model);
  const render = now() - t;
  t = now();
  await writeFile(path.join(os.tmpdir(), `fedbench-bench-report-${process.pid}.html`), html);
  const write = now() - t;
  await rm(path.join(os.tmpdir(), `fedbench-bench-report-${process.pid}.html`), { force: true });
  return {
    read,
    model: tModel,
    render,
    write,
    total: read + tModel + render + write,
    redact,
    records: records.length,
    problems: problems.length,
    bytes: Buffer.byteLength(html),
  };
}

async function generate(dir: string): Promise<number> {
  const perSite = Math.ceil(TOTAL / SITES.length);
  let written = 0;
  for (const [si, site] of SITES.entries()) {
    await mkdir(path.join(dir, site), { recursive: true });
    const batch: Array<Promise<void>> = [];
    for (let i = 0; i < perSite && written < TOTAL; i++, written++) {
      const c = i % CASES;
      const node = `${site}-gpu${String(Math.floor(i / CASES) % NODES).padStart(3, '0')}`;
      const r = syntheticRecord({
        site,
        node,
        params: { n: 256 * (1 + (c % 5)), dtype: c % 2 ? 'fp16' : 'fp32', variant: Math.floor(c / 5) },
        median: 10000 * (1 + 0.1 * si) * (1 + 0.02 * (c % 5)),
        n: 20,
        seed: written + 1,
        gpu: 'NVIDIA A100-SXM4-40GB',
        watts: 250 + 10 * si,
      });
      r.id = `${r.id}-${written}`;
      batch.push(writeFile(path.join(dir, site, recordFileName(r)), JSON.stringify(r)));
      if (batch.length >= 500) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
  }
  return written;
}

async function baselineRead(dir: string): Promise<number> {
  let n = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    JSON.parse(readFileSync(path.join(e.parentPath, e.name), 'utf8'));
    n++;
  }
  return n;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fedbench-bench-report-'));
  try {
    console.log(
      `generating ${TOTAL} synthetic records (${SITES.length} sites × ${NODES} nodes × ${CASES} cases, 20 samples each) in ${dir}`,
    );
    await generate(dir);
    // Warm the page cache once, so both measured reads see the same cache state.
    await baselineRead(dir);

    const t = now();
    const parsed = await baselineRead(dir);
    const baseline = now() - t;
    console.log(`baseline: read + JSON.parse of ${parsed} files: ${baseline.toFixed(2)} s`);

    const files = await timeReport(dir);
    console.log(
      `one file per record: read + validate ${files.records} records (${files.problems} problems) ${files.read.toFixed(2)} s, analyse ${files.model.toFixed(2)} s, render ${files.render.toFixed(2)} s, write ${files.write.toFixed(3)} s`,
    );
    console.log(
      `  total ${files.total.toFixed(2)} s (target ≤ 5 s); ratio to baseline read ${(files.total / baseline).toFixed(2)}; HTML ${(files.bytes / 2 ** 20).toFixed(2)} MiB (target ≤ 5 MB)`,
    );
    console.log(`  with --redact: redacting the records first adds ${files.redact.toFixed(2)} s`);

    const bundled = path.join(dir, 'bundled');
    await bundle(dir, bundled);
    const jsonl = await timeReport(bundled);
    console.log(
      `JSONL bundles (one per site): read + validate ${jsonl.read.toFixed(2)} s, analyse ${jsonl.model.toFixed(2)} s, render ${jsonl.render.toFixed(2)} s; total ${jsonl.total.toFixed(2)} s`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
