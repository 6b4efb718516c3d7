// The `command` workload: a user's program as a benchmark, run for real (a constructed Python program in fixtures/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareEngines } from '../../src/analysis/index.js';
import { oneCaseSuite } from '../../src/federation/plan.js';
import { runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { runCase } from '../../src/runner/index.js';
import { BUILTIN_SUITES_DIR, loadSuite, parseSuite, type Suite } from '../../src/suite/index.js';
import type { CommandFields } from '../../src/workloads/command/index.js';
import { systemInfo } from '../../src/system/index.js';
import { fakeNvml } from '../energy/helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const elsewhere = { powercapRoot: '/nonexistent', pmCountersRoot: '/nonexistent', visibleDevices: undefined };
const noEnergy = { ...elsewhere, nvmlLibrary: '/nonexistent/libnvidia-ml.so.1', nvidiaSmi: '/nonexistent/nvidia-smi' };
const quick = 'stop: { minSamples: 3, maxSamples: 3, minSeconds: 0, maxSeconds: 60 }';

/** A suite with one command benchmark, in the fixtures folder so that `prints-figure.py` is found there. */
function suite(benchmark: string, extra = ''): Suite {
  const text = `name: cmd\n${quick}\nbenchmarks:\n  - id: prog\n    workload: command\n${benchmark
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n${extra}`;
  return parseSuite(text, path.join(FIXTURES, 'suite.yaml'));
}

async function run(s: Suite, energy: object = noEnergy): Promise<RunRecord[]> {
  const system = await systemInfo();
  const out: RunRecord[] = [];
  for (const c of s.cases) {
    const r = await runCase(c, { campaign: 't', system, energy });
    expect(() => runRecordSchema.parse(r)).not.toThrow();
    out.push(r);
  }
  return out;
}

const metric = `metric: { name: throughput, unit: samples/s, direction: higher, regex: 'samples/s: ([0-9.a-z]+)' }`;

describe('command workload: figures', () => {
  it('reads one figure per invocation by regex, one case per parameter value, with argv in the record', async () => {
    const s = suite(`params: { v: [10, 20] }\ncommand: [python3, prints-figure.py, ok, "{v}"]\n${metric}`);
    expect(s.cases.map((c) => c.id)).toEqual(['prog/command/v=10', 'prog/command/v=20']);
    const [a, b] = await run(s);
    expect(a!.status, a!.error).toBe('ok');
    expect(a!.samples).toEqual([10, 10, 10]);
    expect(b!.samples).toEqual([20, 20, 20]);
    expect(a!.metric).toEqual({ name: 'throughput', unit: 'samples/s', direction: 'higher' });
    expect(a!.benchmark.kind).toBe('command');
    expect(a!.engine).toMatchObject({ name: 'command', backend: 'python3' });
    expect(a!.details).toMatchObject({
      kind: 'command',
      argv: ['python3', 'prints-figure.py', 'ok', '10'],
      cwd: FIXTURES,
      exitCode: 0,
      invocations: 4, // one warm-up, three measured
    });
    expect(a!.measurement).toMatchObject({ warmup: { iterations: 1 }, stopReason: 'max-samples' });
  });

  it('reads a JSON path, every match with samples: all, and wall time without a rule', async () => {
    const [json] = await run(
      suite(
        `command: [python3, prints-figure.py, json, "7.5"]\nmetric: { name: throughput, unit: samples/s, direction: higher, json: metrics.throughput }`,
      ),
    );
    expect(json!.samples).toEqual([7.5, 7.5, 7.5]);
    const [all] = await run(suite(`command: [python3, prints-figure.py, all, "1"]\nsamples: all\n${metric}`));
    expect(all!.samples).toEqual([1, 2, 3, 4, 5]); // one invocation, five matches: enough for maxSamples 3
    expect(all!.details).toMatchObject({ invocations: 1 });
    const [wall] = await run(suite('command: [python3, prints-figure.py, ok]'));
    expect(wall!.metric).toEqual({ name: 'time', unit: 's', direction: 'lower' });
    expect(wall!.samples.every((t) => t > 0.005 && t < 30)).toBe(true);
  });

  it('passes CUDA_VISIBLE_DEVICES through, as a whole-node worker sets it for its GPU', async () => {
    const before = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '3';
    try {
      const [r] = await run(suite(`command: [python3, prints-figure.py, env, "2"]\n${metric}`));
      expect(r!.status, r!.error).toBe('ok');
      expect(r!.details).toMatchObject({ stderrTail: 'visible=3' });
    } finally {
      if (before === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = before;
    }
  });

  it('times only the marked window, and figures printed during set-up are not measured ones', async () => {
    const [r] = await run(suite(`command: [python3, prints-figure.py, markers, "0.2"]\nmarkers: true\n${metric}`));
    expect(r!.status, r!.error).toBe('ok');
    expect(r!.samples).toEqual([0.2, 0.2, 0.2]); // never the 999 printed before BEGIN
    for (const t of r!.iterationSeconds) {
      // the 0.2 s between the markers, read through a pipe on a busy machine: neither marker's line is exact
      expect(t).toBeGreaterThanOrEqual(0.1);
      expect(t).toBeLessThan(1.0); // the 1 s set-up before BEGIN (and the teardown after END) is outside
    }
  });

  it('frames energy around the measured invocations (a stand-in NVML counter)', async () => {
    const [r] = await run(suite(`command: [python3, prints-figure.py, ok, "5"]\n${metric}`), {
      ...elsewhere,
      nvmlLibrary: fakeNvml(),
      nvidiaSmi: '/nonexistent',
    });
    expect(r!.status, r!.error).toBe('ok');
    const e = r!.energy;
    if (e.status !== 'measured') throw new Error(`expected measured energy, got: ${e.reason}`);
    expect(e).toMatchObject({ source: 'nvml', method: 'counter', calls: 3 });
    expect(e.windowSeconds).toBeGreaterThanOrEqual(r!.measurement!.samplingSeconds * 0.9);
  });
});

describe('benchmarks/pytorch.yaml', () => {
  it('loads: GEMM in four precisions, ResNet-50 training, encoder Offline and SingleStream, each needing torch', () => {
    const s = loadSuite('pytorch');
    expect(s.cases.map((c) => c.id)).toEqual([
      'torch-gemm/command/n=4096,dtype=fp32',
      'torch-gemm/command/n=4096,dtype=tf32',
      'torch-gemm/command/n=4096,dtype=bf16',
      'torch-gemm/command/n=4096,dtype=fp16',
      'torch-resnet50-train/command/batch=64',
      'torch-encoder-offline/command/batch=64,dtype=fp32',
      'torch-encoder-offline/command/batch=64,dtype=fp16',
      'torch-encoder-single-stream/command/dtype=fp32',
      'torch-encoder-single-stream/command/dtype=fp16',
    ]);
    for (const c of s.cases) {
      const fields = (c.workload as unknown as { fields: CommandFields }).fields;
      expect(fields.requires?.['python-module']).toEqual(['torch']);
      expect(existsSync(path.join(fields.cwd!, fields.command[1]!))).toBe(true);
    }
  });

  it('its scripts are valid Python (they run only where torch is installed)', () => {
    const dir = path.join(BUILTIN_SUITES_DIR, 'scripts');
    const scripts = ['fedbench_torch.py', 'gemm.py', 'resnet50_train.py', 'transformer_infer.py'];
    const code = `import ast,sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)`;
    expect(() => execFileSync('python3', ['-c', code, ...scripts.map((f) => path.join(dir, f))])).not.toThrow();
  });
});

describe('command workload: beside fedbench engines', () => {
  it('a program declared `as:` a built-in benchmark is compared with the engines that ran that benchmark', async () => {
    const s = parseSuite(
      `name: mixed
${quick}
benchmarks:
  - id: gemm
    workload: gemm
    engines: ['onnxruntime:cpu']
    params: { n: 64, dtype: fp32 }
  - id: other-gemm
    workload: command
    params: { size: 64 }
    command: [python3, prints-figure.py, ok, "3.5"]
    metric: { name: throughput, unit: GFLOP/s, direction: higher, regex: 'samples/s: ([0-9.]+)' }
    as: { engine: pretend-torch, benchmark: gemm, params: { dtype: fp32, n: "{size}" } }
`,
      path.join(FIXTURES, 'mixed.yaml'),
    );
    const records = await run(s);
    expect(records.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(records[1]!.details).toMatchObject({ sameAs: { benchmark: 'gemm', params: { n: 64, dtype: 'fp32' } } });
    const [cmp, ...rest] = compareEngines(records);
    expect(rest).toEqual([]);
    expect(cmp!.benchmark).toBe('gemm');
    expect(cmp!.engines.map((e) => e.engine).sort()).toEqual([
      'command/pretend-torch',
      expect.stringMatching(/^onnxruntime\/cpu/),
    ]);
  });
});

describe('command workload: failures keep what is known', () => {
  it('a non-zero exit is a failed record with the exit code and the tail of stderr', async () => {
    const [r] = await run(suite(`command: [python3, prints-figure.py, fail]\n${metric}`));
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe('invocation 1 exited with code 3');
    expect(r!.details).toMatchObject({
      kind: 'command',
      exitCode: 3,
      stderrTail: expect.stringContaining('CUDA out of memory'),
    });
    expect(r!.energy.status).toBe('unavailable');
  });

  it('no figure, or a figure that is not finite, fails the case and says so', async () => {
    const [none] = await run(suite(`command: [python3, prints-figure.py, nofigure]\n${metric}`));
    expect(none!.status).toBe('failed');
    expect(none!.error).toMatch(/^invocation 1 printed no figure \(regex /);
    const [nan] = await run(suite(`command: [python3, prints-figure.py, nan]\n${metric}`));
    expect(nan!.status).toBe('failed');
    expect(nan!.error).toBe('invocation 1 printed a figure that is not a finite number (NaN)');
  });

  it('a time-out kills the whole process group, grandchildren included', async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'fedbench-cmd-')), 'grandchild');
    const t0 = Date.now();
    const [r] = await run(
      suite(`command: [python3, prints-figure.py, hang, "0", ${JSON.stringify(pidFile)}]\ntimeout: 2`),
    );
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe('invocation 1 ran past its time-out of 2 s and was killed');
    expect(Date.now() - t0).toBeLessThan(60_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await goneWithin(grandchild, 10_000)).toBe(true);
  });

  it('a program that is not there is a failed record naming it', async () => {
    const [r] = await run(suite('command: [no-such-program-here, x]'));
    expect(r!.status).toBe('failed');
    expect(r!.error).toMatch(/^program 'no-such-program-here' not found/);
  });

  it('a program that prints FEDBENCH:SKIP gives a skipped record with its reason', async () => {
    const [r] = await run(suite(`command: [python3, prints-figure.py, skip]\n${metric}`));
    expect(r!.status).toBe('skipped');
    expect(r!.error).toBe('tf32 is a tensor-core mode of NVIDIA GPUs (constructed)');
  });

  it('a missing Python module skips the case with the reason', async () => {
    const [r] = await run(
      suite(`command: [python3, prints-figure.py, ok]\nrequires: { python-module: fedbench_no_such_module }`),
    );
    expect(r!.status).toBe('skipped');
    expect(r!.error).toMatch(/requires Python module 'fedbench_no_such_module', which .* cannot import/);
  });
});

describe('command workload: hostile values and bad suites', () => {
  it('passes a hostile parameter value to the program as one literal argument, through no shell', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-cmd-'));
    const argvFile = path.join(dir, 'argv.json');
    const canary = path.join(dir, 'pwned');
    const hostile = `$(touch ${canary}); \`touch ${canary}\` && touch ${canary} # '"`;
    const s = suite(
      `params: { x: ${JSON.stringify(hostile)} }\ncommand: [python3, prints-figure.py, echo, "1", ${JSON.stringify(argvFile)}, "--name={x}", "{{literal}}"]\n${metric}`,
    );
    const [r] = await run(s);
    expect(r!.status, r!.error).toBe('ok');
    expect(JSON.parse(readFileSync(argvFile, 'utf8'))).toEqual([`--name=${hostile}`, '{literal}']);
    expect(existsSync(canary)).toBe(false);
  });

  it('refuses, with file:line:col, a placeholder without a parameter, command fields elsewhere, and engines', () => {
    expect(() => suite('command: [python3, prints-figure.py, "{nope}"]')).toThrow(
      /suite\.yaml:6:14: benchmarks\[0\]\.command: placeholder \{nope\} names no parameter/,
    );
    expect(() => suite('command: [python3, "{unclosed"]')).toThrow(/a brace that is not a \{param\} placeholder/);
    expect(() => suite('command: [python3, x.py]\nengines: [onnxruntime]')).toThrow(/remove engines/);
    expect(() => suite('command: []')).toThrow(/benchmarks\[0\]\.command/);
    expect(() =>
      suite(`command: [python3, x.py]\nmetric: { regex: '(a)(b)', name: x, unit: y, direction: higher }`),
    ).toThrow(/exactly one capture group/);
    expect(() =>
      parseSuite('name: x\nbenchmarks:\n  - id: g\n    workload: gemm\n    command: [ls]\n', '/tmp/s.yaml'),
    ).toThrow(/s\.yaml:\d+:\d+: benchmarks\[0\]\.command: only a 'workload: command' benchmark has command/);
  });

  it('travels to a Slurm job as a one-case suite that reads back the same case, cwd made absolute', () => {
    const s = suite(`params: { v: [3] }\ncommand: [python3, prints-figure.py, ok, "{v}"]\n${metric}`);
    const text = oneCaseSuite(s.cases[0]!);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fedbench-cmd-')), 'case.yaml');
    writeFileSync(file, text);
    const back = parseSuite(text, file);
    expect(back.cases.map((c) => c.id)).toEqual(['prog/command/v=3']);
    expect((back.cases[0]!.workload as unknown as { fields: { cwd: string } }).fields.cwd).toBe(FIXTURES);
  });
});

/** True once the process has exited (a zombie nobody has reaped yet counts as exited). */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 100))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
  }
  return false;
}
