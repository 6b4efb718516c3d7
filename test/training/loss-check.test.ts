import { describe, expect, it } from 'vitest';
import { checkLossFalls, lossTrajectory } from '../../src/workloads/training/loss-check.js';

describe('the loss check of a training run', () => {
  it('passes a falling loss and fails a flat or diverging one, saying why', () => {
    const falling = Array.from({ length: 40 }, (_, i) => 2.3 * Math.exp(-i / 20));
    expect(checkLossFalls(falling).passed).toBe(true);
    const flat = checkLossFalls(Array.from({ length: 40 }, (_, i) => 2.3 + 0.01 * Math.sin(i)));
    expect(flat.passed).toBe(false);
    expect(flat.reason).toMatch(/loss did not fall: mean of the last 4 steps/);
    const nan = checkLossFalls([...falling.slice(0, 20), NaN, ...falling.slice(21)]);
    expect(nan.passed).toBe(false);
    expect(nan.reason).toMatch(/loss became NaN at step 21/);
  });

  it('refuses to judge a run too short to tell', () => {
    const r = checkLossFalls([2, 1.5, 1]);
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/at least 6 are needed/);
  });

  it('keeps the first and last step in a thinned trajectory', () => {
    const t = lossTrajectory(
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
      50,
    );
    expect(t).toHaveLength(50);
    expect(t[0]).toEqual([1, 1000]);
    expect(t.at(-1)).toEqual([1000, 1]);
  });
});
