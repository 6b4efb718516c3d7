// Runs an opened model through the scenario its case asks for and turns the result into an Outcome.
import type { InferenceDetails } from '../../results/index.js';
import type { EngineChoice, EngineUsed, ExecuteContext, Outcome, Verification } from '../types.js';
import { createOrtSession, type ort, type OrtProvider } from '../../engines/onnxruntime.js';
import type { FeedSpec } from './input-spec.js';
import { makeFeeds } from './feeds.js';
import { runOffline, OFFLINE_METRIC } from './scenarios/offline.js';
import type { ScenarioParams } from './scenarios/params.js';
import type { QueryFn } from './scenarios/result.js';
import { runServer, SERVER_METRIC } from './scenarios/server.js';
import { runSingleStream, SINGLE_STREAM_METRIC } from './scenarios/single-stream.js';

export function scenarioMetric(p: ScenarioParams) {
  return p.scenario === 'offline'
    ? OFFLINE_METRIC
    : p.scenario === 'single-stream'
      ? SINGLE_STREAM_METRIC
      : SERVER_METRIC;
}

/** The part of an inference run's details that describes the model. */
export type ModelDetails = Pick<InferenceDetails, 'model' | 'modelFile'>;

/** A model ready to be queried at the case's batch size. */
export interface OpenedModel {
  engine: EngineUsed;
  query: QueryFn;
  verification?: Verification;
  /** What the model is; the scenario adds its own figures. */
  details: ModelDetails;
  warnings?: string[];
  dispose(): Promise<void> | void;
}

export async function runScenario(ctx: ExecuteContext<ScenarioParams>, model: OpenedModel): Promise<Outcome> {
  const p = ctx.params;
  try {
    const r =
      p.scenario === 'offline'
        ? await runOffline(model.query, p.batch, ctx.rules, ctx.hooks)
        : p.scenario === 'single-stream'
          ? await runSingleStream(model.query, { queries: p.queries, seconds: p.seconds }, ctx.rules, ctx.hooks)
          : await runServer(
              model.query,
              {
                targetQps: p.targetQps,
                p99BoundMs: p.p99BoundMs,
                queries: p.queries,
                seconds: p.seconds,
                findMaxQps: p.findMaxQps,
                seed: ctx.seed,
              },
              ctx.rules,
              ctx.hooks,
            );
    return {
      engine: model.engine,
      metric: r.metric,
      samples: r.samples,
      iterationSeconds: r.iterationSeconds,
      ...(model.verification ? { verification: model.verification } : {}),
      secondary: r.secondary,
      ...(r.measurement ? { measurement: r.measurement } : {}),
      warnings: [...(model.warnings ?? []), ...r.warnings],
      calls: r.calls,
      gigaWorkPerCall: null,
      // Offline counts samples; SingleStream and Server count queries
      callUnit: p.scenario === 'offline' ? { one: 'sample', many: 'samples' } : { one: 'query', many: 'queries' },
      details: { ...model.details, ...r.details },
    };
  } finally {
    await model.dispose();
  }
}

/** An ONNX Runtime session on the chosen provider chain. */
export async function openOrt(model: string | Uint8Array, choice: EngineChoice) {
  const s = await createOrtSession(model, {
    ...(choice.backend ? { providers: [choice.backend as OrtProvider] } : {}),
    ...(choice.threads ? { threads: choice.threads } : {}),
  });
  const engine: EngineUsed = {
    name: 'onnxruntime',
    backend: s.provider,
    package: 'onnxruntime-node',
    version: s.version,
    threads: s.threads,
    fallbacks: s.fallbacks,
  };
  return { ...s, engine };
}

/** The query of an ORT session: one run() on feeds made once, outside the timed region. */
export function ortQuery(session: ort.InferenceSession, feeds: readonly FeedSpec[], seed: number): QueryFn {
  const tensors = makeFeeds(feeds, seed);
  return () => session.run(tensors);
}
