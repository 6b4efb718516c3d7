import { describe, expect, it } from 'vitest';
import { integratePower } from '../../src/energy/integrate.js';

const every = (step: number, from: number, to: number, watts: (t: number) => number) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => ({
    t: from + i * step,
    watts: watts(from + i * step),
  }));

describe('integratePower (trapezoid rule with coverage)', () => {
  it('integrates constant power exactly over the window', () => {
    const r = integratePower(
      every(0.1, 0, 2, () => 250),
      0,
      2,
      0.5,
    )!;
    expect(r.joules).toBeCloseTo(500, 9);
    expect(r.meanWatts).toBeCloseTo(250, 9);
    expect(r.peakWatts).toBe(250);
    expect(r.coverage).toBeCloseTo(1, 12);
    expect(r.samples).toBe(21);
  });

  it('is exact for a linear ramp, interpolating at window edges between samples', () => {
    // P(t) = 100 + 50 t sampled every 0.3 s; window [0.25, 1.45]: ∫ = 100·1.2 + 25·(1.45² − 0.25²)
    const r = integratePower(
      every(0.3, 0, 1.8, (t) => 100 + 50 * t),
      0.25,
      1.45,
      0.5,
    )!;
    expect(r.joules).toBeCloseTo(100 * 1.2 + 25 * (1.45 ** 2 - 0.25 ** 2), 9);
    expect(r.coverage).toBeCloseTo(1, 12);
    expect(r.peakWatts).toBeCloseTo(100 + 50 * 1.45, 9);
  });

  it('does not bridge a stalled sampler: the gap lowers coverage and the covered mean is scaled to the window', () => {
    const samples = [...every(0.1, 0, 1, () => 200), ...every(0.1, 3, 4, () => 300)];
    const r = integratePower(samples, 0, 4, 0.5)!;
    expect(r.coverage).toBeCloseTo(0.5, 9);
    expect(r.meanWatts).toBeCloseTo(250, 9);
    expect(r.joules).toBeCloseTo(250 * 4, 9);
  });

  it('gives no figure, not zero, when nothing covers the window', () => {
    expect(integratePower([], 0, 1, 0.5)).toBeNull();
    expect(integratePower([{ t: 0.5, watts: 100 }], 0, 1, 0.5)).toBeNull();
    expect(
      integratePower(
        every(0.1, 5, 6, () => 100),
        0,
        1,
        0.5,
      ),
    ).toBeNull();
    expect(
      integratePower(
        every(0.1, 0, 1, () => 100),
        1,
        1,
        0.5,
      ),
    ).toBeNull();
  });
});
