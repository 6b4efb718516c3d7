// The GPU check kit, packed and run here as on a GPU machine without Node.js: only sh, dirname, mkdir and a real
// python3 on PATH. Here there is no GPU (and maybe no PyTorch): the PyTorch cases are skipped with the reason, and the run
// still completes with fedbench's own figures and a report.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE, KIT_LIMIT_BYTES, packGpuCheck } from '../../src/pack/gpu-check.js';
import { readRecords } from '../../src/results/index.js';

let kit: string;
let out: string;
let run: ReturnType<typeof spawnSync>;

beforeAll(async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'fedbench-kit-test-'));
  kit = path.join(work, 'kit');
  // xz -0: quick to pack, and the largest archive the kit could be (preset 6 packs it smaller)
  await packGpuCheck(kit, 0);
  // a PATH without node: the tools run.sh uses, and Python's real binary (not a pyenv shim, which needs bash)
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  symlinkSync(python, path.join(bin, 'python3'));
  for (const tool of ['dirname', 'mkdir']) symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
  out = path.join(work, 'out');
  run = spawnSync('/bin/sh', [path.join(kit, 'run.sh'), out], {
    env: { PATH: bin, HOME: path.join(work, 'home') },
    encoding: 'utf8',
    timeout: 600_000,
  });
}, 900_000);

describe('pack:gpu-check', () => {
  it('packs the kit under 60 MiB: run.sh and one archive', () => {
    expect(readdirSync(kit).sort()).toEqual([ARCHIVE, 'run.sh']);
    const bytes = statSync(path.join(kit, ARCHIVE)).size + statSync(path.join(kit, 'run.sh')).size;
    expect(bytes).toBeLessThan(KIT_LIMIT_BYTES);
  });

  it('run.sh completes without Node.js on PATH and keeps every step’s output and exit code', () => {
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const step of ['info', 'info-json', 'pytorch', 'onnxruntime'])
      expect(readFileSync(path.join(out, `${step}.rc`), 'utf8').trim(), step).toBe('0');
    expect(readFileSync(path.join(out, 'info.out'), 'utf8')).toMatch(/engines\n\s+onnxruntime \(onnxruntime-node /);
    expect(JSON.parse(readFileSync(path.join(out, 'info-json.out'), 'utf8'))).toHaveProperty('engines');
    // no NVIDIA tools here: said so, instead of empty raw outputs
    expect(readFileSync(path.join(out, 'nvidia-smi.unavailable'), 'utf8')).toMatch(/nvidia-smi not found on PATH/);
    expect(existsSync(path.join(out, 'pytorch.html'))).toBe(true);
  });

  it('the PyTorch cases say why they did not run; fedbench’s own GEMM ran with the bundled onnxruntime', async () => {
    const torch = await readRecords(path.join(out, 'results', 'pytorch'));
    expect(torch.records.map((r) => r.case).sort()).toEqual([
      'torch-gemm/command/n=4096,dtype=bf16',
      'torch-gemm/command/n=4096,dtype=fp16',
      'torch-gemm/command/n=4096,dtype=fp32',
      'torch-gemm/command/n=4096,dtype=tf32',
      'torch-resnet50-train/command/batch=64',
    ]);
    for (const r of torch.records) {
      expect(r.status).toBe('skipped');
      // the GPU cases need an NVIDIA driver first (no Python started without one), then torch
      expect(r.error).toMatch(/requires (program 'nvidia-smi'|Python module 'torch')/);
    }
    const ort = await readRecords(path.join(out, 'results', 'onnxruntime'));
    expect(ort.records.map((r) => [r.status, r.engine.name, r.engine.backend])).toEqual([
      ['ok', 'onnxruntime', 'cpu'],
      ['ok', 'onnxruntime', 'cpu'],
    ]);
  });
});
