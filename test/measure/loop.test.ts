import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, measure, mergeRules } from '../../src/measure/index.js';

function spin(seconds: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end);
}

const fast = mergeRules(DEFAULT_RULES, {
  minSeconds: 0.05,
  maxSeconds: 0.5,
  minSamples: 10,
  warmup: { minSeconds: 0.01, maxSeconds: 0.2 },
});

describe('measure', () => {
  it('groups calls too short to time alone, and reports per-call times', async () => {
    let calls = 0;
    const m = await measure(() => void calls++, { rules: fast });
    expect(m.callsPerSample).toBeGreaterThan(100);
    expect(m.iterationSeconds.length).toBeGreaterThanOrEqual(10);
    expect(calls).toBeGreaterThanOrEqual(m.callsPerSample * m.iterationSeconds.length);
  });

  it('times one call per sample when calls are long enough', async () => {
    const m = await measure(() => spin(0.002), { rules: fast });
    expect(m.callsPerSample).toBe(1);
    // Every per-call time includes the 2 ms of work.
    expect(Math.min(...m.iterationSeconds)).toBeGreaterThanOrEqual(0.002);
  });

  it('awaits asynchronous workloads', async () => {
    // The work runs only after the workload yields to the event loop, so a loop that did not await
    // would time ~0. (A setTimeout bound is flaky: libuv's millisecond clock can fire it early.)
    const work = async () => {
      await new Promise((r) => setImmediate(r));
      spin(0.003);
    };
    const m = await measure(work, { rules: mergeRules(fast, { maxSeconds: 0.2 }) });
    expect(Math.min(...m.iterationSeconds)).toBeGreaterThanOrEqual(0.003);
  });

  it('records a time-out and a warning when the noise target is never met', async () => {
    let i = 0;
    const m = await measure(() => spin(i++ % 2 ? 0.0015 : 0.003), {
      rules: mergeRules(fast, { targetNoise: 0.0001, maxSeconds: 0.3 }),
    });
    expect(m.stopReason).toBe('time-out');
    // named as the suite's sampling limit, never read as a program's per-invocation time-out
    expect(m.warnings.some((w) => w.startsWith('noise target not met'))).toBe(true);
    expect(m.warnings.join('\n')).toMatch(/\(sampling time limit stop\.maxSeconds = 0\.3 s reached\)/);
  });

  it('measures its own cost', async () => {
    const m = await measure(() => spin(0.001), { rules: fast });
    expect(m.harness.timerNs).toBeGreaterThan(0);
    expect(m.harness.loopNsPerCall).toBeGreaterThan(0);
    expect(m.harness.fractionOfMedian).toBeCloseTo(m.harness.loopNsPerCall / 1e9 / 0.001, 1);
  });
});
