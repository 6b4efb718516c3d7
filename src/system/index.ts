// Hardware and software provenance, collected once per process and copied into every record.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { promisify } from 'node:util';
import { smiNumber, smiText } from '../energy/smi-fields.js';
import { isSlurmJobVariable } from '../slurm/job-env.js';
import type { GpuInfo, SystemInfo } from '../results/record.js';
import { gpuTopology, infinibandPorts } from './fabric.js';

export { gpuTopology, infinibandPorts, type InfinibandPort } from './fabric.js';

const run = promisify(execFile);

/** Environment variables that change what a benchmark measures. */
export const RELEVANT_ENV = [
  'OMP_NUM_THREADS',
  'OPENBLAS_CORETYPE',
  'OPENBLAS_L2_SIZE',
  'OPENBLAS_NUM_THREADS',
  'MKL_NUM_THREADS',
  'CUDA_VISIBLE_DEVICES',
  'NVIDIA_VISIBLE_DEVICES',
  'ONNXRUNTIME_NODE_INSTALL',
  'TF_CPP_MIN_LOG_LEVEL',
  'UV_THREADPOOL_SIZE',
  'GLIBC_TUNABLES',
  // fedbench's own: a whole-node worker's index and count (energy shares), sources left out
  'FEDBENCH_WORKER',
  'FEDBENCH_WORKERS',
  'FEDBENCH_ENERGY_EXCLUDE',
  'FEDBENCH_HEAP',
];

/** CPU features that decide which kernels the engines can use. */
const CPU_FLAGS = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx512_bf16',
  'amx_tile',
  'asimd',
  'sve',
];

export const PACKAGES = [
  'onnxruntime-node',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

export function packageVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

const BASIC_FIELDS = 'index,name,uuid,memory.total,driver_version';
const FIELDS = `${BASIC_FIELDS},power.limit,mig.mode.current,ecc.mode.current`;
export const NVIDIA_SMI_QUERY = [`--query-gpu=${FIELDS}`, '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=<FIELDS> --format=csv,noheader,nounits` (or the five basic fields of older drivers). */
export function parseNvidiaSmiGpus(csv: string, cuda?: string): GpuInfo[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name, uuid, mem, driver, power, mig, ecc] = line.split(',').map((f) => f.trim());
      const text = { uuid: smiText(uuid), driver: smiText(driver), mig: smiText(mig), ecc: smiText(ecc) };
      const memoryMiB = smiNumber(mem);
      const powerLimitW = smiNumber(power);
      return {
        index: Number(index),
        name: name ?? 'unknown',
        ...(text.uuid ? { uuid: text.uuid } : {}),
        ...(memoryMiB !== undefined ? { memoryMiB } : {}),
        ...(text.driver ? { driver: text.driver } : {}),
        ...(cuda ? { cuda } : {}),
        ...(powerLimitW !== undefined ? { powerLimitW } : {}),
        ...(text.mig ? { mig: text.mig } : {}),
        ...(text.ecc ? { ecc: text.ecc } : {}),
      };
    });
}

/** "CUDA Version: 12.4" from nvidia-smi's plain header, or undefined. */
export function parseCudaVersion(header: string): string | undefined {
  return /CUDA Version:\s*([\d.]+)/.exec(header)?.[1];
}

async function gpus(): Promise<{ gpus: GpuInfo[]; source: string }> {
  try {
    // Older drivers refuse the whole query over one field they lack (e.g. mig.mode.current): ask for the basics then.
    const { stdout } = await run('nvidia-smi', NVIDIA_SMI_QUERY, { timeout: 15_000 }).catch(
      (err: { stdout?: string; stderr?: string }) =>
        /not a valid field/i.test(`${err.stdout ?? ''}${err.stderr ?? ''}`)
          ? run('nvidia-smi', [`--query-gpu=${BASIC_FIELDS}`, '--format=csv,noheader,nounits'], { timeout: 15_000 })
          : Promise.reject(err),
    );
    const cuda = await run('nvidia-smi', [], { timeout: 15_000 }).then(
      (r) => parseCudaVersion(r.stdout),
      () => undefined,
    );
    return { gpus: parseNvidiaSmiGpus(stdout, cuda), source: 'nvidia-smi' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return { gpus: [], source: 'none: nvidia-smi not found on PATH' };
    return { gpus: [], source: `none: nvidia-smi failed (${(e.stderr || e.message).split('\n')[0]})` };
  }
}

async function distro(): Promise<string | null> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? null;
  } catch {
    return null;
  }
}

async function cpuFlags(): Promise<string[]> {
  try {
    const text = await readFile('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^(flags|Features)\s*:\s*(.*)$/m.exec(text)?.[2] ?? '').split(/\s+/));
    return CPU_FLAGS.filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

export function relevantEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && (RELEVANT_ENV.includes(k) || isSlurmJobVariable(k))),
  ) as Record<string, string>;
}

let cached: Promise<SystemInfo> | null = null;

export function systemInfo(): Promise<SystemInfo> {
  cached ??= (async () => {
    const [g, d, flags, infiniband] = await Promise.all([gpus(), distro(), cpuFlags(), infinibandPorts()]);
    return {
      host: os.hostname(),
      os: { platform: os.platform(), release: os.release(), distro: d, arch: os.arch() },
      cpu: {
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        logicalCores: os.cpus().length,
        availableParallelism: os.availableParallelism(),
        flags,
      },
      memoryBytes: os.totalmem(),
      gpus: g.gpus,
      gpuSource: g.source,
      node: process.version,
      packages: Object.fromEntries([['fedbench', fedbenchVersion()], ...PACKAGES.map((p) => [p, packageVersion(p)])]),
      env: relevantEnv(),
      fabric: { infiniband, gpuTopology: await gpuTopology(g.gpus.length) },
    };
  })();
  return cached;
}

export function fedbenchVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return null;
  }
}
