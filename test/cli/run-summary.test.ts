// The run's closing summary: one line per case with its problems as flags, at most one line of advice per kind of
// problem (naming the cases), the full warnings only with --verbose — and a warning of no known kind never hidden.
// Records are constructed (src/bench/synthetic.ts); the warning texts are those fedbench's producers write.
import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { classifyWarning, runSummary } from '../../src/cli/run-summary.js';
import { DEFAULT_RULES, samplingWarnings, summarize } from '../../src/measure/index.js';
import type { RunRecord } from '../../src/results/index.js';

const NOISY = 'noisy run: coefficient of variation 100.9% (> 10%)';
const NOISE_TARGET = 'noise target not met: median 95% CI ±58.7% > ±2.00% after 132 samples (time-out)';
const OUTLIERS = '63 of 252 samples are outliers (modified z-score > 3.5)';
const PHASES =
  'samples come in phases (autocorrelated): 252 samples are worth 23 independent ones, and the 95% interval is widened to match';
const WARMUP = 'warm-up did not stabilise within 1 s (cv of last 5 calls above 0.05)';
const FIRST_CALL = 'first call took 38x the steady-state time (one-off initialisation; excluded by warm-up)';
const MODES =
  'multimodal samples (2 modes: 18% ≈ 3.552, 82% ≈ 84.04 GFLOP/s): the median depends on which mode the run sampled; compare such figures only by their modes';
const BINDING =
  "onnxruntime-node's own cost of a call (a new output buffer, zero-filled and copied into: 40 µs, timed on a model that only writes outputs of this size) is 17.8% of a call: the engine itself runs this case faster; a larger size (e.g. batch) measures more of the kernel";
const SERVER = 'p99 latency 120.00 ms exceeds the bound of 100 ms at 50.00 queries/s: not a valid Server result';

function record(bench: string, warnings: string[], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    ...syntheticRecord({ site: 'here', benchmark: bench, params: { n: 512, dtype: 'fp32' }, median: 40, n: 30 }),
    warnings,
    ...extra,
  };
}

describe('classifyWarning', () => {
  it('knows the kinds fedbench writes, and not a warning it has never seen', () => {
    expect([NOISY, NOISE_TARGET, OUTLIERS, PHASES, WARMUP].map((w) => classifyWarning(w)?.kind)).toEqual(
      Array(5).fill('unsteady'),
    );
    expect(classifyWarning(MODES)).toEqual({ kind: 'modes', flag: '2 modes' });
    expect(classifyWarning(BINDING)).toEqual({ kind: 'binding', flag: 'binding 18%' });
    expect(classifyWarning(FIRST_CALL)).toEqual({ kind: 'note' });
    expect(classifyWarning(SERVER)).toBeNull();
  });

  it('knows every warning the sampling rules write, as they write them today', () => {
    // a noisy series with outliers that ran out of time, and a steady drift: every sampling warning
    const noisy = Array.from({ length: 60 }, (_, i) => 1 + i / 30 + (i % 7 === 0 ? 5 : 0) + (i % 2) * 0.3);
    const ramp = Array.from({ length: 60 }, (_, i) => 1 + i / 100);
    const written = [noisy, ramp].flatMap((series) =>
      samplingWarnings(summarize(series), series, 'time-out', DEFAULT_RULES, 'sample times'),
    );
    for (const start of ['noise target not met', 'noisy run', 'drifting run'])
      expect(written.some((w) => w.startsWith(start))).toBe(true);
    expect(written.some((w) => /^\d+ of \d+ samples are outliers/.test(w))).toBe(true);
    for (const w of written) expect(classifyWarning(w)?.kind, w).toBe('unsteady');
  });
});

describe('runSummary', () => {
  const records = [
    record('gemm', [WARMUP, FIRST_CALL, NOISE_TARGET, NOISY]),
    record('conv2d', [NOISE_TARGET, NOISY, OUTLIERS, PHASES]),
    record('attention', [NOISE_TARGET, MODES, BINDING]),
    record('infer-cnn', [SERVER]),
    record('bandwidth', []),
    record('gemm', [], {
      status: 'skipped',
      error: 'tfjs has no float16 tensor type',
      case: 'gemm/tfjs/n=512,dtype=fp16',
    }),
  ];

  it('one line per case at 100 columns, its flags in the row; one advice line per kind, naming the cases', () => {
    const text = runSummary(records, { width: 100, out: 'results/x' });
    const lines = text.split('\n');
    expect(lines.filter((l) => [...l].length > 100)).toEqual([]);
    const row = (bench: string) => lines.filter((l) => l.startsWith(`${bench} `));
    // the shared parameters are said once above the table, and each case is one line
    expect(lines[0]).toMatch(/^every gemm case below: n=512/);
    expect(row('gemm')).toHaveLength(2);
    expect(row('gemm')[0]).toMatch(/onnxruntime\/cuda +[\d.]+ +\[[\d.]+, [\d.]+\] +GFLOP\/s +30 +noisy$/);
    expect(row('conv2d')[0]).toMatch(/ noisy$/);
    expect(row('attention')[0]).toMatch(/ wide CI, 2 modes, binding 18%$/);
    expect(row('infer-cnn')[0]).toMatch(/ 1 warning$/);
    expect(row('bandwidth')[0]).toMatch(/ 30$/);
    expect(lines.filter((l) => l.startsWith('advice: '))).toEqual([
      expect.stringMatching(
        /^advice: 3 cases did not settle on this machine \(gemm\/onnxruntime\/dtype=fp32, conv2d\/onnxruntime,/,
      ),
      expect.stringMatching(/^advice: 1 case sampled in several modes \(attention\/onnxruntime\)/),
      expect.stringMatching(/^advice: onnxruntime-node's own cost of a call is over 5% of the call in 1 case/),
    ]);
    // a warning of no known kind is printed whole; a one-off first call (already excluded) is not advice
    expect(text).toContain(`warning: infer-cnn/onnxruntime: ${SERVER.slice(0, 60)}`);
    expect(text).not.toContain('first call took');
    expect(text).toMatch(/skipped: gemm\/tfjs\/dtype=fp16: tfjs has no float16 tensor type/);
    expect(lines.at(-1)).toMatch(
      /^every warning in full: each record's "warnings" in results\/x, the report, or run with/,
    );
  });

  it('--verbose prints every warning of every case in full instead of the advice', () => {
    const text = runSummary(records, { width: 400, verbose: true });
    expect(text).not.toContain('advice:');
    for (const w of [WARMUP, FIRST_CALL, NOISE_TARGET, NOISY, OUTLIERS, PHASES, MODES, BINDING, SERVER])
      expect(text).toContain(w);
  });

  it("labels an interval that is only the samples' range (too few samples for a 95% interval)", () => {
    const base = record('gemm', []);
    const two = {
      ...base,
      stats: { ...base.stats!, n: 2, min: 10, max: 12, ci95: [10, 12] as [number, number], ciMethod: 'none' as const },
    };
    expect(runSummary([two], { width: 100 })).toMatch(/range \[10, 12\]/);
    expect(runSummary([base], { width: 100 })).not.toMatch(/range \[/);
  });
});
