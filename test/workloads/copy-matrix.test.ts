// The comm suite's copy matrix inside a node (copy_matrix.py). No GPU here: the shipped cases are skipped in seconds
// saying why, the script itself says why without CUDA, and a stand-in program printing a constructed matrix in the
// script's format (the figures are made up) goes through the command workload into the record and the report.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyMatrices } from '../../src/analysis/index.js';
import { buildReportModel, renderReportBody } from '../../src/report/index.js';
import { detailsOf, runRecordSchema } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { BUILTIN_SUITES_DIR, loadSuite, parseSuite } from '../../src/suite/index.js';
import { systemInfo } from '../../src/system/index.js';

const noEnergy = {
  powercapRoot: '/nonexistent',
  pmCountersRoot: '/nonexistent',
  visibleDevices: undefined,
  nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
  nvidiaSmi: '/nonexistent/nvidia-smi',
};
process.env.PATH = `/usr/bin:${process.env.PATH}`;
const gpu = (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, 'nvidia-smi')));

describe('copy matrix inside a node', () => {
  it.skipIf(gpu)(
    'without a GPU: the shipped cases are skipped in seconds, and the script says why',
    async () => {
      const suite = loadSuite(path.join(BUILTIN_SUITES_DIR, 'comm.yaml'));
      const cases = suite.cases.filter((c) => c.id.startsWith('copy-matrix/'));
      expect(cases.map((c) => c.params.figure)).toEqual(['peer', 'host']);
      const t0 = Date.now();
      const r = await runCase(cases[0]!, { campaign: 't', system: await systemInfo(), energy: noEnergy });
      expect(r.status).toBe('skipped');
      expect(r.error).toMatch(/nvidia-smi/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      const out = execFileSync(
        'python3',
        [path.join(BUILTIN_SUITES_DIR, 'scripts', 'copy_matrix.py'), '--figure', 'peer'],
        {
          encoding: 'utf8',
        },
      );
      expect(out).toMatch(/^FEDBENCH:SKIP copies between GPUs need CUDA; torch.cuda.is_available\(\) is False here/);
    },
    60_000,
  );

  it('a matrix printed in the script format: every cell in the record, the slowest as the figure, a weak link flagged', async () => {
    // constructed: 4 GPUs, NVLink at ~250 GB/s except gpu2 <-> gpu3 (no peer access: through the host, 20 GB/s)
    const dir = mkdtempSync(path.join(tmpdir(), 'fb-copies-'));
    const devices = ['host', 'gpu0', 'gpu1', 'gpu2', 'gpu3'];
    const lines: string[] = [];
    for (const src of devices)
      for (const dst of devices) {
        if (src === dst) continue;
        const host = src === 'host' || dst === 'host';
        const weak = [src, dst].sort().join() === 'gpu2,gpu3';
        lines.push(
          JSON.stringify({
            src,
            dst,
            bytes: 268435456,
            gbPerSec: host ? 24.5 : weak ? 20 : 250,
            peer: host ? null : !weak,
            checked: true,
          }),
        );
      }
    lines.push(JSON.stringify({ figure: 20, of: 'peer' }));
    writeFileSync(path.join(dir, 'out.txt'), `${lines.join('\n')}\n`);
    const suite = parseSuite(
      `name: copies
stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 30 }
benchmarks:
  - id: copy-matrix
    workload: command
    params: { figure: peer }
    command: [cat, out.txt]
    cwd: ${dir}
    warmup: 0
    metric: { name: copy bandwidth, unit: GB/s, direction: higher, json: figure }
`,
      path.join(dir, 'suite.yaml'),
    );
    const r = await runCase(suite.cases[0]!, { campaign: 't', system: await systemInfo(), energy: noEnergy });
    expect(r.status, r.error).toBe('ok');
    runRecordSchema.parse(r);
    expect(r.samples).toEqual([20]);
    const rows = detailsOf(r, 'command')!.copies!.rows;
    expect(rows).toHaveLength(20);
    expect(detailsOf(r, 'command')!.comm).toBeUndefined();
    const [m] = copyMatrices([r]);
    expect(m!.devices).toEqual(devices);
    expect(m!.cells.filter((c) => c.slow).map((c) => `${c.src}>${c.dst}`)).toEqual(['gpu2>gpu3', 'gpu3>gpu2']);
    const body = renderReportBody(buildReportModel([r], {}), ['communication']).body.toString();
    expect(body).toContain('<h3>Copies inside a node</h3>');
    expect(body).toContain('<span class="bad">20 GB/s (no peer access) slow</span>');
    expect(body).toContain('<td>250 GB/s</td>');
  });
});
