// MLPerf Offline: all samples available at once; the figure is throughput. One timed call is one batch, and
// the batch size is swept by the suite. fedbench's timing loop decides warm-up and sample count.
import { measure, measurementSummary, summarize, type StoppingRules } from '../../../measure/index.js';
import type { MeasureHooks } from '../../types.js';
import type { QueryFn, ScenarioResult } from './result.js';

export const OFFLINE_METRIC = { name: 'offline throughput', unit: 'samples/s', direction: 'higher' } as const;

export async function runOffline(
  query: QueryFn,
  batch: number,
  rules: StoppingRules,
  hooks: MeasureHooks,
): Promise<ScenarioResult> {
  const m = await measure(query, { rules, ...hooks });
  return {
    metric: OFFLINE_METRIC,
    samples: m.iterationSeconds.map((s) => batch / s),
    iterationSeconds: m.iterationSeconds,
    secondary: [{ name: 'time per batch', unit: 's', direction: 'lower', stats: summarize(m.iterationSeconds) }],
    measurement: measurementSummary(m, rules),
    warnings: m.warnings,
    calls: m.iterationSeconds.length * m.callsPerSample * batch,
    details: { kind: 'inference', scenario: 'offline', batch },
  };
}
