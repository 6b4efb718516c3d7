// Matrix kernels: check the numbers at a small size against the workload's JavaScript reference, then
// time the real size. Everything except the work itself is set up by `compile`, outside the timed region.
import { measure, measurementSummary, median, summarize } from '../measure/index.js';
import { pct, shortDuration } from '../format.js';
import {
  SkipCase,
  WrongResults,
  worstError,
  type ExecuteContext,
  type KernelWorkload,
  type Outcome,
} from '../workloads/index.js';
import { compile, type Executable } from './executable.js';
import { errorText } from '../errors.js';

/** Engines say "not implemented" in their own words; such a case is skipped, not failed. */
const NOT_SUPPORTED = /Could not find an implementation|NOT_IMPLEMENTED|not supported|is not implemented/i;

async function compileOrSkip(...args: Parameters<typeof compile>): Promise<Executable> {
  try {
    return await compile(...args);
  } catch (err) {
    const text = errorText(err);
    if (NOT_SUPPORTED.test(text)) throw new SkipCase(`${args[3].engine} cannot run this case here: ${text}`);
    throw err;
  }
}

/** Above this share of a call, the binding's own cost is said in the record: the figure understates the engine. */
const ENGINE_CALL_WARNING = 0.05;

/** The engine binding's cost per call for this case's outputs (Executable.callFloor), after sampling. */
async function engineCallFloor(exe: Executable, medianSeconds: number): Promise<{ ns?: number; warnings: string[] }> {
  if (!exe.callFloor) return { warnings: [] };
  let seconds: number;
  try {
    seconds = await exe.callFloor();
  } catch (err) {
    return { warnings: [`the engine's own cost per call was not measured: ${errorText(err)}`] };
  }
  const share = seconds / medianSeconds;
  const warnings =
    share > ENGINE_CALL_WARNING
      ? [
          `${exe.engine.package}'s own cost of a call (a new output buffer, zero-filled and copied into: ${shortDuration(seconds)}, timed on a model that only writes outputs of this size) is ${pct(share, 'auto')} of a call: the engine itself runs this case faster; a larger size (e.g. batch) measures more of the kernel`,
        ]
      : [];
  return { ns: seconds * 1e9, warnings };
}

export async function executeKernel(w: KernelWorkload, ctx: ExecuteContext<Record<string, unknown>>): Promise<Outcome> {
  const p = ctx.params;
  const unsupported = w.unsupported(ctx.engine.engine, p);
  if (unsupported) throw new SkipCase(unsupported);

  // 1. Correctness at a small size.
  const vp = w.verifyParams(p);
  const vin = w.inputs(vp, ctx.seed);
  const small = await compileOrSkip(w, vp, vin, ctx.engine);
  ctx.onEngine(small.engine);
  let got: Float32Array;
  try {
    got = await small.output();
  } finally {
    await small.dispose();
  }
  const tol = w.tolerance(vp);
  const worst = worstError(got, w.reference(vin, vp), tol);
  const verification = {
    params: vp,
    passed: !worst || worst.excess <= 0,
    worstExcess: worst ? worst.excess : null,
    tolerance: tol,
  };
  if (worst && worst.excess > 0) {
    throw new WrongResults(
      `wrong results at verification size ${JSON.stringify(vp)}: element ${worst.index} is ${worst.got}, reference ${worst.want} (tolerance abs ${tol.abs} + rel ${tol.rel})`,
      verification,
    );
  }

  // 2. Timing at the real size.
  const exe = await compileOrSkip(w, p, w.inputs(p, ctx.seed), ctx.engine);
  try {
    ctx.onEngine(exe.engine);
    const m = await measure(exe.call, { rules: ctx.rules, ...ctx.hooks });
    const floor = await engineCallFloor(exe, median(m.iterationSeconds));
    const work = w.work(p);
    return {
      engine: exe.engine,
      metric: w.metric,
      samples: m.iterationSeconds.map((s) => work / s / 1e9),
      iterationSeconds: m.iterationSeconds,
      work: {
        perCall: work,
        note: w.workNote,
        ...(w.bytes && w.metric.unit === 'GFLOP/s' ? { bytesPerCall: w.bytes(p) } : {}),
      },
      verification,
      secondary: [{ name: 'time per call', unit: 's', direction: 'lower', stats: summarize(m.iterationSeconds) }],
      measurement: {
        ...measurementSummary(m, ctx.rules),
        harness: { ...m.harness, ...(floor.ns !== undefined ? { engineCallNs: floor.ns } : {}) },
      },
      warnings: [...m.warnings, ...floor.warnings],
      calls: m.iterationSeconds.length * m.callsPerSample,
      gigaWorkPerCall: work / 1e9,
    };
  } finally {
    await exe.dispose().catch(() => undefined);
  }
}
