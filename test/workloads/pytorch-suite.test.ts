// The PyTorch suite as a user without a GPU meets it: GPU cases skipped at once with the reason, CPU-sized cases run
// on the CPU with the device in the record, a precision the CPU lacks skipped with the reason (Debian's python3-torch,
// a CPU build). And the device line any program can print, kept as the record's engine.device.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareEngines } from '../../src/analysis/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import type { RunRecord } from '../../src/results/index.js';
import { fedbench } from '../cli/run-cli.js';
import { IN_CI } from '../federation/testenv.js';

/** A folder whose python3 imports torch (the one on PATH, else Debian's /usr/bin/python3), or null. */
function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return path.dirname(execFileSync('sh', ['-c', `command -v ${python}`], { encoding: 'utf8' }).trim());
    } catch {}
  }
  return null;
}

const hasNvidiaSmi = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v nvidia-smi'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const torchDir = pythonWithTorch();
if (!torchDir && IN_CI) throw new Error('python3-torch is not importable: test/setup.sh installs it');

const tmp = mkdtempSync(path.join(tmpdir(), 'fedbench-pytorch-'));

describe.runIf(torchDir)('fedbench run --suite pytorch on a machine without a GPU', () => {
  it('skips the GPU cases at once with the reason, runs the CPU-sized ones on the CPU and says so in the record', async () => {
    const out = path.join(tmp, 'pytorch');
    const r = await fedbench(
      ['run', '--suite', 'pytorch', '--bench', 'torch-gemm', 'torch-gemm-cpu', '--json', '--no-db', '--out', out],
      { env: { PATH: `${torchDir}:${process.env.PATH}` } },
    );
    expect(r.code, r.stderr).toBe(0);
    const records = readdirSync(out).map((f) => JSON.parse(readFileSync(path.join(out, f), 'utf8')) as RunRecord);
    const byCase = new Map(records.map((x) => [x.case, x]));
    if (!hasNvidiaSmi)
      for (const dtype of ['fp32', 'tf32', 'bf16', 'fp16']) {
        const gpu = byCase.get(`torch-gemm/command/n=4096,dtype=${dtype}`)!;
        expect(gpu.status).toBe('skipped');
        expect(gpu.error).toMatch(/nvidia-smi|no CUDA device/);
        // in seconds, never a 4096² GEMM on the CPU
        expect(Date.parse(gpu.finishedAt) - Date.parse(gpu.startedAt)).toBeLessThan(10_000);
      }
    for (const dtype of ['fp32', 'bf16']) {
      const cpu = byCase.get(`torch-gemm-cpu/command/n=512,dtype=${dtype}`)!;
      expect(cpu.status, cpu.error).toBe('ok');
      expect(cpu.engine).toMatchObject({ backend: 'pytorch', device: expect.stringMatching(/^cpu, \d+ threads?$/) });
    }
    const half = byCase.get('torch-gemm-cpu/command/n=512,dtype=fp16')!;
    expect(half.status).toBe('skipped');
    expect(half.error).toMatch(/^fp16 is not computed on cpu, \d+ threads? by torch /);
  });
});

describe('FEDBENCH:DEVICE', () => {
  it("a program's device line becomes the record's engine.device, and the engine's label says it", async () => {
    const dir = mkdtempSync(path.join(tmp, 'device-'));
    writeFileSync(
      path.join(dir, 'suite.yaml'),
      `name: dev
stop: { minSamples: 2, maxSamples: 2, minSeconds: 0, maxSeconds: 30 }
benchmarks:
  - id: prog
    workload: command
    command: [sh, -c, 'echo "FEDBENCH:DEVICE cpu, 3 threads"; echo "rate: 7"']
    metric: { name: throughput, unit: samples/s, direction: higher, regex: 'rate: ([0-9.]+)' }
`,
    );
    const out = path.join(dir, 'out');
    const r = await fedbench(['run', '--suite', path.join(dir, 'suite.yaml'), '--no-db', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const [rec] = readdirSync(out).map((f) => JSON.parse(readFileSync(path.join(out, f), 'utf8')) as RunRecord);
    expect(rec!.engine.device).toBe('cpu, 3 threads');
    expect(rec!.samples).toEqual([7, 7]);
    expect(r.stdout).toMatch(/command\/sh on cpu, 3 threads/);
  });
});

describe('Engines compared', () => {
  it('marks a CPU figure beside a GPU one, and a figure from another run, as not like for like', () => {
    const gpu = syntheticRecord({ site: 'a', median: 18000, backend: 'cuda' });
    const cpuOtherRun: RunRecord = {
      ...syntheticRecord({ site: 'a', median: 60, backend: 'cpu', seed: 2 }),
      campaign: 'yesterday',
      engine: { ...gpu.engine, name: 'command', backend: 'pytorch', device: 'cpu, 2 threads' },
    };
    const [group] = compareEngines([gpu, cpuOtherRun]);
    const best = group!.engines.find((e) => e.verdict === 'BEST')!;
    const other = group!.engines.find((e) => e.verdict !== 'BEST')!;
    expect(best.engine).toBe('onnxruntime/cuda ×1');
    expect(other.engine).toBe('command/pytorch ×1 on cpu, 2 threads');
    expect(other.caveats).toEqual([
      'ran on the CPU, onnxruntime/cuda ×1 on the GPU',
      'measured in another run (yesterday; onnxruntime/cuda ×1: synthetic-test)',
    ]);
    // the same device and run: nothing to say
    const [same] = compareEngines([
      gpu,
      { ...gpu, id: 'x2', engine: { ...gpu.engine, name: 'tfjs', backend: 'tensorflow-gpu' } },
    ]);
    expect(same!.engines.every((e) => e.caveats.length === 0)).toBe(true);
  });
});
