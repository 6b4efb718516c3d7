// npm run bench:wasm-threads — what tfjs-wasm's threaded build (src/engines/tfjs-wasm-threads.ts) gives over
// one thread, measured, not assumed. In one process, alternating rounds so drift hits both alike: fedbench's
// measured GEMM (n=1024 and 256, fp32) on tfjs-wasm with 1 thread and with the threads fedbench picks by
// default (the CPUs available, up to 8). Figures: GFLOP/s per round and the median ratio.
import os from 'node:os';
import * as ss from 'simple-statistics';
import { MAX_WASM_THREADS } from '../engines/tfjs-wasm-threads.js';
import { DEFAULT_RULES, measure, mergeRules } from '../measure/index.js';
import { compile } from '../runner/index.js';
import { KERNELS } from '../workloads/index.js';

const ROUNDS = Number(process.env.FEDBENCH_BENCH_ROUNDS ?? 5);
const SIZES = [1024, 256];
const many = Math.min(MAX_WASM_THREADS, os.availableParallelism());
const rules = mergeRules(DEFAULT_RULES, {
  minSamples: 20,
  minSeconds: 0.5,
  maxSeconds: 5,
  warmup: { minIterations: 3, minSeconds: 0.1, maxSeconds: 3 },
});

async function gflops(n: number, threads: number): Promise<{ gflops: number; threads: number | null }> {
  const gemm = KERNELS.gemm!;
  const p = { n, dtype: 'fp32' };
  const exe = await compile(gemm, p, gemm.inputs(p, 42), { engine: 'tfjs', backend: 'wasm', threads });
  try {
    const m = await measure(exe.call, { rules });
    return { gflops: (2 * n ** 3) / ss.median(m.iterationSeconds) / 1e9, threads: exe.engine.threads };
  } finally {
    await exe.dispose();
  }
}

async function main(): Promise<void> {
  if (many < 2) {
    console.log(
      `only ${os.availableParallelism()} CPU available: nothing to compare (the threaded build needs 2 or more)`,
    );
    process.exitCode = 2;
    return;
  }
  console.log(`tfjs-wasm GEMM fp32, 1 thread against ${many} threads; ${ROUNDS} alternating rounds`);
  for (const n of SIZES) {
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const one = await gflops(n, 1);
      const more = await gflops(n, many);
      if (one.threads !== 1 || more.threads !== many)
        throw new Error(`asked for 1 and ${many} threads, tfjs-wasm ran ${one.threads} and ${more.threads}`);
      ratios.push(more.gflops / one.gflops);
      console.log(
        `  n=${n} round ${r + 1}: 1 thread ${one.gflops.toFixed(1)} GFLOP/s, ${many} threads ${more.gflops.toFixed(1)} GFLOP/s, ratio ${(more.gflops / one.gflops).toFixed(2)}`,
      );
    }
    console.log(
      `n=${n}: ${many} threads / 1 thread: median ratio ${ss.median(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
}

await main();
