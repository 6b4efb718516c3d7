// Multi-threaded tfjs-backend-wasm under Node. tfjs 4.22 ships a threaded SIMD build (XNNPACK thread pool on
// Emscripten pthreads, i.e. worker_threads), but keeps it off under Node:
// - the WASM_HAS_MULTITHREAD_SUPPORT flag returns false whenever IS_NODE;
// - its init() hands Emscripten a `blob:` URL for the pthread worker script (locateFile('*.worker.js') →
//   URL.createObjectURL(Blob)), and worker_threads cannot load blob: URLs; each worker is then sent the main
//   Emscripten script as a Blob, which it also opens through a blob: URL;
// - XNNPACK's pool gets min(requested, ⌊os.cpus().length / 2⌋, 8) threads: on a 2-vCPU machine, 1.
// enableWasmThreads() wraps the registered 'wasm' backend factory. While the factory runs (only then) it sets
// the flag, answers URL.createObjectURL for the worker Blob with a real file (the package's own worker
// script, written to a cache folder as .cjs, prefixed with a two-line shim that makes the worker load the
// package's wasm-out/tfjs-backend-wasm-threaded-simd.js from disk instead of the Blob), and reports enough CPUs
// for the requested thread count; then it restores all three. Afterwards it checks that the threaded build
// was used and that XNNPACK has exactly the requested threads, and unrefs the pthread workers: their threads
// live as long as the backend, and a ref'd worker would keep Node from exiting. `tf.removeBackend('wasm')`
// (BackendWasm.dispose → PThread.terminateAllThreads), or disableWasmThreads(), ends them explicitly.
// Nothing in node_modules is modified.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { writeFileAtomicSync } from '../files.js';
import type { Tf } from './types.js';

type BackendFactory = () => TF.KernelBackend | Promise<TF.KernelBackend>;

const require = createRequire(import.meta.url);
const WASM_PKG = '@tensorflow/tfjs-backend-wasm';
const WASM_PRIORITY = 2; // tfjs-backend-wasm's own registration priority
/** XNNPACK in tfjs-backend-wasm 4.22 never builds a pool of more than 8 threads. */
export const MAX_WASM_THREADS = 8;
/** Type the threaded build's locateFile gives the worker Blob (the main-script Blob is 'text/javascript'). */
const WORKER_BLOB_TYPE = 'application/javascript';

export interface EnableWasmThreadsOptions {
  /** Folder for the pthread worker script; default `<os.tmpdir()>/fedbench-<uid>`. */
  cacheDir?: string;
  /** Give up on a backend that has not started within this time (a pthread worker that fails to load hangs Emscripten). */
  initTimeoutMs?: number;
}

export interface WasmThreadsInfo {
  /** Threads XNNPACK computes with (the calling thread included), = getThreadsCount(). */
  threads: number;
  /** The worker script written for worker_threads. */
  workerScript: string;
  /** Emscripten main script each worker loads. */
  mainScript: string;
}

interface PThreadWorker {
  ref(): void;
  unref(): void;
}
interface EmscriptenPThread {
  runningWorkers: PThreadWorker[];
  unusedWorkers: PThreadWorker[];
  terminateAllThreads(): void;
}
interface WasmBackendLike {
  wasm?: { PThread?: EmscriptenPThread } | null;
}
type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

const ORIGINAL = Symbol.for('fedbench.wasmThreads.originalFactory');
type Wrapped = BackendFactory & { [ORIGINAL]?: BackendFactory; threads?: number };

// node:os as the CommonJS object the wasm bundle itself calls (require('os').cpus()), so that it can be patched.
const osModule = require('node:os') as { cpus: () => ReturnType<typeof import('node:os').cpus> };

function packageFiles() {
  const dir = path.dirname(require.resolve(`${WASM_PKG}/package.json`));
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const mainScript = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerModule = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents?: string };
  if (typeof wasmWorkerContents !== 'string')
    throw new Error(`${workerModule} does not export wasmWorkerContents (unexpected ${WASM_PKG} ${version} layout)`);
  // backend_wasm.js escapes newlines the same way before it makes its Blob (a "\n" inside a string literal).
  const workerText = wasmWorkerContents.replace(/\n/g, '\\n');
  return { version, mainScript, workerText };
}

/** Writes the worker script (atomically, named by its content) and returns its path. */
function writeWorkerScript(cacheDir: string, mainScript: string, workerText: string, version: string): string {
  // In the worker, urlOrBlob (the main script as a Blob) goes through URL.createObjectURL + importScripts (a
  // readFileSync): pointing createObjectURL at the package's main script on disk makes that work. Runs in the
  // worker's own isolate only. .cjs: the worker uses require(), whatever "type" a package.json above says.
  const shim = `URL.createObjectURL=function(){return ${JSON.stringify(mainScript)}};URL.revokeObjectURL=function(){};\n`;
  const text = shim + workerText;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `tfjs-backend-wasm-${version}-threaded-simd.${hash}.worker.cjs`);
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* not written yet */
  }
  if (current !== text) writeFileAtomicSync(file, text);
  return file;
}

function defaultCacheDir(): string {
  return path.join(tmpdir(), `fedbench-${process.getuid?.() ?? 'user'}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Makes `tf.setBackend('wasm')` start tfjs-backend-wasm's threaded SIMD build with `threads` XNNPACK threads
 * under Node, and starts it (the active backend becomes 'wasm'; a later `tf.setBackend('wasm')` is a no-op).
 * Call it before the wasm backend is first used. If a wasm backend already runs with another thread count,
 * it is removed first (its tensors are lost). Resolves once `getThreadsCount() === threads`; rejects with an
 * Error saying why otherwise — it never leaves tfjs on another backend without a word. After a failure the
 * stock factory is registered again, so `tf.setBackend('wasm')` would give the single-threaded build.
 * The pthread workers are unref'd: they do not keep the process alive. disableWasmThreads() (or
 * `tf.removeBackend('wasm')`) ends them. Caveat: while the backend starts, os.cpus() and URL.createObjectURL
 * are patched process-wide (see startThreaded); code running concurrently in that window sees the patches.
 */
export async function enableWasmThreads(
  threads: number,
  options: EnableWasmThreadsOptions = {},
): Promise<WasmThreadsInfo> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(
      `enableWasmThreads: threads must be an integer from 1 to ${MAX_WASM_THREADS} (tfjs-backend-wasm's XNNPACK limit), got ${threads}`,
    );
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  const wasmPkg = (await import(WASM_PKG)) as WasmPackage;
  const { version, mainScript, workerText } = packageFiles();
  const workerScript = writeWorkerScript(options.cacheDir ?? defaultCacheDir(), mainScript, workerText, version);
  const info: WasmThreadsInfo = { threads, workerScript, mainScript };

  const engine = tf.engine() as unknown as { registry: Record<string, TF.KernelBackend | undefined> };
  const registered = tf.findBackendFactory('wasm') as Wrapped | null;
  if (!registered) throw new Error(`enableWasmThreads: no 'wasm' backend is registered (is ${WASM_PKG} installed?)`);
  const running = engine.registry.wasm as WasmBackendLike | undefined;
  if (running?.wasm?.PThread && registered.threads === threads && wasmPkg.getThreadsCount() === threads) {
    if (!(await tf.setBackend('wasm'))) throw new Error(`enableWasmThreads: tf.setBackend('wasm') returned false`);
    return info;
  }
  const original = registered[ORIGINAL] ?? registered;

  let failure: unknown = null;
  const factory: Wrapped = async () => {
    try {
      return await startThreaded(
        tf,
        wasmPkg,
        original,
        threads,
        workerScript,
        workerText,
        options.initTimeoutMs ?? 60_000,
      );
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  factory[ORIGINAL] = original;
  factory.threads = threads;
  tf.removeBackend('wasm'); // disposes a running wasm backend; registerBackend refuses a name already taken
  tf.registerBackend('wasm', factory, WASM_PRIORITY);

  const restoreStock = () => {
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', original, WASM_PRIORITY);
  };
  // tfjs catches a failing factory, warns, and answers false; keep its warning off the console (it is in the Error).
  const warn = console.warn;
  let ok: boolean;
  try {
    console.warn = () => {};
    ok = await tf.setBackend('wasm');
  } catch (err) {
    failure ??= err;
    ok = false;
  } finally {
    console.warn = warn;
  }
  if (!ok || tf.getBackend() !== 'wasm') {
    restoreStock();
    const why =
      failure instanceof Error
        ? failure.message
        : failure != null
          ? String((failure as { message?: unknown }).message ?? failure)
          : `tfjs is on '${tf.getBackend()}'`;
    throw new Error(`tfjs-backend-wasm with ${threads} thread(s) could not be started: ${why}`);
  }
  return info;
}

/**
 * Ends the threaded backend (tf.removeBackend('wasm'): XNNPACK's pthread workers are terminated, tensors on
 * wasm are lost) and registers tfjs-backend-wasm's own factory again. Does nothing if enableWasmThreads was
 * never called.
 */
export async function disableWasmThreads(): Promise<void> {
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  const registered = tf.findBackendFactory('wasm') as Wrapped | null;
  const original = registered?.[ORIGINAL];
  if (!original) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', original, WASM_PRIORITY);
}

/** The wrapped factory's work: runs the stock factory with the three patches in place, then checks the result. */
async function startThreaded(
  tf: Tf,
  wasmPkg: WasmPackage,
  original: BackendFactory,
  threads: number,
  workerScript: string,
  workerText: string,
  timeoutMs: number,
): Promise<TF.KernelBackend> {
  const env = tf.env();
  const savedFlag = await env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const savedCreate = URL.createObjectURL;
  const savedCpus = osModule.cpus;
  let handedOut = 0;
  let foreign: string | null = null;
  const expectedSize = Buffer.byteLength(workerText);
  URL.createObjectURL = ((obj: Blob) => {
    if (obj instanceof Blob && obj.type === WORKER_BLOB_TYPE) {
      if (obj.size !== expectedSize) {
        foreign = `the worker script tfjs made (${obj.size} bytes) is not the package's wasm-out worker (${expectedSize} bytes)`;
        throw new Error(foreign);
      }
      handedOut++;
      return workerScript;
    }
    return savedCreate(obj);
  }) as typeof URL.createObjectURL;
  // The pool is capped at ⌊cpus/2⌋ (a guess at hyper-threading); report at least 2 × threads CPUs meanwhile.
  osModule.cpus = () => {
    const cpus = savedCpus();
    const n = Math.max(cpus.length, 2 * threads);
    return Array.from({ length: n }, (_, i) => cpus[i % Math.max(1, cpus.length)]!);
  };
  env.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmPkg.setThreadsCount(threads);
  let backend: TF.KernelBackend;
  try {
    backend = await withTimeout(Promise.resolve(original()), timeoutMs, 'the threaded wasm module');
  } finally {
    URL.createObjectURL = savedCreate;
    osModule.cpus = savedCpus;
    env.set('WASM_HAS_MULTITHREAD_SUPPORT', savedFlag);
  }
  const pthread = (backend as unknown as WasmBackendLike).wasm?.PThread;
  const fail = (why: string): never => {
    try {
      backend.dispose();
    } catch {
      /* already broken */
    }
    throw new Error(why);
  };
  if (foreign) fail(foreign);
  if (!pthread || handedOut === 0) fail('tfjs did not load its threaded SIMD build (is WebAssembly SIMD available?)');
  const got = wasmPkg.getThreadsCount();
  if (got !== threads) fail(`XNNPACK started ${got} thread(s), not ${threads}`);
  for (const w of [...pthread!.runningWorkers, ...pthread!.unusedWorkers]) w.unref();
  return backend;
}
