// One case from start to record, whatever its kind. Never throws: a case that cannot run, or computes
// wrong numbers, still yields a record saying why. Energy meters frame the workload's measured window.
import { randomUUID } from 'node:crypto';
import {
  energyRecord,
  meterWindow,
  openMeters,
  unavailableEnergy,
  type EnergyOptions,
  type MeterWindow,
} from '../energy/index.js';
import { modesText } from '../format.js';
import { keepFreedMemoryInHeap, summarize, type Stats } from '../measure/index.js';
import { newRecord, type RecordInit, type RunRecord, type SystemInfo } from '../results/index.js';
import type { Case } from '../suite/index.js';
import {
  metricOf,
  SkipCase,
  WrongResults,
  type EngineChoice,
  type EngineUsed,
  type ExecuteContext,
  type Outcome,
  type Verification,
} from '../workloads/index.js';
import { CommandFailed } from '../workloads/command/index.js';
import { executeKernel } from './kernel.js';
import { errorText } from '../errors.js';

export interface RunContext {
  campaign: string;
  system: SystemInfo;
  threads?: number;
  onSample?: (n: number, elapsedSeconds: number) => void;
  /** Where the energy sources are and what to leave out; defaults find them on this machine. */
  energy?: EnergyOptions;
}

function execute(c: Case, ctx: ExecuteContext<Record<string, unknown>>): Promise<Outcome> {
  const w = c.workload;
  if (w.kind === 'kernel') return executeKernel(w, ctx);
  const unsupported = w.engines.includes(c.engine)
    ? w.unsupported(c.engine, c.params)
    : `${w.id} exists on ${w.engines.join(', ')}, not on ${c.engine}`;
  if (unsupported) return Promise.reject(new SkipCase(unsupported));
  return w.execute(ctx);
}

/** GPU workers of a whole-node run on this node (set by slurm/templates/gpu-worker.sh), else 1. */
function workersAtOnce(): number {
  const n = Number(process.env.FEDBENCH_WORKERS);
  return Number.isInteger(n) && n > 1 ? n : 1;
}

export async function runCase(c: Case, ctx: RunContext): Promise<RunRecord> {
  // Before the engine allocates anything: every kind of workload, timed by measure() or by its own loop.
  keepFreedMemoryInHeap();
  const startedAt = new Date().toISOString();
  const choice: EngineChoice = {
    engine: c.engine,
    backend: c.backend,
    ...(ctx.threads ? { threads: ctx.threads } : {}),
  };
  let engine: EngineUsed | null = null;
  // Every record of the case comes from the factory; `found` is what the case got to (figures, or why it did not).
  const record = (found: Partial<RecordInit> = {}): RunRecord =>
    newRecord({
      id: randomUUID(),
      campaign: ctx.campaign,
      suite: c.suite,
      case: c.id,
      startedAt,
      finishedAt: new Date().toISOString(),
      benchmark: { id: c.benchmark.id, kind: c.workload.kind, workload: c.workload.id, params: c.params },
      engine: { ...engine, name: c.engine, requested: c.backend ? [c.backend] : [] },
      metric: metricOf(c.workload, c.params),
      ...(c.workload.kind === 'kernel'
        ? { work: { perCall: c.workload.work(c.params), note: c.workload.workNote } }
        : {}),
      energy: unavailableEnergy('no measured window: the case ended before timing'),
      system: ctx.system,
      ...found,
    });

  let meters: MeterWindow | null = null;
  // a ranked or marked program goes on while the meters start: the end and the close wait for the start
  let starting: Promise<void> | null = null;
  let measuredEnergy: Awaited<ReturnType<MeterWindow['stop']>> | undefined;
  try {
    // Opened before the case starts, started when sampling does: opening (nvmlInit, a first nvidia-smi) can take a
    // second on a GPU node, and a program that marks its own window (ranks, commands) goes on while it is started.
    meters = meterWindow(await openMeters(ctx.energy));
    const outcome = await execute(c, {
      params: c.params,
      engine: choice,
      seed: c.seed,
      rules: c.rules,
      onEngine: (e) => (engine = e),
      hooks: {
        onSample: (n, elapsed) => {
          meters?.poll();
          ctx.onSample?.(n, elapsed);
        },
        // Meters start just before sampling starts (warm-up excluded): the energy window is the measured window.
        onSamplingStart: async () => {
          starting = meters?.start() ?? null;
          await starting;
        },
        onSamplingEnd: async () => {
          if (!starting) return;
          await starting;
          measuredEnergy = await meters?.stop();
        },
      },
    });
    engine = outcome.engine;
    const energy = measuredEnergy
      ? energyRecord(measuredEnergy.readings, measuredEnergy.unavailable, {
          calls: outcome.calls,
          workPerCall: outcome.gigaWorkPerCall ?? undefined,
          metricUnit: outcome.metric.unit,
          ...(outcome.callUnit ? { callUnit: outcome.callUnit } : {}),
          ...(workersAtOnce() > 1 ? { sharedBy: workersAtOnce() } : {}),
        })
      : unavailableEnergy('energy meters were not started: the workload reported no measured window');
    const stats = outcome.samples.length ? summarize(outcome.samples) : null;
    return record({
      metric: outcome.metric,
      ...(outcome.work ? { work: outcome.work } : {}),
      ...(outcome.verification ? { verification: outcome.verification } : {}),
      samples: outcome.samples,
      iterationSeconds: outcome.iterationSeconds,
      ...(stats ? { stats } : {}),
      secondary: outcome.secondary,
      ...(outcome.measurement ? { measurement: outcome.measurement } : {}),
      ...(outcome.details ? { details: outcome.details } : {}),
      warnings: [
        ...outcome.warnings,
        ...(stats ? sampleShapeWarnings(stats, outcome.metric.unit) : []),
        ...(measuredEnergy?.warnings ?? []),
      ],
      energy,
    });
  } catch (err) {
    if (err instanceof SkipCase) return record({ status: 'skipped', error: err.message });
    const verification: Verification | undefined = err instanceof WrongResults ? err.verification : undefined;
    // a user's program that failed keeps its argv, exit code and stderr's tail
    const details = err instanceof CommandFailed ? { details: err.details } : {};
    return record({
      status: 'failed',
      error: errorText(err),
      ...(verification ? { verification } : {}),
      ...details,
    });
  } finally {
    await (starting as Promise<void> | null)?.catch(() => undefined);
    await (meters as MeterWindow | null)?.close();
  }
}

/** What the samples' shape says about the figure: more than one mode, or phases that make samples count for less. */
function sampleShapeWarnings(stats: Stats, unit: string): string[] {
  const out: string[] = [];
  if (stats.modes)
    out.push(
      `multimodal samples (${modesText(stats)} ${unit}): the median depends on which mode the run sampled; compare such figures only by their modes`,
    );
  if (stats.effectiveN < stats.n / 2)
    out.push(
      `samples come in phases (autocorrelated): ${stats.n} samples are worth ${Math.round(stats.effectiveN)} independent ones, and the 95% interval is widened to match`,
    );
  return out;
}
