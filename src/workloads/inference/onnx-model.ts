// Any ONNX model file the user brings: inputs are discovered from the model, dynamic dimensions come from
// the case (`inputs: "NAME=DIMS NAME=DIMS"`, or `--input NAME=DIMS` on the command line), fp32/fp16/int
// inputs get seeded data. A missing, corrupt or unsupported model fails its case with a message naming the file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError, errorText } from '../../errors.js';
import { ortErrorText } from '../../engines/onnxruntime.js';
import type { CustomWorkload } from '../types.js';
import { makeFeeds, outputAsFloat32 } from './feeds.js';
import { parseDims, resolveFeeds, type ModelInput } from './input-spec.js';
import { openOrt, ortQuery, runScenario, scenarioMetric } from './run.js';
import { checkScenario, scenarioFields } from './scenarios/params.js';

/** `NAME=DIMS NAME=DIMS …` (space-separated), each DIMS as for --input. */
export function parseInputList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.trim().split(/\s+/).filter(Boolean)) {
    const at = item.indexOf('=');
    if (at < 1)
      throw new InputError(
        `inputs: expected NAME=DIMS items separated by spaces (e.g. "pixel_values=1x3x224x224"), got '${item}'`,
      );
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

const params = z
  .strictObject({ ...scenarioFields, model: z.string().min(1), inputs: z.string().default('') })
  .superRefine(checkScenario)
  .superRefine((p, ctx) => {
    try {
      for (const [name, dims] of Object.entries(parseInputList(p.inputs))) parseDims(dims, `input '${name}'`);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['inputs'], message: errorText(err) });
    }
  });

export const onnxModel: CustomWorkload<z.infer<typeof params>> = {
  kind: 'inference',
  id: 'onnx-model',
  description: 'a user-supplied .onnx model on ONNX Runtime, inputs discovered from the model',
  params,
  metric: (p) => scenarioMetric(p),
  metricSummary: 'Offline samples/s | SingleStream p90 ms | Server achieved QPS at a p99 bound',
  engines: ['onnxruntime'],
  unsupported: () => null,
  execute: async (ctx) => {
    const p = ctx.params;
    const file = path.resolve(p.model);
    if (!existsSync(file)) throw new Error(`model file not found: ${file}`);
    let s: Awaited<ReturnType<typeof openOrt>>;
    try {
      s = await openOrt(file, ctx.engine);
    } catch (err) {
      throw new Error(
        `${file}: ONNX Runtime cannot load this model: ${ortErrorText(err).replace(/^onnxruntime: /, '')}`,
      );
    }
    ctx.onEngine(s.engine);
    try {
      const inputs: ModelInput[] = s.session.inputMetadata.map((m) => {
        if (!m.isTensor)
          throw new Error(`${file}: input '${m.name}' is not a tensor (sequences and maps are not supported)`);
        return { name: m.name, type: m.type, shape: [...m.shape] };
      });
      const feeds = resolveFeeds(file, inputs, parseInputList(p.inputs), p.scenario === 'offline' ? p.batch : 1);
      let out: Awaited<ReturnType<typeof s.session.run>>;
      try {
        out = await s.session.run(makeFeeds(feeds, ctx.seed));
      } catch (err) {
        throw new Error(
          `${file}: the model failed on inputs ${feeds.map((f) => `${f.name} [${f.dims.join('x')}] ${f.type}`).join(', ')}: ${ortErrorText(err)}`,
        );
      }
      const outputs = s.session.outputNames.map((n) => ({ name: n, type: out[n]!.type, dims: [...out[n]!.dims] }));
      const nonFinite = s.session.outputNames.filter(
        (n) => ['float32', 'float16'].includes(out[n]!.type) && !outputAsFloat32(out[n]!).every(Number.isFinite),
      );
      const session = s.session;
      return await runScenario(ctx, {
        engine: s.engine,
        query: ortQuery(session, feeds, ctx.seed),
        // No reference exists for an arbitrary model: the check is that it runs and what it returns.
        verification: {
          params: { check: 'runs on the given inputs; float outputs finite', outputs },
          passed: true,
          worstExcess: null,
          tolerance: { abs: 0, rel: 0 },
        },
        warnings: nonFinite.length
          ? [`output(s) ${nonFinite.join(', ')} contain NaN or Inf on seeded random inputs`]
          : [],
        details: {
          model: {
            file,
            inputs: feeds.map((f) => ({
              name: f.name,
              type: f.type,
              dims: f.dims,
              ...(f.fill !== undefined ? { value: f.fill } : {}),
            })),
            declared: inputs,
            outputs,
          },
        },
        dispose: () => session.release(),
      });
    } catch (err) {
      await s.session.release().catch(() => undefined);
      throw err;
    }
  },
};
