// Site profiles: the shipped templates validate except for their marked placeholders, which are named by
// file:line:col; facts reach the ranking's SiteFacts.
import { describe, expect, it } from 'vitest';
import { loadSite, loadSites, parseSite, siteFacts, siteNames } from '../../src/sites/index.js';

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

  it('gives the report its facts (GPUs per node, cost, carbon)', () => {
    const filled = parseSite(
      `name: k\nscheduler: { partition: qgpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: A100, perNode: 8 }\n  nodeHourCost: 2.5\n  currency: EUR\n  carbonGPerKWh: 400\n`,
      'k.yaml',
    );
    expect(siteFacts(filled)).toEqual({ gpusPerNode: 8, nodeHourCost: 2.5, currency: 'EUR', carbonGPerKWh: 400 });
  });

  it('says which sites exist when a name is wrong, and refuses duplicates', () => {
    expect(() => loadSite('nowhere')).toThrow(/unknown site 'nowhere'. Valid sites: karolina, leonardo, local, meluxina, vega/);
    expect(() => loadSites(['local,local'])).toThrow(/given twice/);
  });
});
