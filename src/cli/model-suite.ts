// `fedbench run --model FILE --input NAME=DIMS …`: a one-case suite for a user's ONNX model, validated like
// any suite, with the model's inputs checked against the given dimensions before anything runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import { createOrtSession } from '../engines/onnxruntime.js';
import { parseSuite, type Suite } from '../suite/index.js';
import { parseInputOption, resolveFeeds } from '../workloads/inference/input-spec.js';

export interface ModelOptions {
  model: string;
  input?: string[];
  scenario?: string;
  batch?: number[];
  findMaxQps?: boolean;
  targetQps?: number;
  p99BoundMs?: number;
}

export async function modelSuite(o: ModelOptions): Promise<Suite> {
  const file = path.resolve(o.model);
  if (!existsSync(file)) throw new InputError(`--model: file not found: ${file}`);
  const specs = Object.fromEntries((o.input ?? []).map(parseInputOption));
  const params: Record<string, unknown> = {
    model: file,
    inputs: Object.entries(specs)
      .map(([n, d]) => `${n}=${d}`)
      .join(' '),
    scenario: o.scenario ?? 'offline',
    ...(o.batch ? { batch: o.batch.length === 1 ? o.batch[0] : o.batch } : {}),
    ...(o.findMaxQps ? { findMaxQps: true } : {}),
    ...(o.targetQps ? { targetQps: o.targetQps } : {}),
    ...(o.p99BoundMs ? { p99BoundMs: o.p99BoundMs } : {}),
  };
  const suite = parseSuite(
    stringify({
      name: `model-${path.basename(file, '.onnx')}`,
      engines: ['onnxruntime'],
      benchmarks: [
        {
          id:
            path
              .basename(file, '.onnx')
              .toLowerCase()
              .replace(/[^a-z0-9._-]+/g, '-')
              .replace(/^[^a-z0-9]+/, '') || 'model',
          workload: 'onnx-model',
          params,
        },
      ],
    }),
    '--model options',
  );
  // Check the dimensions against the model now, so a bad spec is a usage error (exit 2), not a failed case.
  // A model ONNX Runtime cannot load is not a usage error: the case runs, fails with the engine's message and
  // leaves a failed record (exit 1), as a corrupt model inside a suite does.
  let session: Awaited<ReturnType<typeof createOrtSession>>;
  try {
    session = await createOrtSession(file, { providers: ['cpu'], threads: 1 });
  } catch {
    return suite;
  }
  try {
    const inputs = session.session.inputMetadata.map((m) => ({
      name: m.name,
      type: m.isTensor ? m.type : 'non-tensor',
      shape: m.isTensor ? [...m.shape] : [],
    }));
    for (const c of suite.cases)
      resolveFeeds(file, inputs, specs, c.params.scenario === 'offline' ? (c.params.batch as number) : 1);
  } finally {
    await session.session.release();
  }
  return suite;
}
