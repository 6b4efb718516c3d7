// Turns a workload case into something the timing loop can call, on ONNX Runtime or tfjs.
// Everything that is not the work itself (model building, session creation, input upload, layout
// changes) happens here, outside the timed region.
import { Float16Array } from '@petamoriken/float16';
import { buildOnnxModel, type GraphSpec } from '../engines/onnx-model.js';
import { createOrtSession, ort, type OrtProvider } from '../engines/onnxruntime.js';
import { loadTfjs, type TfjsBackend } from '../engines/tfjs.js';
import { median } from '../measure/index.js';
import type { EngineChoice, EngineUsed, Inputs, KernelWorkload } from '../workloads/index.js';

export interface Executable {
  engine: EngineUsed;
  /** The timed call. */
  call: () => unknown;
  /** One call whose output is returned in the workload's reference layout, as fp32. */
  output(): Promise<Float32Array>;
  /**
   * Seconds per call that the engine's binding costs whatever the work: timed on a model that only hands back
   * outputs of this case's size (onnxruntime-node allocates a new zero-filled buffer per output and copies
   * into it). Absent where the engine has no such cost to measure.
   */
  callFloor?(): Promise<number>;
  dispose(): Promise<void>;
}

function toFloat32(data: unknown, type: string): Float32Array {
  if (type === 'float16') {
    const bits = data as Uint16Array;
    return Float32Array.from(new Float16Array(bits.buffer, bits.byteOffset, bits.length));
  }
  if (data instanceof Float32Array) return data;
  return Float32Array.from(data as ArrayLike<number>);
}

/** A model with no inputs whose outputs have the graph's output types and shapes: one Expand of a scalar each. */
export function outputOnlyGraph(graph: GraphSpec): GraphSpec | null {
  const outputs = graph.outputs;
  if (!outputs.every((o) => o.shape.every((d) => typeof d === 'number'))) return null;
  return {
    name: `${graph.name}-outputs-only`,
    inputs: [],
    outputs,
    nodes: outputs.map((o, i) => ({ op: 'Expand', inputs: [`value${i}`, `shape${i}`], outputs: [o.name] })),
    initializers: outputs.flatMap((o, i) => [
      {
        name: `value${i}`,
        dtype: o.dtype,
        dims: [],
        data:
          o.dtype === 'float16'
            ? new Uint16Array([0x3c00])
            : o.dtype === 'int64'
              ? new BigInt64Array([1n])
              : new Float32Array([1]),
      },
      {
        name: `shape${i}`,
        dtype: 'int64' as const,
        dims: [o.shape.length],
        data: BigInt64Array.from(o.shape as number[], BigInt),
      },
    ]),
  };
}

const FLOOR_WARMUP_CALLS = 20;
// Enough for a stable median of a call that does no work; little added to each case's time.
const FLOOR_SECONDS = 0.1;
const FLOOR_MAX_CALLS = 500;

/** Median seconds of a call of `session` on no inputs: warm-up and timing each bounded by FLOOR_SECONDS. */
async function timeEmptyCalls(session: ort.InferenceSession): Promise<number> {
  const warm = performance.now() + FLOOR_SECONDS * 1000;
  for (let i = 0; i < FLOOR_WARMUP_CALLS && (i < 2 || performance.now() < warm); i++) await session.run({});
  const times: number[] = [];
  const end = performance.now() + FLOOR_SECONDS * 1000;
  while (times.length < FLOOR_MAX_CALLS && (times.length < 5 || performance.now() < end)) {
    const t0 = performance.now();
    await session.run({});
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function compileOrt(
  w: KernelWorkload,
  params: Record<string, unknown>,
  inputs: Inputs,
  choice: EngineChoice,
): Promise<Executable> {
  const graph = w.onnx(params);
  const s = await createOrtSession(buildOnnxModel(graph), {
    ...(choice.backend ? { providers: [choice.backend as OrtProvider] } : {}),
    ...(choice.threads ? { threads: choice.threads } : {}),
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of graph.inputs) {
    const host = inputs[input.name];
    if (!host) throw new Error(`workload ${w.id} has no data for model input '${input.name}'`);
    feeds[input.name] =
      input.dtype === 'float16'
        ? new ort.Tensor('float16', new Uint16Array(new Float16Array(host.data).buffer), host.shape)
        : new ort.Tensor('float32', host.data, host.shape);
  }
  const outName = graph.outputs[0]!.name;
  return {
    engine: {
      name: 'onnxruntime',
      backend: s.provider,
      package: 'onnxruntime-node',
      version: s.version,
      threads: s.threads,
      fallbacks: s.fallbacks,
    },
    call: () => s.session.run(feeds),
    output: async () => {
      const out = (await s.session.run(feeds))[outName]!;
      return toFloat32(out.data, out.type);
    },
    // On a GPU provider the outputs' trip back to the host is another cost, not measured by this model.
    ...(s.provider === 'cpu'
      ? {
          callFloor: async () => {
            const floorGraph = outputOnlyGraph(graph);
            if (!floorGraph) throw new Error('outputs with symbolic dimensions');
            const floor = await createOrtSession(buildOnnxModel(floorGraph), {
              providers: [s.provider],
              threads: s.threads,
            });
            try {
              return await timeEmptyCalls(floor.session);
            } finally {
              await floor.session.release();
            }
          },
        }
      : {}),
    dispose: () => s.session.release(),
  };
}

async function compileTfjs(
  w: KernelWorkload,
  params: Record<string, unknown>,
  inputs: Inputs,
  choice: EngineChoice,
): Promise<Executable> {
  const h = await loadTfjs(
    choice.backend ? [choice.backend as TfjsBackend] : undefined,
    choice.threads ? { threads: choice.threads } : {},
  );
  const { tf } = h;
  const program = w.tfjs(tf, params);
  const tensors = program.prepare(inputs);
  // Ends every call with a one-element read-back, so backends that queue work (GPU) have finished it.
  const call = () => {
    const y = program.run(tensors);
    const probe = tf.tidy(() => tf.slice(tf.reshape(y, [-1]), 0, 1));
    probe.dataSync();
    probe.dispose();
    y.dispose();
  };
  return {
    engine: {
      name: 'tfjs',
      backend: h.backend,
      package: h.package,
      version: h.version,
      threads: h.threads,
      fallbacks: h.fallbacks,
    },
    call,
    output: async () => {
      const y = program.run(tensors);
      const r = program.toReference(y);
      const data = (await r.data()) as Float32Array;
      tf.dispose([y, r]);
      return Float32Array.from(data);
    },
    dispose: async () => tf.dispose(Object.values(tensors)),
  };
}

export function compile(
  w: KernelWorkload,
  params: Record<string, unknown>,
  inputs: Inputs,
  choice: EngineChoice,
): Promise<Executable> {
  return choice.engine === 'onnxruntime'
    ? compileOrt(w, params, inputs, choice)
    : compileTfjs(w, params, inputs, choice);
}
