// npm run bench:overhead — what fedbench's harness costs, measured, not assumed.
// GEMM n=2048 fp32 on onnxruntime's CPU provider, in alternating rounds so drift hits all alike. Each round:
// the engine's best (the same libonnxruntime driven from C++, native-ort.ts), a bare onnxruntime-node loop in a
// fresh Node process with fedbench's session options and nothing else of fedbench (not its heap setting), fedbench's harness in this process, and the case as a user
// runs it (`fedbench run` in a fresh process, its record's median). Then numpy/OpenBLAS on the same machine,
// with OPENBLAS_CORETYPE as found and with it (and OPENBLAS_L2_SIZE) unset.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ss from 'simple-statistics';
import { buildOnnxModel } from '../engines/onnx-model.js';
import { createOrtSession, defaultThreads, ort } from '../engines/onnxruntime.js';
import { DEFAULT_RULES, measure, mergeRules, tInterval } from '../measure/index.js';
import { buildOrtLoop, nativeSeconds, type OrtLoop } from './native-ort.js';
import { compile } from '../runner/index.js';
import { KERNELS } from '../workloads/index.js';

const N = Number(process.env.FEDBENCH_BENCH_N ?? 2048);
const ROUNDS = Number(process.env.FEDBENCH_BENCH_ROUNDS ?? 5);
const CALLS = 30;
const WARMUP = 3;
const threads = defaultThreads();
const flop = 2 * N ** 3;
const now = () => Number(process.hrtime.bigint()) / 1e9;

/** Run as `overhead.js --bare`: the plain loop a user would write, printed as JSON GFLOP/s. */
async function bareLoop(): Promise<number[]> {
  const gemm = KERNELS.gemm!;
  const p = { n: N, dtype: 'fp32' };
  const s = await createOrtSession(buildOnnxModel(gemm.onnx(p)), { providers: ['cpu'], threads });
  const inputs = gemm.inputs(p, 42);
  const feeds = {
    A: new ort.Tensor('float32', inputs.A!.data, [N, N]),
    B: new ort.Tensor('float32', inputs.B!.data, [N, N]),
  };
  for (let i = 0; i < WARMUP; i++) await s.session.run(feeds);
  const gflops: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = now();
    await s.session.run(feeds);
    gflops.push(flop / (now() - t0) / 1e9);
  }
  await s.session.release();
  return gflops;
}

async function fedbenchLoop(): Promise<number[]> {
  const gemm = KERNELS.gemm!;
  const p = { n: N, dtype: 'fp32' };
  const exe = await compile(gemm, p, gemm.inputs(p, 42), { engine: 'onnxruntime', backend: 'cpu', threads });
  const rules = mergeRules(DEFAULT_RULES, {
    minSamples: CALLS,
    maxSamples: CALLS,
    minSeconds: 0,
    maxSeconds: 60,
    warmup: { minIterations: 3, minSeconds: 0, window: 3, stableCv: 0.1, maxSeconds: 5 },
  });
  const m = await measure(exe.call, { rules });
  await exe.dispose();
  return m.iterationSeconds.map((t) => flop / t / 1e9);
}

const NUMPY = `
import os, sys, time, json
import numpy as np
n = int(sys.argv[1]); calls = int(sys.argv[2])
rng = np.random.default_rng(42)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32); b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
for _ in range(3): a @ b
g = []
for _ in range(calls):
    t0 = time.perf_counter(); a @ b; g.append(2 * n**3 / (time.perf_counter() - t0) / 1e9)
# Which OpenBLAS kernel numpy runs (SkylakeX = AVX-512, Haswell = AVX2), asked of the loaded library itself.
import ctypes
info = 'unknown'
for path in sorted({l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower()}):
    lib = ctypes.CDLL(path)
    for sym in ('scipy_openblas_get_corename64_', 'scipy_openblas_get_corename', 'openblas_get_corename64_', 'openblas_get_corename'):
        f = getattr(lib, sym, None)
        if f is not None:
            f.restype = ctypes.c_char_p
            info = f().decode()
            break
print(json.dumps({'numpy': np.__version__, 'gflops': g, 'kernel': info}))
`;
import { errorLine } from '../errors.js';

interface NumpyRun {
  env: string;
  numpy: string;
  median: number;
  kernel: string;
}

async function numpy(unsetCoretype: boolean): Promise<NumpyRun | string> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  if (unsetCoretype) {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  try {
    const { stdout } = await promisify(execFile)('python3', ['-c', NUMPY, String(N), String(CALLS)], {
      env,
      timeout: 300_000,
    });
    const r = JSON.parse(stdout) as { numpy: string; gflops: number[]; kernel: string };
    const label = unsetCoretype
      ? 'OPENBLAS_CORETYPE unset'
      : `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(not set)'}`;
    return { env: label, numpy: r.numpy, median: ss.median(r.gflops), kernel: r.kernel };
  } catch (err) {
    return `numpy not measured: ${errorLine(err)}`;
  }
}

const fmt = (x: number) => x.toFixed(1);

const HERE = fileURLToPath(import.meta.url);
const CLI = path.join(path.dirname(HERE), '..', 'cli', 'main.js');

/** The bare loop in a fresh Node process: onnxruntime-node alone, glibc's heap at its defaults. */
async function bareRun(): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [HERE, '--bare'], { maxBuffer: 1 << 20 });
  return ss.median(JSON.parse(stdout) as number[]);
}

async function nativeRun(loop: OrtLoop, model: string): Promise<number> {
  return ss.median((await nativeSeconds(loop, model, threads, WARMUP, CALLS)).map((t) => flop / t / 1e9));
}

/** The case through the CLI in a fresh process, as a user runs it: its record's median. */
async function cliRun(dir: string): Promise<number> {
  const suite = path.join(dir, 'gemm.yaml');
  writeFileSync(
    suite,
    `name: overhead\nengines: ["onnxruntime:cpu"]\nbenchmarks:\n  - { id: gemm, workload: gemm, params: { n: ${N}, dtype: fp32 } }\n`,
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI, 'run', '--suite', suite, '--threads', String(threads), '--out', path.join(dir, 'records'), '--json'],
    { env: { ...process.env, FEDBENCH_DB: 'off' }, maxBuffer: 1 << 26 },
  );
  const [record] = JSON.parse(stdout) as Array<{ status: string; error?: string; stats?: { median: number } }>;
  if (!record?.stats) throw new Error(`fedbench run gave no figure: ${record?.error ?? record?.status}`);
  return record.stats.median;
}

async function main(): Promise<void> {
  console.log(
    `GEMM n=${N} fp32, onnxruntime CPU, ${threads} thread(s); ${ROUNDS} alternating rounds of ${CALLS} calls`,
  );
  const loop = await buildOrtLoop();
  console.log(typeof loop === 'string' ? loop : `engine's best: ${loop.describe}`);
  const native: number[] = [];
  const cli: number[] = [];
  const ratios = { cliNative: [] as number[], cliBare: [] as number[], inProcessBare: [] as number[] };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedbench-overhead-'));
  const model = path.join(dir, 'gemm.onnx');
  writeFileSync(model, buildOnnxModel(KERNELS.gemm!.onnx({ n: N, dtype: 'fp32' })));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const n = typeof loop === 'string' ? null : await nativeRun(loop, model);
      const b = await bareRun();
      const f = ss.median(await fedbenchLoop());
      const c = await cliRun(dir);
      if (n) native.push(n);
      cli.push(c);
      if (n) ratios.cliNative.push(c / n);
      ratios.cliBare.push(c / b);
      ratios.inProcessBare.push(f / b);
      console.log(
        `  round ${r + 1}: ${n ? `C++ ${fmt(n)}, ` : ''}bare onnxruntime-node ${fmt(b)}, fedbench in-process ${fmt(f)}, fedbench run (CLI) ${fmt(c)} GFLOP/s${n ? `; CLI/C++ ${(c / n).toFixed(3)}` : ''}, CLI/bare ${(c / b).toFixed(3)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Rounds drift together (what else the machine runs), so each round's ratio is one figure; their spread sets the
  // interval: a t interval on the logarithms, centred on the geometric mean.
  const range = (xs: number[]) => {
    const { centre, ci95 } = tInterval(xs);
    return `geometric mean ratio ${centre.toFixed(3)}, 95% interval [${ci95[0].toFixed(3)}, ${ci95[1].toFixed(3)}] over ${xs.length} rounds (range ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})`;
  };
  if (native.length)
    console.log(`fedbench run (CLI, fresh process) / the engine from C++: ${range(ratios.cliNative)}; target ≥ 0.95`);
  console.log(
    `fedbench run (CLI, fresh process) / bare onnxruntime-node loop: ${range(ratios.cliBare)}; target ≥ 0.98`,
  );
  console.log(`fedbench in-process / bare onnxruntime-node loop: ${range(ratios.inProcessBare)}`);
  const fedMedian = ss.median(cli);

  for (const unset of [false, true]) {
    const np = await numpy(unset);
    if (typeof np === 'string') {
      console.log(np);
      break;
    }
    console.log(
      `numpy ${np.numpy} (${np.env}, OpenBLAS kernel ${np.kernel}, OPENBLAS_NUM_THREADS=${threads}): ${fmt(np.median)} GFLOP/s; fedbench run (CLI)/numpy ${(fedMedian / np.median).toFixed(3)}`,
    );
  }
  console.log(
    'target: ≥ 0.85 of numpy with its AVX-512 kernel (OPENBLAS_CORETYPE unset). OPENBLAS_CORETYPE, where set on a machine, slows numpy: compare against the unset figure.',
  );
}

if (process.argv[2] === '--bare') console.log(JSON.stringify(await bareLoop()));
else await main();
