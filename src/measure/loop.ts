// The timing loop: warm-up until stable, then samples until a stopping rule holds. Raw times are kept.
import { pct } from '../format.js';
import { keepFreedMemoryInHeap } from './allocator.js';
import { summarize } from './stats.js';
import type { MeasurementSummary } from '../results/record.js';
import { samplingWarnings } from './warnings.js';
import { samplingDecision, warmupDecision, type StopReason, type StoppingRules, type WarmupEnd } from './stopping.js';

/** The function the loop times: one call is one unit of work (sync, or async and awaited). */
export type TimedCall = () => unknown;

/** What the harness cost and how the process was set up: the record's `measurement.harness` (one contract). */
export type HarnessCost = MeasurementSummary['harness'];

export interface Measurement {
  /** Seconds per call of the workload, one entry per sample (sample time / callsPerSample). */
  iterationSeconds: number[];
  callsPerSample: number;
  warmup: { iterations: number; seconds: number; end: WarmupEnd };
  stopReason: StopReason;
  /** Wall time spent sampling (excluding warm-up). */
  samplingSeconds: number;
  harness: HarnessCost;
  warnings: string[];
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Runs `fn` `calls` times back to back and returns the elapsed seconds. Sync workloads are not awaited. */
async function timeCalls(fn: TimedCall, calls: number, isAsync: boolean): Promise<number> {
  if (isAsync) {
    const t0 = now();
    for (let i = 0; i < calls; i++) await fn();
    return now() - t0;
  }
  const t0 = now();
  for (let i = 0; i < calls; i++) fn();
  return now() - t0;
}

function isThenable(x: unknown): boolean {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

export async function measureHarnessCost(
  isAsync: boolean,
  calls = 20_000,
): Promise<Omit<HarnessCost, 'fractionOfMedian'>> {
  let sink = 0;
  const clockReads = 10_000;
  const t0 = now();
  for (let i = 0; i < clockReads; i++) sink += now();
  const timerNs = ((now() - t0) / clockReads) * 1e9;
  const empty: TimedCall = isAsync ? async () => undefined : () => undefined;
  await timeCalls(empty, calls, isAsync); // let the JIT settle
  const loopNsPerCall = Math.min(
    ...(await Promise.all([0, 1, 2].map(async () => ((await timeCalls(empty, calls, isAsync)) / calls) * 1e9))),
  );
  if (sink === -1) console.log(sink); // keep the clock reads alive
  return { timerNs, loopNsPerCall };
}

export interface MeasureOptions {
  rules: StoppingRules;
  /** Called after each sample, e.g. to drive a progress bar. */
  onSample?: (n: number, elapsedSeconds: number) => void;
  /** Awaited just before the first timed sample (after warm-up), e.g. to start energy meters. */
  onSamplingStart?: () => unknown;
  /** Awaited just after the last timed sample, before anything else runs. */
  onSamplingEnd?: () => unknown;
}

export async function measure(
  fn: TimedCall,
  { rules, onSample, onSamplingStart, onSamplingEnd }: MeasureOptions,
): Promise<Measurement> {
  const warnings: string[] = [];
  const allocator = keepFreedMemoryInHeap();
  // First call tells whether the workload is async and gives a first time estimate.
  let t0 = now();
  const first = fn();
  const isAsync = isThenable(first);
  if (isAsync) await first;
  const firstSeconds = now() - t0;

  // Warm-up: single calls until their times are stable.
  const warmTimes: number[] = [firstSeconds];
  const warmStart = t0;
  let warmEnd: WarmupEnd | null = warmupDecision(rules.warmup, warmTimes, 0);
  while (!warmEnd) {
    warmTimes.push(await timeCalls(fn, 1, isAsync));
    warmEnd = warmupDecision(rules.warmup, warmTimes, now() - warmStart);
  }
  const warmSeconds = now() - warmStart;
  if (warmEnd === 'time-out')
    warnings.push(
      `warm-up did not stabilise within ${rules.warmup.maxSeconds} s (cv of last ${rules.warmup.window} calls above ${rules.warmup.stableCv})`,
    );
  const sortedWarm = [...warmTimes.slice(-rules.warmup.window)].sort((a, b) => a - b);
  const typicalCall = sortedWarm[Math.floor(sortedWarm.length / 2)] ?? firstSeconds;
  if (warmTimes.length > 1 && firstSeconds > 10 * typicalCall) {
    warnings.push(
      `first call took ${(firstSeconds / typicalCall).toFixed(0)}x the steady-state time (one-off initialisation; excluded by warm-up)`,
    );
  }

  // Short calls are grouped so that one sample lasts at least minSampleSeconds.
  const callsPerSample = Math.max(1, Math.ceil(rules.minSampleSeconds / Math.max(typicalCall, 1e-9)));

  const sampleSeconds: number[] = [];
  const perCall: number[] = [];
  let stopReason: StopReason | null = null;
  let nextCheck = 1;
  await onSamplingStart?.();
  t0 = now();
  while (!stopReason) {
    const s = await timeCalls(fn, callsPerSample, isAsync);
    sampleSeconds.push(s);
    perCall.push(s / callsPerSample);
    const elapsed = now() - t0;
    onSample?.(perCall.length, elapsed);
    // Re-summarising every sample is O(n log n); past 100 samples check only every ~5% growth.
    if (perCall.length >= nextCheck || elapsed >= rules.maxSeconds) {
      stopReason = samplingDecision(rules, { samples: perCall, elapsedSeconds: elapsed });
      nextCheck = perCall.length < 100 ? perCall.length + 1 : Math.ceil(perCall.length * 1.05);
    }
  }
  const samplingSeconds = now() - t0;
  await onSamplingEnd?.();

  const cost = await measureHarnessCost(isAsync);
  const stats = summarize(perCall);
  const harness: HarnessCost = { ...cost, fractionOfMedian: cost.loopNsPerCall / 1e9 / stats.median, allocator };

  warnings.push(...samplingWarnings(stats, perCall, stopReason, rules, 'sample times'));
  if (harness.fractionOfMedian > 0.01)
    warnings.push(
      `harness overhead is ${pct(harness.fractionOfMedian, 'auto')} of a call: the workload is too short to time precisely`,
    );

  return {
    iterationSeconds: perCall,
    callsPerSample,
    warmup: { iterations: warmTimes.length, seconds: warmSeconds, end: warmEnd },
    stopReason,
    samplingSeconds,
    harness,
    warnings,
  };
}

/** What a record keeps of a measurement besides the raw times: how it was taken and what it cost. */
export function measurementSummary(m: Measurement, rules: StoppingRules): MeasurementSummary {
  return {
    callsPerSample: m.callsPerSample,
    warmup: m.warmup,
    stopReason: m.stopReason,
    samplingSeconds: m.samplingSeconds,
    rules,
    harness: m.harness,
  };
}
