// ONNX Runtime (onnxruntime-node) with an execution-provider chain. The provider recorded is the one the
// session was created with; GPU providers are created with CPU fallback disabled, so a session that would
// quietly run some nodes on the CPU fails instead and the chain moves on (with the reason kept).
import { createRequire } from 'node:module';
import os from 'node:os';
import koffi from 'koffi';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel } from './onnx-model.js';
import type { BackendStatus, EngineProbe, Fallback } from './types.js';
import { errorLine } from '../errors.js';

// Failures reach the user as fallback reasons; ORT's own log would repeat them on stderr.
ort.env.logLevel = 'fatal';

export const ORT_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type OrtProvider = (typeof ORT_PROVIDERS)[number];

export interface OrtOptions {
  /** Providers to try, in order. Default: cuda → webgpu → cpu. */
  providers?: readonly OrtProvider[];
  /** Intra-op threads. Default: all CPUs reported by the OS. */
  threads?: number;
}

export interface OrtSession {
  session: ort.InferenceSession;
  provider: OrtProvider;
  threads: number;
  version: string;
  fallbacks: Fallback[];
}

export function ortVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

function sessionOptions(provider: OrtProvider, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
    ...(provider === 'cpu' ? {} : { extra: { session: { disable_cpu_ep_fallback: '1' } } }),
  };
}

export function defaultThreads(): number {
  // availableParallelism respects CPU affinity (Slurm cpusets), unlike os.cpus().length.
  return Math.max(1, os.availableParallelism());
}

/** First line of an ORT error without the C++ source location that precedes the useful part. */
export function ortErrorText(err: unknown): string {
  const line = errorLine(err);
  const afterCheck = /\bwas false\. (.*)$/.exec(line)?.[1];
  return (afterCheck ?? line.replace(/^\/onnxruntime_src\/\S+\s+/, '')).trim();
}

let probeModel: Uint8Array | null = null;
/** A one-node model: enough to learn whether a provider can start at all on this machine. */
function tinyModel(): Uint8Array {
  probeModel ??= buildOnnxModel({
    name: 'probe',
    inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  return probeModel;
}

// Whether a provider starts depends on the machine, not the model: ask once per process.
const providerStart = new Map<OrtProvider, Promise<string | null>>();

/**
 * On Linux, onnxruntime's webgpu provider (Dawn) runs on Vulkan and, without the Vulkan loader, prints
 * "Couldn't load Vulkan" on stderr whatever the log level: look for the loader first (a dlopen, as Dawn does),
 * so the reason lands in the record and nothing reaches the terminal.
 */
function vulkanProblem(): string | null {
  if (os.platform() !== 'linux') return null;
  try {
    koffi.load('libvulkan.so.1').unload();
    return null;
  } catch (err) {
    return `the Vulkan loader (libvulkan.so.1) cannot be loaded, which webgpu needs on Linux: install libvulkan1 and a Vulkan driver (${errorLine(err)})`;
  }
}

function providerProblem(provider: OrtProvider): Promise<string | null> {
  let known = providerStart.get(provider);
  const noVulkan = provider === 'webgpu' && !known ? vulkanProblem() : null;
  if (noVulkan) {
    known = Promise.resolve(noVulkan);
    providerStart.set(provider, known);
  }
  if (!known) {
    known = ort.InferenceSession.create(tinyModel(), sessionOptions(provider, 1)).then(
      async (s) => {
        await s.release();
        return null;
      },
      (err: unknown) => {
        const bundled = ort.listSupportedBackends().find((b) => b.name === provider)?.bundled;
        const note =
          bundled === false
            ? ' (provider library not bundled: install with ONNXRUNTIME_NODE_INSTALL=cuda12 on GPU sites)'
            : '';
        return ortErrorText(err) + note;
      },
    );
    providerStart.set(provider, known);
  }
  return known;
}

/** Creates a session on the first provider of the chain that accepts the model. */
export async function createOrtSession(model: Uint8Array | string, options: OrtOptions = {}): Promise<OrtSession> {
  const chain = options.providers ?? ORT_PROVIDERS;
  const threads = options.threads ?? defaultThreads();
  const fallbacks: Fallback[] = [];
  for (const provider of chain) {
    const problem = await providerProblem(provider);
    if (problem) {
      fallbacks.push({ backend: provider, reason: problem });
      continue;
    }
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions(provider, threads))
          : await ort.InferenceSession.create(model, sessionOptions(provider, threads));
      return { session, provider, threads, version: ortVersion(), fallbacks };
    } catch (err) {
      fallbacks.push({ backend: provider, reason: ortErrorText(err) });
    }
  }
  throw new Error(
    `onnxruntime: no execution provider could run the model (${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})`,
  );
}

/** Which providers this machine can use, each checked by creating a real session on a one-node model. */
export async function probeOrt(): Promise<EngineProbe> {
  const backends: BackendStatus[] = [];
  for (const provider of ORT_PROVIDERS) {
    const problem = await providerProblem(provider);
    backends.push(
      problem ? { name: provider, available: false, reason: problem } : { name: provider, available: true },
    );
  }
  return {
    engine: 'onnxruntime',
    package: 'onnxruntime-node',
    version: ortVersion(),
    available: backends.some((b) => b.available),
    backends,
  };
}

export { ort };
