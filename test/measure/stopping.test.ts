import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, mergeRules, samplingDecision, warmupDecision } from '../../src/measure/index.js';

const rules = mergeRules(DEFAULT_RULES, { minSamples: 10, minSeconds: 0.5, maxSeconds: 5, targetNoise: 0.01 });

describe('samplingDecision', () => {
  const steady = Array.from({ length: 30 }, (_, i) => 1 + (i % 3) * 0.001);

  it('goes on until both the minimum samples and the minimum time are reached', () => {
    expect(samplingDecision(rules, { samples: steady.slice(0, 9), elapsedSeconds: 2 })).toBeNull();
    expect(samplingDecision(rules, { samples: steady, elapsedSeconds: 0.2 })).toBeNull();
    expect(samplingDecision(rules, { samples: steady, elapsedSeconds: 1 })).toBe('converged');
  });

  it('keeps sampling a noisy series, then gives up at the time-out', () => {
    const noisy = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1 : 2));
    expect(samplingDecision(rules, { samples: noisy, elapsedSeconds: 1 })).toBeNull();
    expect(samplingDecision(rules, { samples: noisy, elapsedSeconds: 5 })).toBe('time-out');
  });

  it('stops at the sample cap', () => {
    const capped = mergeRules(rules, { maxSamples: 20 });
    expect(samplingDecision(capped, { samples: Array(20).fill(1), elapsedSeconds: 0 })).toBe('max-samples');
  });
});

describe('warmupDecision', () => {
  const w = { minIterations: 2, minSeconds: 0.1, maxSeconds: 3, window: 4, stableCv: 0.05 };
  it('waits for a stable window, then ends', () => {
    expect(warmupDecision(w, [5, 1, 1, 1], 0.5)).toBeNull(); // slow first call still in the window
    expect(warmupDecision(w, [5, 1, 1, 1, 1], 0.5)).toBe('stable');
  });
  it('times out when the calls never settle', () => {
    expect(warmupDecision(w, [1, 2, 1, 2, 1, 2], 3.1)).toBe('time-out');
  });
});

describe('mergeRules', () => {
  it('applies suite defaults then per-benchmark overrides, field by field', () => {
    const r = mergeRules(
      DEFAULT_RULES,
      { maxSeconds: 3, warmup: { maxSeconds: 1 } },
      { maxSeconds: 9, warmup: { window: 8 } },
    );
    expect(r.maxSeconds).toBe(9);
    expect(r.warmup).toEqual({ ...DEFAULT_RULES.warmup, maxSeconds: 1, window: 8 });
    expect(r.minSamples).toBe(DEFAULT_RULES.minSamples);
  });
});
