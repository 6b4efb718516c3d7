// `npm run pack:gpu-check [DIR]`: a self-contained kit for a machine with an NVIDIA GPU and Python with PyTorch but
// no Node.js and no network. One archive (this machine's Node binary, fedbench bundled into one file with only the
// native parts it needs on Linux x86-64, the built-in suites with the PyTorch scripts) and run.sh, which unpacks it
// with Python's tarfile and writes everything it measures under a folder given to it.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { quoteWord } from '../remote/index.js';
import { CHART_BUILDS } from '../report/index.js';
import { NVIDIA_SMI_QUERY } from '../system/index.js';
import { SAMPLE_FIELDS } from '../energy/nvidia-smi-meter.js';
import { errorText } from '../errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The limit for what travels to the GPU machine. */
export const KIT_LIMIT_BYTES = 60 * 1024 * 1024;
export const ARCHIVE = 'fedbench-kit.tar.xz';

// The bundle is ESM; some bundled CommonJS code (ssh2) reads __dirname, and createRequire serves the native parts.
const BANNER = [
  "import { createRequire as __fbCreateRequire } from 'node:module';",
  "import { fileURLToPath as __fbFileURLToPath } from 'node:url';",
  "import { dirname as __fbDirname } from 'node:path';",
  'const __filename = __fbFileURLToPath(import.meta.url);',
  'const __dirname = __fbDirname(__filename);',
  'const require = __fbCreateRequire(import.meta.url);',
].join(' ');

/** Packages loaded at run time from node_modules (native code, or files found through their package.json). */
const NATIVE = [/^onnxruntime-node/, /^koffi/, /^@tensorflow\/tfjs-node/, /^cpu-features/, /\.node$/];
/** The results database's drivers: not in the kit (its runs keep their records as files; FEDBENCH_DB=off in run.sh). */
const NOT_IN_KIT = [/^@electric-sql\/pglite/, /^pg$/];

function copyPackage(from: string, to: string, keep: (rel: string) => boolean = () => true): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => keep(path.relative(from, src)),
  });
}

/** Only Linux x86-64 binaries of onnxruntime-node (CPU provider; CUDA providers need a network install). */
const ortKeep = (rel: string): boolean => {
  const parts = rel.split(path.sep);
  if (parts[0] !== 'bin' || parts.length < 3) return parts[0] !== 'script';
  return parts[2] === 'linux' && (parts.length < 4 || parts[3] === 'x64');
};

/** run.sh: the same nvidia-smi queries fedbench makes (inventory, meter), raw, then the suites. */
function runScript(): string {
  const inventory = NVIDIA_SMI_QUERY.map(quoteWord).join(' ');
  const sample = quoteWord(`--query-gpu=${SAMPLE_FIELDS.join(',').replace('POWER', 'power.draw')}`);
  return `#!/bin/sh
# fedbench GPU check kit: needs python3 (with PyTorch for the GPU cases) and an NVIDIA driver; no Node.js, no network.
# Usage: sh run.sh OUTPUT_DIR   — everything measured is written under OUTPUT_DIR (made if missing).
set -u
[ $# -eq 1 ] || { echo "usage: sh run.sh OUTPUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" || exit 2
OUT=$(cd "$1" && pwd)
KIT="$OUT/kit"
echo "unpacking into $KIT"
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$HERE/${ARCHIVE}" "$KIT" || exit 1
fb() { FEDBENCH_DB=off "$KIT/node" "$KIT/app/dist/cli/main.js" "$@"; }
status=0
step() { # name, then the command; its output and exit code are kept whatever happens
  name=$1; shift
  echo "== $name"
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; rc=$?
  echo "$rc" >"$OUT/$name.rc"
  [ "$rc" -eq 0 ] || { echo "   exit $rc (see $OUT/$name.err)"; status=1; }
}
step info fb info
step info-json fb info --json
if command -v nvidia-smi >/dev/null 2>&1; then
  step nvidia-smi-query-gpu nvidia-smi ${inventory}
  step nvidia-smi-meter-sample nvidia-smi ${sample} --format=csv,noheader,nounits
  step nvidia-smi-q nvidia-smi -q
else
  echo "nvidia-smi not found on PATH: no NVIDIA driver tools on this machine" >"$OUT/nvidia-smi.unavailable"
fi
# NVML's counter and nvidia-smi's sampled power over the same windows (the sampled figure kept beside the total).
FEDBENCH_ENERGY_CROSSCHECK=1 step pytorch fb run --suite pytorch --bench torch-gemm torch-resnet50-train \\
  --out "$OUT/results/pytorch" --campaign gpu-check-pytorch --report "$OUT/pytorch.html"
FEDBENCH_ENERGY_CROSSCHECK=1 step onnxruntime fb run --suite quick --bench gemm --engine onnxruntime \\
  --out "$OUT/results/onnxruntime" --campaign gpu-check-onnxruntime
echo "done: $OUT (exit $status)"
exit $status
`;
}

/** xz preset: 6 packs smallest; lower is faster (FEDBENCH_KIT_XZ, e.g. for tests that check the kit runs). */
export async function packGpuCheck(
  outDir: string,
  xzLevel = Number(process.env.FEDBENCH_KIT_XZ ?? 6),
): Promise<{ dir: string; bytes: number }> {
  if (!Number.isInteger(xzLevel) || xzLevel < 0 || xzLevel > 9) throw new Error(`xz level ${xzLevel}: expected 0–9`);
  const stage = mkdtempSync(path.join(tmpdir(), 'fedbench-kit-'));
  try {
    const app = path.join(stage, 'app');
    const bundle = path.join(app, 'dist', 'cli', 'main.js');
    await build({
      input: path.join(ROOT, 'dist', 'cli', 'main.js'),
      platform: 'node',
      external: [...NATIVE, ...NOT_IN_KIT],
      output: { file: bundle, format: 'esm', codeSplitting: false, banner: BANNER },
      logLevel: 'silent',
    });
    // tfjs-backend-wasm, bundled, looks for its .wasm files beside the bundle.
    const wasm = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
      cpSync(path.join(wasm, f), path.join(path.dirname(bundle), f));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ ...pkg, type: 'module' }, null, 2)}\n`);
    cpSync(path.join(ROOT, 'benchmarks'), path.join(app, 'benchmarks'), { recursive: true });
    const modules = path.join(ROOT, 'node_modules');
    const into = path.join(app, 'node_modules');
    copyPackage(path.join(modules, 'onnxruntime-node'), path.join(into, 'onnxruntime-node'), ortKeep);
    copyPackage(path.join(modules, 'onnxruntime-common'), path.join(into, 'onnxruntime-common'));
    copyPackage(path.join(modules, 'koffi'), path.join(into, 'koffi'), (rel) => !/^(vendor|doc)(\/|$)/.test(rel));
    copyPackage(
      path.join(modules, '@koromix', 'koffi-linux-x64'),
      path.join(into, '@koromix', 'koffi-linux-x64'),
      (rel) => !rel.startsWith('musl_'),
    );
    // The report inlines the chart libraries' browser builds, found through their packages (report/assets.ts).
    const require = createRequire(import.meta.url);
    for (const [name, build] of CHART_BUILDS) {
      const dir = realpathSync(path.join(modules, name));
      const entry = path.relative(dir, realpathSync(require.resolve(name)));
      const wanted = new Set(['', 'package.json', 'build', entry, build]);
      copyPackage(dir, path.join(into, name), (rel) => wanted.has(rel));
    }
    cpSync(process.execPath, path.join(stage, 'node'));

    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const archive = path.join(outDir, ARCHIVE);
    execFileSync('tar', ['-C', stage, '-cf', archive, '-I', `xz -${xzLevel} -T0`, 'node', 'app'], { stdio: 'inherit' });
    writeFileSync(path.join(outDir, 'run.sh'), runScript());
    chmodSync(path.join(outDir, 'run.sh'), 0o755);
    const bytes = statSync(archive).size + statSync(path.join(outDir, 'run.sh')).size;
    if (bytes > KIT_LIMIT_BYTES)
      throw new Error(
        `the kit is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${KIT_LIMIT_BYTES / 2 ** 20} MiB limit`,
      );
    return { dir: outDir, bytes };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? 'gpu-check-kit');
  packGpuCheck(out).then(
    ({ dir, bytes }) => console.log(`${dir}: ${(bytes / 2 ** 20).toFixed(1)} MiB — copy it over, then: sh run.sh OUT`),
    (e: unknown) => {
      console.error(`pack:gpu-check: ${errorText(e)}`);
      process.exit(1);
    },
  );
}
