// The report states the thresholds the analysis applies: its text is made from the same constants.
import { describe, expect, it, vi } from 'vitest';
import { syntheticRecord } from '../../src/bench/synthetic.js';

vi.mock('../../src/measure/stats.js', async (original) => ({
  ...(await original<typeof import('../../src/measure/stats.js')>()),
  OUTLIER_THRESHOLD: 4.25,
}));
vi.mock('../../src/analysis/variability.js', async (original) => ({
  ...(await original<typeof import('../../src/analysis/variability.js')>()),
  STRAGGLER_THRESHOLD: 0.075,
}));

const { DEFAULT_COMPARE } = await import('../../src/analysis/index.js');
const { buildReportModel, renderHtml } = await import('../../src/report/index.js');

function report(): string {
  const records = [1, 2].map((node) =>
    syntheticRecord({ site: 'a', node: `a-n0${node}`, median: 100 * node, seed: node }),
  );
  return renderHtml(buildReportModel(records, {}));
}

describe('method text', () => {
  it('reads α, the minimum effect, the outlier threshold and the straggler limit from the code', () => {
    const saved = { ...DEFAULT_COMPARE };
    try {
      DEFAULT_COMPARE.alpha = 0.01;
      DEFAULT_COMPARE.minEffect = 0.035;
      const page = report();
      expect(page).toContain('Mann-Whitney U test (two-sided, α = 0.01) and a minimum effect of 3.5%');
      expect(page).toContain('(Mann-Whitney U, α = 0.01, and a minimum effect of 3.5%)');
      expect(page).toContain('median absolute deviation (threshold 4.25)');
      expect(page).toContain('more than 7.5% worse than the median of the site');
      expect(page).not.toMatch(/α = 0\.05|threshold 3\.5\)|more than 5% worse/);
    } finally {
      Object.assign(DEFAULT_COMPARE, saved);
    }
  });
});
