// `fedbench report --redact` as a user runs it (the built binary): every file it writes (HTML, CSV, JSON,
// Markdown) is read whole, and no identifying value survives in it in any form, while the same report without
// --redact shows them. Labels are the same across files, and figures, sites and GPU models stay.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReportModel } from '../../src/report/index.js';
import { writeRecord } from '../../src/results/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { fedbench } from '../cli/run-cli.js';
import { GIVEN, GPU, ID, identifyingRecords, leaksIn, ORIGINALS } from './records.js';

let tmp: string;
let results: string;
let sites: string;
const TITLE = `Acceptance of ${ID.nodeList} for ${ID.user}`;

/** Every file a report run wrote into `dir`, by extension. */
async function written(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readdir(dir))
    if (!f.endsWith('.replaced.json')) out[path.extname(f).slice(1)] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

async function report(name: string, extra: string[]): Promise<Record<string, string>> {
  const dir = path.join(tmp, name);
  const args = ['report', '-r', results, '--out', path.join(dir, 'report.html'), '--export', 'csv,json,md'];
  const r = await fedbench([...args, '--title', TITLE, '--sites-dir', sites, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return written(dir);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-redact-'));
  results = path.join(tmp, 'results');
  for (const r of await identifyingRecords()) await writeRecord(results, r);
  sites = path.join(tmp, 'sites');
  await mkdir(sites);
  const common = 'workdir: /tmp/fedbench-work\nfacts: { gpu: { model: NVIDIA H100, perNode: 4 } }\n';
  await writeFile(
    path.join(sites, 'meluxina.yaml'),
    `name: meluxina\nscheduler: { partition: gpu, account: ${GIVEN.account}, timeLimit: "00:10:00" }\n` +
      `ssh: { host: ${ID.loginHost}, port: 8822, user: ${ID.user}, identityFile: ~/.ssh/id_ed25519, knownHosts: ~/.ssh/known_hosts, jump: [{ host: ${GIVEN.gateway} }] }\n${common}`,
  );
  await writeFile(
    path.join(sites, 'vega.yaml'),
    `name: vega\nscheduler: { partition: gpu, timeLimit: "00:10:00" }\n${common}`,
  );
});

describe('fedbench report --redact', () => {
  it('writes no identifying value into any file, where the same report without it shows them', async () => {
    const everything = [...ORIGINALS, GIVEN.account, GIVEN.gateway, GIVEN.project];
    const plain = await report('plain', []);
    // what an unredacted report shows: the machines, the user, the jobs, addresses and the project in the error
    const shown = leaksIn(Object.values(plain).join('\n'), everything);
    for (const v of [
      ID.loginHost,
      ID.localHost,
      ...ID.nodes,
      ID.vegaNode,
      ID.user,
      ID.arrayJob,
      ID.ipv4,
      GIVEN.project,
    ])
      expect(shown).toContain(v);

    const files = await report('redacted', ['--redact', '--redact-also', GIVEN.project]);
    expect(Object.keys(files).sort()).toEqual(['csv', 'html', 'json', 'md']);
    for (const [ext, text] of Object.entries(files)) expect(leaksIn(text, everything), ext).toEqual([]);
  });

  it('says on the page and in the exports that it is redacted, and what was replaced', async () => {
    const files = await written(path.join(tmp, 'redacted'));
    const banner =
      /<p class="redacted" id="redaction">Redacted for sharing outside the computing centre: ([^<]*)<\/p>/.exec(
        files['html']!,
      );
    expect(banner?.[1]).toMatch(
      /^host names \(\d+\), node names \(4\), user names \(home and scratch paths included\) \(\d+\), Slurm job ids \(3\), /,
    );
    expect(banner?.[1]).toMatch(
      /IP addresses \(3\), MAC addresses \(1\), GPU UUIDs \(1\), MIG device UUIDs \(1\), other UUIDs \(4\), partitions \(1\), serial numbers \(1\), accounts \(1\), other values given to redact \(1\) were replaced by labels/,
    );
    expect(files['md']).toMatch(/^> Redacted for sharing outside the computing centre: host names/m);
    const model = JSON.parse(files['json']!) as ReportModel;
    expect(model.redaction?.replaced.find((r) => r.what === 'node names')?.count).toBe(4);
    expect(model.title).toMatch(/^Acceptance of node-2,node-3,node-4 for user-\d+$/); // gpunode-x17q sorts first
    expect(model.sources[0]).toMatch(/^records read from \//);
  });

  it('labels one value alike in every file, and keeps sites, GPU models, versions and figures', async () => {
    const plain = JSON.parse((await written(path.join(tmp, 'plain')))['json']!) as ReportModel;
    const files = await written(path.join(tmp, 'redacted'));
    const model = JSON.parse(files['json']!) as ReportModel;
    const meluxina = model.overview.find((s) => s.site === 'meluxina')!;
    expect(meluxina.nodes).toEqual(['node-2', 'node-3', 'node-4']);
    expect(model.overview.find((s) => s.site === 'vega')!.nodes).toEqual(['node-1']);
    const sites = model.overview.map((s) => s.site).sort();
    expect(sites).toEqual([expect.stringMatching(/^local:host-\d+$/), 'meluxina', 'vega']);
    // the CSV's rows name the same nodes as the overview, and the Markdown the same sites
    const csv = files['csv']!.split('\n').slice(1).filter(Boolean);
    const csvNodes = new Set(
      csv.filter((l) => l.includes(',meluxina,')).map((l) => l.split(',meluxina,')[1]!.split(',')[0]),
    );
    expect(csvNodes).toEqual(new Set(meluxina.nodes));
    for (const site of sites) expect(files['md']).toContain(site);
    // provenance: hosts are labels, the GPU model, driver and CUDA are as measured
    const prov = model.provenance.find((p) => p.site === 'meluxina')!;
    expect(prov.hosts).toEqual(['node-2', 'node-3', 'node-4']);
    expect(prov.gpus.join(' ')).toContain(`${GPU}, 81559 MiB, driver 550.54.15, CUDA 12.4`);
    expect(prov.env).toContain('SLURM_JOB_NODELIST=node-2,node-3,node-4');
    for (const text of Object.values(files)) expect(text).toContain(GPU);
    // every figure and verdict as in the unredacted report
    const figures = (m: ReportModel) =>
      m.benchmarks.map((b) =>
        b.rows.map((r) => [r.site.replace(/^local:.*/, 'local'), r.median, r.ci95, r.verdict, r.n]),
      );
    expect(figures(model)).toEqual(figures(plain));
    expect(model.overview.map((s) => [s.firstAt, s.lastAt, s.records])).toEqual(
      plain.overview.map((s) => [s.firstAt, s.lastAt, s.records]),
    );
  });

  it("redacts the history from the results database too, older runs' nodes and jobs included", async () => {
    // an older run, in the database but not among the reported records: its node and job are named nowhere else
    const older = { node: 'mxq2077', job: '7739001' };
    const olderDir = path.join(tmp, 'older');
    const r = syntheticRecord({ site: 'meluxina', node: older.node, gpu: GPU, median: 16000, seed: 99 });
    await writeRecord(olderDir, {
      ...r,
      id: `slurm-meluxina-${older.job}_5-0`,
      startedAt: '2025-12-01T00:00:00.000Z',
      finishedAt: '2025-12-01T00:00:10.000Z',
      slurm: { ...r.slurm, jobId: older.job, arrayTaskId: 5 },
    });
    const db = path.join(tmp, 'db');
    const imported = await fedbench(['db', 'import', results, olderDir, '--db', db]);
    expect(imported.code, imported.stderr).toBe(0);
    const dir = path.join(tmp, 'history');
    const args = ['report', '-r', results, '--history', '--db', db, '--out', path.join(dir, 'report.html')];
    const plain = await fedbench([...args, '--export', 'json']);
    expect(plain.code, plain.stderr).toBe(0);
    const shown =
      (await readFile(path.join(dir, 'report.json'), 'utf8')) + (await readFile(path.join(dir, 'report.html'), 'utf8'));
    expect(leaksIn(shown, [older.node, older.job])).toEqual([older.node, older.job]);

    const red = await fedbench([...args, '--export', 'csv,json,md', '--redact']);
    expect(red.code, red.stderr).toBe(0);
    const files = await written(dir);
    for (const [ext, text] of Object.entries(files))
      expect(leaksIn(text, [...ORIGINALS, older.node, older.job]), ext).toEqual([]);
    const model = JSON.parse(files['json']!) as ReportModel;
    expect(model.history?.length).toBeGreaterThan(0);
    const points = model.history!.flatMap((s) => s.points);
    expect(points.map((p) => p.id)).toContain('slurm-meluxina-job-4_0-0'); // jobs: 7734219, 7734230, 7734388, then 7739001
    expect(model.history!.map((s) => s.node)).toEqual(expect.arrayContaining(['node-5'])); // mxq2077, after the others
  });

  it('refuses --redact-also without --redact', async () => {
    const r = await fedbench(['report', '-r', results, '--out', path.join(tmp, 'x', 'r.html'), '--redact-also', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--redact-also needs --redact/);
  });
});
