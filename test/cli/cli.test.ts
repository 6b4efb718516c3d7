import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { loadSuite } from '../../src/suite/index.js';
import { spawn } from 'node:child_process';
import { fedbench, ROOT } from './run-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-cli-'));
});

describe('fedbench run --suite quick --json', () => {
  it('writes a valid record for every case, naming the backend that ran', async () => {
    const out = path.join(tmp, 'quick');
    const r = await fedbench(['run', '--suite', 'quick', '--json', '--out', out], { env: { FEDBENCH_HEAP: '' } });
    expect(r.code, r.stderr).toBe(0);
    const records = (JSON.parse(r.stdout) as unknown[]).map((x) => runRecordSchema.parse(x));
    const expected = loadSuite('quick').cases.map((c) => c.id);
    expect(records.map((x) => x.case)).toEqual(expected);
    for (const rec of records) {
      if (rec.status === 'ok') {
        expect(rec.engine.backend).toBeTruthy();
        expect(rec.engine.version).toBeTruthy();
        // the suite's minimum of 10 samples, unless its 1.5 s limit came first (a busy machine): the record says so
        if (rec.stats!.n < 10)
          expect(rec.warnings.join('\n'), rec.case).toMatch(/noise target not met|queries ran before the .* s limit/);
        expect(rec.verification!.passed).toBe(true);
        // how the process's heap was set up is part of how the figure was taken
        if (rec.measurement) expect(rec.measurement.harness.allocator, rec.case).toMatch(/kept in the heap/);
      } else {
        expect(rec.status).toBe('skipped');
        expect(rec.error).toBeTruthy();
      }
    }
    // the only expected skip here: fp16 on tfjs
    expect(records.filter((x) => x.status === 'skipped').map((x) => x.case)).toEqual(['gemm/tfjs/n=1024,dtype=fp16']);
    // one file per case on disk, identical to what was printed
    const files = await readdir(out);
    expect(files).toHaveLength(records.length);
  });
});

describe('fedbench run --suite quick, on a terminal 100 columns wide', () => {
  it('fits its summary to the width: shared parameters once above the table, full ids kept in the records', async () => {
    const out = path.join(tmp, 'quick-100');
    const r = await fedbench(['run', '--suite', 'quick', '--out', out], { env: { COLUMNS: '100' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(
      lines.filter((l) => [...l].length > 100),
      r.stdout,
    ).toEqual([]);
    expect(r.stdout).toContain('every infer-cnn case below: scenario=single-stream, batch=1,');
    // one line per case, its problems as flags; at most one line of advice per kind of problem after the table
    const benchmarks = new Set(loadSuite('quick').cases.map((c) => c.benchmark.id));
    const rows = lines.filter((l) => benchmarks.has(l.split(' ')[0]!));
    expect(rows, r.stdout).toHaveLength(13);
    expect(r.stdout).toMatch(/^infer-cnn +tfjs\/wasm +[\d.]+ +\[[\d.]+, [\d.]+\] +ms +\d+/m);
    expect(lines.filter((l) => l.startsWith('advice: ')).length, r.stdout).toBeLessThanOrEqual(5);
    expect(r.stdout).not.toMatch(/^warning: .*(noisy run|noise target|outliers|phases|multimodal)/m);
    // progress lines on stderr fit the width too
    expect(r.stderr.split('\n').filter((l) => [...l].length > 100)).toEqual([]);
    expect(lines.at(-1)).toBe(`13 record(s) in ${out}`);
    const files = await readdir(out);
    const ids = await Promise.all(
      files.map(async (f) => (JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunRecord).case),
    );
    expect(ids.sort()).toEqual(
      loadSuite('quick')
        .cases.map((c) => c.id)
        .sort(),
    );
    // whatever phases or modes this machine showed, each record says so where a reader looks
    for (const f of files) {
      const rec = JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunRecord;
      if (!rec.stats) continue;
      const phased = rec.stats.effectiveN !== undefined && rec.stats.effectiveN < rec.stats.n;
      expect(
        rec.stats.ciMethod === 'order-statistics-autocorrelated' || (rec.stats.ciMethod === 'none' && phased),
        rec.case,
      ).toBe(phased);
      if (rec.stats.effectiveN! < rec.stats.n / 2)
        expect(rec.warnings.join('\n'), rec.case).toMatch(/samples come in phases/);
      if (rec.stats.modes) {
        expect(rec.warnings.join('\n'), rec.case).toMatch(/multimodal samples \(\d modes: /);
        expect(r.stdout).toMatch(new RegExp(`${rec.stats.modes.length} modes`));
      }
    }
  });
});

describe('run --repeat', () => {
  it('measures each case in fresh processes, one record per repetition, and pools them with the spread between processes', async () => {
    const out = path.join(tmp, 'repeat');
    const r = await fedbench(
      ['run', '--suite', 'quick', '--bench', 'bandwidth', '--engine', 'onnxruntime:cpu', '--repeat', '3', '--out', out],
      { env: { COLUMNS: '120' } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /repetition 1\/3: a fresh fedbench process\nrepetition 2\/3: a fresh fedbench process\nrepetition 3\/3/,
    );
    expect(r.stdout).toMatch(
      /^bandwidth +onnxruntime\/cpu ×\d +[\d.]+ +\[[\d.]+, [\d.]+\] +GB\/s +[\d.]+–[\d.]+ +3 ok/m,
    );
    const files = await readdir(out);
    const records = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunRecord),
    );
    expect(records.map((x) => x.repetition).sort((a, b) => a!.index - b!.index)).toEqual(
      [1, 2, 3].map((index) => ({ index, of: 3 })),
    );
    for (const x of records) expect(runRecordSchema.safeParse(x).success).toBe(true);
    expect(new Set(records.map((x) => x.startedAt)).size).toBe(3);
    expect((await fedbench(['run', '--suite', 'quick', '--repeat', '0'])).code).toBe(2);
  });
});

describe('bad input exits 2 with a message that names what and where', () => {
  it('unknown suite lists the valid ones', async () => {
    const r = await fedbench(['run', '--suite', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown suite 'nope'. Valid suites: comm, inference, kernels, node-pairs, pytorch, quick, scaling, training/,
    );
  });

  it('unknown benchmark id lists the ids of the suite', async () => {
    const r = await fedbench(['run', '--suite', 'quick', '--bench', 'gemmm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown benchmark 'gemmm'. Valid benchmarks: gemm, conv2d, bandwidth, attention/);
  });

  it('unknown engine or backend lists the valid ones', async () => {
    const e = await fedbench(['run', '--engine', 'pytorch']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/Valid engines: onnxruntime, tfjs/);
    const b = await fedbench(['run', '--engine', 'tfjs:webgl']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/Valid tfjs backends: tensorflow-gpu, tensorflow, wasm, cpu/);
  });

  it('a malformed suite fails before anything runs, with file and line', async () => {
    const file = path.join(tmp, 'broken.yaml');
    await writeFile(file, 'name: broken\nbenchmarks:\n  - id: g\n    workload: gemm\n    params: { n: [64, "big"] }\n');
    const out = path.join(tmp, 'never');
    const r = await fedbench(['run', '--suite', file, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:5:`);
    expect(r.stderr).toContain('benchmarks[0].params.n');
    await expect(readdir(out)).rejects.toThrow(); // nothing ran, nothing written
  });

  it('unknown options are usage errors', async () => {
    const r = await fedbench(['run', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });
});

describe('a case that fails', () => {
  it('still gets a record with its reason, and the run exits 1', async () => {
    const file = path.join(tmp, 'cuda.yaml');
    await writeFile(
      file,
      'name: cuda-only\nengines: ["onnxruntime:cuda"]\nbenchmarks:\n  - { id: g, workload: gemm, params: { n: 32 } }\n',
    );
    const out = path.join(tmp, 'cuda');
    const r = await fedbench(['run', '--suite', file, '--out', out, '--json']);
    // No CUDA provider on machines without a GPU: the record says so.
    expect(r.code).toBe(1);
    const [rec] = JSON.parse(r.stdout) as RunRecord[];
    expect(rec!.status).toBe('failed');
    expect(rec!.error).toMatch(/cuda/);
    expect(await readdir(out)).toHaveLength(1);
  });
});

describe('fedbench info --json', () => {
  it('lists every engine backend as available or not, with the reason', async () => {
    const r = await fedbench(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as {
      engines: Array<{ engine: string; backends: Array<{ name: string; available: boolean; reason?: string }> }>;
      energy: unknown[];
    };
    expect(info.engines.map((e) => e.engine)).toEqual(['onnxruntime', 'tfjs']);
    const all = info.engines.flatMap((e) => e.backends.map((b) => `${e.engine}:${b.name}`));
    expect(all).toEqual([
      'onnxruntime:cuda',
      'onnxruntime:webgpu',
      'onnxruntime:cpu',
      'tfjs:tensorflow-gpu',
      'tfjs:tensorflow',
      'tfjs:wasm',
      'tfjs:cpu',
    ]);
    for (const e of info.engines)
      for (const b of e.backends) if (!b.available) expect(b.reason, `${e.engine}:${b.name}`).toBeTruthy();
    expect(info.energy.length).toBeGreaterThan(0);
  });

  it('prints nothing a user cannot act on: no npm config warning through npx, no Vulkan probe message from webgpu', async () => {
    const viaNpx = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('npx', ['--no-install', 'fedbench', '--version'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(viaNpx.code, viaNpx.stderr).toBe(0);
    expect(viaNpx.stderr).toBe('');
    const r = await fedbench([
      'run',
      '--suite',
      'quick',
      '--bench',
      'gemm',
      '--engine',
      'onnxruntime',
      '--out',
      path.join(tmp, 'quiet'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Vulkan|BackendVk|dawn/i);
    // the reason is kept where it belongs: in the record's fallbacks (when webgpu could not start here)
    const rec = (JSON.parse(r.stdout) as RunRecord[])[0]!;
    if (rec.engine.backend !== 'webgpu') expect(rec.engine.fallbacks.map((f) => f.backend)).toContain('webgpu');
  });
});

describe('fedbench list', () => {
  it('lists suites and the cases of one', async () => {
    const r = await fedbench(['list', '--suite', 'kernels', '--json']);
    expect(r.code).toBe(0);
    const l = JSON.parse(r.stdout) as { cases: Array<{ id: string }> };
    expect(l.cases.map((c) => c.id)).toContain('gemm/onnxruntime/n=2048,dtype=fp32');
  });
});

describe('numeric options', () => {
  it('a rate that is not a positive number is a usage error', async () => {
    const r = await fedbench(['run', '--model', 'x.onnx', '--scenario', 'server', '--qps', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--qps <rate>' argument 'fast' is invalid. expected a positive number/);
  });

  it('an unknown energy source to exclude is a usage error listing the valid ones, from the flag or the environment', async () => {
    const r = await fedbench(['run', '--bench', 'gemm', '--exclude-energy', 'rapl', 'watts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "unknown energy source 'watts' in --exclude-energy / FEDBENCH_ENERGY_EXCLUDE. Valid sources: nvml, nvidia-smi, rapl, pm_counters",
    );
    const e = await fedbench(['run', '--bench', 'gemm'], { env: { FEDBENCH_ENERGY_EXCLUDE: 'rapl,sacct' } });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain("unknown energy source 'sacct'");
  });

  it('an unknown FEDBENCH_HEAP is a usage error saying what it accepts, before anything runs', async () => {
    const out = path.join(tmp, 'heap');
    const r = await fedbench(['run', '--bench', 'gemm', '--out', out], { env: { FEDBENCH_HEAP: 'off' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("FEDBENCH_HEAP='off' is not understood: 'default' keeps glibc's heap defaults");
    await expect(readdir(out)).rejects.toThrow(); // nothing was measured or written
  });
});

describe('--estimate-tdp', () => {
  it('labels a declared-power estimate as such when nothing measures, and checks its arguments', async () => {
    const bad = await fedbench(['run', '--estimate-utilisation', '0.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--estimate-utilisation needs --estimate-tdp/);

    const info = JSON.parse((await fedbench(['info', '--json'])).stdout) as {
      energy: Array<{ present: boolean; source: string }>;
    };
    const measuring = info.energy.filter((s) => s.present && s.source !== 'estimate');
    const out = path.join(tmp, 'estimate');
    const r = await fedbench([
      'run',
      '--suite',
      'quick',
      '--bench',
      'gemm',
      '--engine',
      'onnxruntime',
      '--estimate-tdp',
      '100',
      '--estimate-utilisation',
      '0.5',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rec = (JSON.parse(r.stdout) as RunRecord[]).find((x) => x.status === 'ok')!;
    if (measuring.length === 0) {
      // nothing on this machine measures energy: the estimate is used, and says it is one
      expect(rec.energy).toMatchObject({ status: 'measured', method: 'estimate', source: 'estimate' });
      if (rec.energy.status === 'measured') expect(rec.energy.avgWatts).toBeCloseTo(50, 6);
    } else {
      // a real source measured: the estimate must not replace it
      expect(rec.energy.status === 'measured' && rec.energy.method).not.toBe('estimate');
    }
  });
});

describe('fedbench run, interrupted', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`on ${signal} keeps the finished cases' records, says which case had none, and exits ${code}`, async () => {
      const suite = path.join(tmp, `interrupt-${signal}.yaml`);
      const stop = {
        warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
        minSamples: 5,
        minSeconds: 0.05,
        maxSeconds: 0.5,
        targetNoise: 0.5,
      };
      // the second case would sample for a minute: it is the one in progress when the signal comes
      await writeFile(
        suite,
        JSON.stringify({
          name: 'interrupt',
          engines: ['onnxruntime:cpu'],
          stop,
          benchmarks: [
            { id: 'quick', workload: 'gemm', params: { n: 32 } },
            {
              id: 'slow',
              workload: 'gemm',
              params: { n: 33 },
              stop: { minSeconds: 60, maxSeconds: 90, targetNoise: 0.0001 },
            },
          ],
        }),
      );
      const out = path.join(tmp, `interrupted-${signal}`);
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'dist/cli/main.js'), 'run', '--suite', suite, '--out', out],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/^ok\s+quick\//m.test(stderr) && !child.killed) setTimeout(() => child.kill(signal), 300);
      });
      const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(exit, stderr).toBe(code);
      expect(stderr).toContain(`fedbench: ${signal} during slow/onnxruntime:cpu/n=33`);
      expect(stderr).toMatch(
        new RegExp(
          `1 record\\(s\\) kept in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; the case in progress has no record`,
        ),
      );
      const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^quick_onnxruntime_cpu_n=32/);
    });
  }
});
