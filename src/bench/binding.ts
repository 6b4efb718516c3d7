// npm run bench:binding — what onnxruntime-node itself costs per call, against the same library driven from C++
// (native-ort.ts), and what fedbench's heap setting (measure/allocator.ts) changes. Models: ones that only write
// an output (16 B to 16 MiB: the binding's fixed and per-byte cost) and the quick suite's onnxruntime kernels.
// Each Node figure comes from a fresh process, with glibc's defaults (FEDBENCH_HEAP=default) and with the setting;
// rounds alternate so drift hits all three alike. Figures: median µs per call and page faults per call.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ss from 'simple-statistics';
import { buildOnnxModel, type GraphSpec } from '../engines/onnx-model.js';
import { createOrtSession, defaultThreads, ort } from '../engines/onnxruntime.js';
import { keepFreedMemoryInHeap, tInterval } from '../measure/index.js';
import { outputOnlyGraph } from '../runner/executable.js';
import { KERNELS } from '../workloads/index.js';
import { buildOrtLoop, nativeSeconds } from './native-ort.js';

const ROUNDS = Number(process.env.FEDBENCH_BENCH_ROUNDS ?? 3);
const SECONDS = 1.5;
const WARMUP = 20;
const threads = defaultThreads();
const HERE = fileURLToPath(import.meta.url);

interface BenchModel {
  graph: GraphSpec;
  inputs: Record<string, { data: Float32Array; shape: number[] }>;
}

function outputOnly(bytes: number): BenchModel {
  const graph = outputOnlyGraph({
    name: 'out',
    inputs: [],
    outputs: [{ name: 'y', dtype: 'float32', shape: [bytes / 4] }],
    nodes: [],
  })!;
  return { graph, inputs: {} };
}

function kernel(id: string, params: Record<string, unknown>): BenchModel {
  const w = KERNELS[id]!;
  return { graph: w.onnx(params), inputs: w.inputs(params, 42) as BenchModel['inputs'] };
}

const MODELS: Record<string, () => BenchModel> = {
  'output only, 16 B': () => outputOnly(16),
  'output only, 128 KiB': () => outputOnly(128 * 1024),
  'output only, 1 MiB': () => outputOnly(1024 * 1024),
  'output only, 16 MiB': () => outputOnly(16 * 1024 * 1024),
  'attention b1 h4 s128 d64': () => kernel('attention', { batch: 1, heads: 4, seq: 128, dhead: 64 }),
  'conv2d 32ch 28x28 k3': () => kernel('conv2d', { batch: 1, channels: 32, size: 28, filters: 32, kernel: 3 }),
  'gemm n=512 fp32': () => kernel('gemm', { n: 512, dtype: 'fp32' }),
};

/** In a child process: the model through onnxruntime-node's public API, timed for SECONDS. */
async function nodeLoop(key: string): Promise<{ seconds: number; faultsPerCall: number; heap: string }> {
  const heap = keepFreedMemoryInHeap();
  const m = MODELS[key]!();
  const s = await createOrtSession(buildOnnxModel(m.graph), { providers: ['cpu'], threads });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, x] of Object.entries(m.inputs)) feeds[name] = new ort.Tensor('float32', x.data, x.shape);
  for (let i = 0; i < WARMUP; i++) await s.session.run(feeds);
  const times: number[] = [];
  const faults0 = process.resourceUsage().minorPageFault;
  const end = performance.now() + SECONDS * 1000;
  while (times.length < 10 || performance.now() < end) {
    const t0 = performance.now();
    await s.session.run(feeds);
    times.push((performance.now() - t0) / 1000);
  }
  const faultsPerCall = (process.resourceUsage().minorPageFault - faults0) / times.length;
  await s.session.release();
  return { seconds: ss.median(times), faultsPerCall, heap };
}

async function nodeRun(key: string, heapDefault: boolean) {
  const { stdout } = await promisify(execFile)(process.execPath, [HERE, '--node', key], {
    env: { ...process.env, FEDBENCH_HEAP: heapDefault ? 'default' : '' },
  });
  return JSON.parse(stdout) as { seconds: number; faultsPerCall: number; heap: string };
}

const us = (s: number) => (s * 1e6).toFixed(s < 1e-4 ? 1 : 0);

async function main(): Promise<void> {
  const loop = await buildOrtLoop();
  if (typeof loop === 'string') {
    console.error(`bench:binding needs the C++ loop as its baseline: ${loop}`);
    process.exitCode = 2;
    return;
  }
  console.log(`onnxruntime CPU, ${threads} thread(s); ${ROUNDS} alternating rounds of ~${SECONDS} s per figure`);
  console.log(`C++: ${loop.describe}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedbench-binding-'));
  let heap = '';
  const figures = new Map<
    string,
    { native: number[]; plain: number[]; kept: number[]; fPlain: number[]; fKept: number[] }
  >();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const key of Object.keys(MODELS)) {
        const file = path.join(dir, `${Object.keys(MODELS).indexOf(key)}.onnx`);
        if (r === 0) writeFileSync(file, buildOnnxModel(MODELS[key]!().graph));
        const pilot = ss.median(await nativeSeconds(loop, file, threads, 5, 10));
        const calls = Math.min(200_000, Math.max(20, Math.round(SECONDS / pilot)));
        const native = ss.median(await nativeSeconds(loop, file, threads, WARMUP, calls));
        const plain = await nodeRun(key, true);
        const kept = await nodeRun(key, false);
        heap = kept.heap;
        const f = figures.get(key) ?? { native: [], plain: [], kept: [], fPlain: [], fKept: [] };
        f.native.push(native);
        f.plain.push(plain.seconds);
        f.kept.push(kept.seconds);
        f.fPlain.push(plain.faultsPerCall);
        f.fKept.push(kept.faultsPerCall);
        figures.set(key, f);
      }
      console.log(`  round ${r + 1} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`heap kept: ${heap}`);
  // Rounds drift together with the machine, so each round's ratio is one figure: geometric mean, 95% t interval.
  const ratio = (xs: number[]) => {
    const { centre, ci95 } = tInterval(xs);
    return `${centre.toFixed(2)} [${ci95[0].toFixed(2)}, ${ci95[1].toFixed(2)}]`;
  };
  console.log(
    '\nmedians over rounds, µs per call (page faults per call): C++ | onnxruntime-node, glibc defaults | onnxruntime-node, heap kept || time ratios per round: kept / C++ | defaults / kept',
  );
  for (const [key, f] of figures) {
    const [n, p, k] = [ss.median(f.native), ss.median(f.plain), ss.median(f.kept)];
    const keptOverNative = f.kept.map((x, i) => x / f.native[i]!);
    const plainOverKept = f.plain.map((x, i) => x / f.kept[i]!);
    console.log(
      `${key.padEnd(26)} | ${us(n).padStart(7)} | ${us(p).padStart(7)} (${ss.median(f.fPlain).toFixed(1)}) | ${us(k).padStart(7)} (${ss.median(f.fKept).toFixed(1)}) || ${ratio(keptOverNative)} | ${ratio(plainOverKept)}`,
    );
  }
}

if (process.argv[2] === '--node') console.log(JSON.stringify(await nodeLoop(process.argv[3]!)));
else await main();
