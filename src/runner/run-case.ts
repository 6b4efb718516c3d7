// One case from start to record: check the numbers at a small size, then time the real size.
// Never throws: a case that cannot run, or computes wrong numbers, still yields a record saying why.
import { randomUUID } from 'node:crypto';
import { energyRecord, meterWindow, openMeters, unavailableEnergy, type EnergyOptions, type MeterWindow } from '../energy/index.js';
import { measure, summarize } from '../measure/index.js';
import { RUN_SCHEMA, type RunRecord, type SystemInfo } from '../results/index.js';
import type { Case } from '../suite/index.js';
import { worstError } from '../workloads/index.js';
import { compile, type EngineChoice, type EngineUsed, type Executable } from './executable.js';

export interface RunContext {
  campaign: string;
  system: SystemInfo;
  threads?: number;
  onSample?: (n: number, elapsedSeconds: number) => void;
  /** Where the energy sources are and what to leave out; defaults find them on this machine. */
  energy?: EnergyOptions;
}

/** Engines say "not implemented" in their own words; such a case is skipped, not failed. */
const NOT_SUPPORTED = /Could not find an implementation|NOT_IMPLEMENTED|not supported|is not implemented/i;

class Skip extends Error {}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

export async function runCase(c: Case, ctx: RunContext): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const w = c.workload;
  const choice: EngineChoice = { engine: c.engine, backend: c.backend, ...(ctx.threads ? { threads: ctx.threads } : {}) };
  let engine: EngineUsed | null = null;
  const base = (): RunRecord => ({
    schema: RUN_SCHEMA,
    id: randomUUID(),
    campaign: ctx.campaign,
    suite: c.suite,
    case: c.id,
    startedAt,
    finishedAt: new Date().toISOString(),
    status: 'ok',
    benchmark: { id: c.benchmark.id, kind: w.kind, workload: w.id, params: c.params },
    engine: {
      name: c.engine,
      backend: engine?.backend ?? null,
      package: engine?.package ?? null,
      version: engine?.version ?? null,
      threads: engine?.threads ?? null,
      requested: c.backend ? [c.backend] : [],
      fallbacks: engine?.fallbacks ?? [],
    },
    metric: w.metric,
    work: { perCall: w.work(c.params), note: w.workNote },
    samples: [],
    iterationSeconds: [],
    secondary: [],
    warnings: [],
    energy: unavailableEnergy('no measured window: the case ended before timing'),
    system: ctx.system,
  });

  let exe: Executable | null = null;
  let meters: MeterWindow | null = null;
  let verification: RunRecord['verification'];
  try {
    const unsupported = w.unsupported(c.engine, c.params);
    if (unsupported) throw new Skip(unsupported);

    // 1. Correctness at a small size against a plain JavaScript reference.
    const vp = w.verifyParams(c.params);
    const vin = w.inputs(vp, c.seed);
    const small = await compileOrSkip(w, vp, vin, choice);
    engine = small.engine;
    const got = await small.output();
    await small.dispose();
    const tol = w.tolerance(vp);
    const worst = worstError(got, w.reference(vin, vp), tol);
    verification = { params: vp, passed: !worst || worst.excess <= 0, worstExcess: worst ? worst.excess : null, tolerance: tol };
    if (worst && worst.excess > 0) {
      return {
        ...base(),
        status: 'failed',
        verification,
        error: `wrong results at verification size ${JSON.stringify(vp)}: element ${worst.index} is ${worst.got}, reference ${worst.want} (tolerance abs ${tol.abs} + rel ${tol.rel})`,
      };
    }

    // 2. Timing at the real size.
    exe = await compileOrSkip(w, c.params, w.inputs(c.params, c.seed), choice);
    engine = exe.engine;
    // Energy meters frame the sampling only (warm-up excluded): the energy window is the measured window.
    const window = meterWindow(await openMeters(ctx.energy));
    meters = window;
    const ended: { energy?: Awaited<ReturnType<MeterWindow['stop']>> } = {};
    const m = await measure(exe.call, {
      rules: c.rules,
      onSample: (n, elapsed) => {
        window.poll();
        ctx.onSample?.(n, elapsed);
      },
      onSamplingStart: () => window.start(),
      onSamplingEnd: async () => {
        ended.energy = await window.stop();
      },
    });
    const work = w.work(c.params);
    const samples = m.iterationSeconds.map((s) => work / s / 1e9);
    const measured = ended.energy;
    const energy = measured
      ? energyRecord(measured.readings, measured.unavailable, { calls: m.iterationSeconds.length * m.callsPerSample, workPerCall: work / 1e9, metricUnit: w.metric.unit })
      : unavailableEnergy('energy meters were not stopped');
    const record: RunRecord = {
      ...base(),
      verification,
      samples,
      iterationSeconds: m.iterationSeconds,
      stats: summarize(samples),
      secondary: [{ name: 'time per call', unit: 's', direction: 'lower', stats: summarize(m.iterationSeconds) }],
      measurement: {
        callsPerSample: m.callsPerSample,
        warmup: m.warmup,
        stopReason: m.stopReason,
        samplingSeconds: m.samplingSeconds,
        rules: c.rules as unknown as Record<string, unknown>,
        harness: m.harness,
      },
      warnings: [...m.warnings, ...(measured?.warnings ?? [])],
      energy,
    };
    return record;
  } catch (err) {
    if (err instanceof Skip) return { ...base(), status: 'skipped', error: err.message, ...(verification ? { verification } : {}) };
    return { ...base(), status: 'failed', error: errorText(err), ...(verification ? { verification } : {}) };
  } finally {
    await meters?.close();
    await exe?.dispose().catch(() => undefined);
  }
}

async function compileOrSkip(...args: Parameters<typeof compile>): Promise<Executable> {
  try {
    return await compile(...args);
  } catch (err) {
    const text = errorText(err);
    if (NOT_SUPPORTED.test(text)) throw new Skip(`${args[3].engine} cannot run this case here: ${text}`);
    throw err;
  }
}
