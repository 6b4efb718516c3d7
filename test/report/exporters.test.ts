import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import {
  EXPORTERS,
  EXPORT_FORMATS,
  EXPORT_NAMES,
  mdCell,
  peakCells,
  rankingCells,
  writeReport,
} from '../../src/report/index.js';

/** Constructed records (not measured): one GEMM case at two sites on A100s, the second site 10% slower. */
function twoSites() {
  let seed = 1;
  return ['meluxina', 'vega'].flatMap((site, i) =>
    [1, 2, 3].map((node) =>
      syntheticRecord({
        site,
        node: `${site}-gpu0${node}`,
        params: { n: 4096, dtype: 'fp32' },
        median: 15000 * (1 - 0.1 * i),
        gpu: 'NVIDIA A100-SXM4-40GB',
        watts: 250,
        seed: seed++,
      }),
    ),
  );
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('exporters', () => {
  it('report --export writes, beside the HTML, exactly what the registry renders for the same model', async () => {
    const records = twoSites();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-exporters-'));
    const written = await writeReport(records, path.join(dir, 'r.html'), { title: 'two sites' }, EXPORT_FORMATS);
    expect([...EXPORT_FORMATS, 'html'].sort()).toEqual([...EXPORT_NAMES].sort());
    for (const f of EXPORT_FORMATS) {
      expect(written.exports[f]).toBe(path.join(dir, `r.${EXPORTERS[f].name}`));
      expect(await readFile(written.exports[f]!, 'utf8')).toBe(EXPORTERS[f].render({ model: written.model, records }));
    }
    expect(await readFile(written.html, 'utf8')).toBe(EXPORTERS.html.render({ model: written.model, records }));
    // the JSON export is the model itself
    expect(JSON.parse(EXPORTERS.json.render({ model: written.model, records })).records).toBe(records.length);
  });

  it('peak and ranking rows read the same in the HTML and Markdown exports', async () => {
    const records = twoSites();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fb-exporters-'));
    const { model } = await writeReport(records, path.join(dir, 'r.html'));
    const html = EXPORTERS.html.render({ model, records });
    const md = EXPORTERS.md.render({ model, records });
    const htmlRows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => text(c[1]!)),
    );
    expect(model.peaks.rows.length).toBeGreaterThan(0);
    expect(model.rankings.rankings[0]!.sites.map((s) => s.site)).toEqual(['meluxina', 'vega']);
    const rows = [
      ...model.peaks.rows.map(peakCells),
      ...model.rankings.rankings.flatMap((r) => r.sites.map(rankingCells)),
    ];
    for (const cells of rows) {
      expect(md).toContain(`| ${cells.map(mdCell).join(' | ')} |`);
      expect(htmlRows).toContainEqual(cells);
    }
  });
});
