// TensorFlow.js with a backend chain: tfjs-node-gpu → tfjs-node → wasm → cpu. tfjs can fail setBackend and
// carry on with its pure-JS 'cpu' backend without a word, so the backend recorded is the one tfjs reports
// after setBackend, checked against the one asked for. The wasm backend runs tfjs's threaded SIMD build
// (tfjs-wasm-threads.ts: off under Node as shipped) with the CPUs available, up to 8 threads.
import os from 'node:os';
import { installWasmTrainingKernels } from './tfjs-wasm-kernels.js';
import { disableWasmThreads, enableWasmThreads, MAX_WASM_THREADS } from './tfjs-wasm-threads.js';
import type { BackendStatus, EngineProbe, Fallback, Tf } from './types.js';
import { errorLine } from '../errors.js';

export type { Tf };
export const TFJS_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackend = (typeof TFJS_BACKENDS)[number];

export interface TfjsHandle {
  tf: Tf;
  backend: TfjsBackend;
  /** npm package that provides the backend. */
  package: string;
  version: string;
  /** Threads the backend computes with, where it says; null when the engine decides by itself. */
  threads: number | null;
  fallbacks: Fallback[];
  /** What tfjs printed while loading (kept out of --json output). */
  notes: string[];
}

const PACKAGE: Record<TfjsBackend, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Runs fn with console output captured: tfjs greets Node users on stdout, which would corrupt --json. */
async function quietly<T>(notes: string[], fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, info: console.info };
  const keep = (...args: unknown[]) => notes.push(args.map(String).join(' '));
  console.log = console.warn = console.info = keep;
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

export interface TfjsOptions {
  /** Threads for the wasm backend (its XNNPACK pool, at most 8); default: the CPUs available, up to 8. */
  threads?: number;
}

/** What tryBackend found, plus a degraded start worth recording (threads asked by default, not given). */
type Tried = Omit<TfjsHandle, 'fallbacks' | 'notes'> & { degraded?: Fallback };

/**
 * The wasm backend with `want` threads: the threaded build when want > 1, else the stock single-threaded one.
 * A thread count the user asked for must be given or fail; the default may fall back to one thread, said so.
 */
async function startWasm(tf: Tf, want: number, asked: boolean): Promise<Fallback | undefined> {
  let degraded: Fallback | undefined;
  if (want > 1) {
    try {
      await enableWasmThreads(want);
    } catch (err) {
      if (asked) throw err;
      degraded = { backend: `wasm ×${want} threads`, reason: `${errorLine(err)}; running the single-threaded build` };
      await disableWasmThreads();
    }
  } else {
    await disableWasmThreads(); // a threaded backend from an earlier case goes back to the stock build
  }
  if (!(await tf.setBackend('wasm')))
    throw new Error(`tf.setBackend('wasm') returned false (WebAssembly module failed to load)`);
  await tf.ready();
  return degraded;
}

async function tryBackend(backend: TfjsBackend, notes: string[], opts: TfjsOptions = {}): Promise<Tried> {
  return quietly(notes, async () => {
    if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
      const tf = (await import(PACKAGE[backend])) as Tf;
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`tf.setBackend('tensorflow') returned false`);
      await tf.ready();
      const b = tf.backend() as { isUsingGpuDevice?: boolean };
      if (backend === 'tensorflow-gpu' && b.isUsingGpuDevice === false) {
        throw new Error(
          'tfjs-node-gpu loaded, but TensorFlow found no usable GPU (check CUDA/cuDNN libraries and CUDA_VISIBLE_DEVICES)',
        );
      }
      return { tf, backend, package: PACKAGE[backend], version: tf.version.tfjs ?? tf.version_core, threads: null };
    }
    const tf = (await import('@tensorflow/tfjs')) as Tf;
    let threads: number | null = 1;
    let degraded: Fallback | undefined;
    if (backend === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const want = Math.min(MAX_WASM_THREADS, opts.threads ?? Math.max(1, os.availableParallelism()));
      degraded = await startWasm(tf, want, opts.threads !== undefined);
      threads = wasm.getThreadsCount();
      // Training needs Conv2DBackpropFilter and fast transposed products, which the package lacks.
      installWasmTrainingKernels(tf);
    } else {
      if (!(await tf.setBackend('cpu'))) throw new Error(`tf.setBackend('cpu') returned false`);
      await tf.ready();
    }
    if (tf.getBackend() !== backend) throw new Error(`asked for '${backend}', tfjs is running on '${tf.getBackend()}'`);
    return {
      tf,
      backend,
      package: PACKAGE[backend],
      version: tf.version_core,
      threads,
      ...(degraded ? { degraded } : {}),
    };
  });
}

const loaded = new Map<string, TfjsHandle>();

/**
 * Loads tfjs on the first backend of the chain that works. tfjs keeps one global backend per process:
 * a later call with another chain switches it where tfjs can (wasm ↔ cpu).
 */
export async function loadTfjs(
  chain: readonly TfjsBackend[] = TFJS_BACKENDS,
  opts: TfjsOptions = {},
): Promise<TfjsHandle> {
  const key = `${chain.join('>')}|${opts.threads ?? 'default'}`;
  const known = loaded.get(key);
  // Reuse only while tfjs still runs on that backend, with those threads (another case may have switched it since).
  if (
    known &&
    known.tf.getBackend() === (known.backend.startsWith('tensorflow') ? 'tensorflow' : known.backend) &&
    (known.backend !== 'wasm' || (await wasmThreads()) === known.threads)
  )
    return known;
  const fallbacks: Fallback[] = [];
  const notes: string[] = [];
  for (const backend of chain) {
    try {
      const { degraded, ...tried } = await tryBackend(backend, notes, opts);
      if (degraded) fallbacks.push(degraded);
      const handle: TfjsHandle = { ...tried, fallbacks, notes };
      loaded.set(key, handle);
      return handle;
    } catch (err) {
      fallbacks.push({ backend, reason: errorLine(err) });
    }
  }
  throw new Error(
    `tfjs: no backend could be started (${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})`,
  );
}

async function wasmThreads(): Promise<number> {
  return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}

/** Which tfjs backends this machine can use. Loading a backend has global effects in tfjs, so this is for `fedbench info`. */
export async function probeTfjs(): Promise<EngineProbe> {
  const backends: BackendStatus[] = [];
  let version: string | null = null;
  for (const backend of TFJS_BACKENDS) {
    try {
      const h = await tryBackend(backend, []);
      version = h.version;
      backends.push({
        name: backend,
        available: true,
        detail: `${h.package}${h.threads ? `, ${h.threads} thread(s)` : ''}${h.degraded ? ` (${h.degraded.backend}: ${h.degraded.reason})` : ''}`,
      });
    } catch (err) {
      backends.push({ name: backend, available: false, reason: errorLine(err) });
    }
  }
  return {
    engine: 'tfjs',
    package: '@tensorflow/tfjs',
    version,
    available: backends.some((b) => b.available),
    backends,
  };
}
