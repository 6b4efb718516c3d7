// Site profiles: the shipped templates validate except for their marked placeholders, which are named by
// file:line:col; facts reach the ranking's SiteFacts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReportModel } from '../../src/report/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { BUILTIN_SITES_DIR, loadSite, loadSites, parseSite, siteFacts, siteNames } from '../../src/sites/index.js';

describe('site profiles', () => {
  it('ships templates for MeluXina, Leonardo, Vega, Karolina and a local profile', () => {
    expect(siteNames()).toEqual(['karolina', 'leonardo', 'local', 'meluxina', 'vega']);
    expect(loadSite('local').ssh).toBeUndefined();
  });

  it('refuses a template until its placeholders are filled, naming each one', () => {
    for (const name of ['meluxina', 'leonardo', 'vega', 'karolina']) {
      expect(() => loadSite(name)).toThrow(new RegExp(`${name}\\.yaml:\\d+:\\d+: ssh\\.user: still a placeholder`));
    }
  });

  it('ships templates that validate once filled, with the interconnect their sources state and no rate they do not', () => {
    const filled = (name: string) =>
      siteFacts(
        parseSite(
          fs
            .readFileSync(path.join(BUILTIN_SITES_DIR, `${name}.yaml`), 'utf8')
            .replace(/<(NODE_HOUR_COST|ENERGY_PRICE|GRID_CARBON_G_PER_KWH)>/g, '1')
            .replace(/<[A-Z_]+>/g, 'filled'),
          `${name}.yaml`,
        ),
      );
    // Leonardo: 2× dual-port HDR, 400 Gb/s per node (CINECA) → 50 GB/s per direction; its custom A100's NVLink unstated
    expect(filled('leonardo').links).toMatchObject({ interNode: { gbPerSec: 50 }, source: /cineca/ });
    expect(filled('leonardo').links?.intraNode).toBeUndefined();
    // A100 SXM4 (MeluXina, Karolina): NVLink 3, 600 GB/s per GPU both ways → 300 per direction
    expect(filled('meluxina').links).toEqual({
      intraNode: { link: 'NVLink 3 (A100 SXM4)', gbPerSec: 300 },
      source: expect.stringContaining('NVIDIA A100 datasheet'),
    });
    expect(filled('karolina').links?.interNode).toEqual({ link: 'InfiniBand HDR (non-blocking fat tree)' });
    expect(filled('vega').links).toMatchObject({ interNode: { link: /dual-port InfiniBand HDR/ }, source: /izum/ });
    expect(filled('vega').links?.interNode?.gbPerSec).toBeUndefined();
  });

  it('gives the report its facts (GPUs per node, cost, carbon)', () => {
    const filled = parseSite(
      `name: k\nscheduler: { partition: qgpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: A100, perNode: 8 }\n  nodeHourCost: 2.5\n  currency: EUR\n  carbonGPerKWh: 400\n`,
      'k.yaml',
    );
    expect(siteFacts(filled)).toEqual({ gpusPerNode: 8, nodeHourCost: 2.5, currency: 'EUR', carbonGPerKWh: 400 });
  });

  it("gives the report the profile's declared peaks, which take precedence over the datasheet by GPU name", () => {
    const site = parseSite(
      `name: g\nscheduler: { partition: gpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: NVIDIA L40S, perNode: 4 }\n  peak: { fp32TFlops: 91.6, fp16TensorTFlops: 362, hbmGBs: 864 }\n`,
      'g.yaml',
    );
    const facts = siteFacts(site);
    expect(facts.peaks).toEqual({
      label: 'NVIDIA L40S',
      tflops: { fp32: 91.6, fp16: 362 },
      bandwidthGBs: 864,
      source: 'site profile g (facts.peak)',
    });
    const onGpu = (gpu: string, site: string) => {
      const r = syntheticRecord({ site, median: 40_000, gpu, backend: 'cuda' });
      return r;
    };
    const model = buildReportModel(
      [onGpu('NVIDIA L40S', 'g'), onGpu('NVIDIA L40S', 'nofacts'), onGpu('NVIDIA A100-SXM4-40GB', 'a100')],
      { facts: { g: facts } },
    );
    expect(model.peaks.rows.map((r) => [r.site, r.device, r.peak, r.source])).toEqual([
      ['a100', 'A100 40 GB', 19_500, 'NVIDIA A100 datasheet'],
      ['g', 'NVIDIA L40S', 91_600, 'site profile g (facts.peak)'],
    ]);
    expect(model.peaks.notes).toEqual([
      expect.stringMatching(/^nofacts: no datasheet peak known for NVIDIA L40S, and no facts\.peak in a site profile/),
    ]);

    // a profile that declares only some figures keeps the datasheet's others (here the A100's fp16 peak)
    const partial = siteFacts(
      parseSite(
        `name: p\nscheduler: { partition: gpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: A100, perNode: 4 }\n  peak: { fp32TFlops: 19 }\n`,
        'p.yaml',
      ),
    );
    const fp16 = {
      ...syntheticRecord({
        site: 'p',
        median: 200_000,
        gpu: 'NVIDIA A100-SXM4-40GB',
        backend: 'cuda',
        params: { n: 2048, dtype: 'fp16' },
      }),
    };
    const rows = buildReportModel([onGpu('NVIDIA A100-SXM4-40GB', 'p'), fp16], { facts: { p: partial } }).peaks.rows;
    expect(rows.map((r) => [r.case.includes('fp16') ? 'fp16' : 'fp32', r.peak])).toEqual([
      ['fp16', 312_000],
      ['fp32', 19_000],
    ]);
    expect(rows[0]!.source).toBe(
      'site profile p (facts.peak); figures it does not declare from the NVIDIA A100 datasheet',
    );
  });

  it('says which sites exist when a name is wrong, and refuses duplicates', () => {
    expect(() => loadSite('nowhere')).toThrow(
      /unknown site 'nowhere'. Valid sites: karolina, leonardo, local, meluxina, vega/,
    );
    expect(() => loadSites(['local,local'])).toThrow(/given twice/);
  });
});
