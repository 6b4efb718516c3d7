// The `command` workload: a user's program as a benchmark, run for real (a constructed Python program in fixtures/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
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
    // a fixed count of warm-up runs, as the suite says: not a check that times were stable
    expect(a!.measurement).toMatchObject({ warmup: { iterations: 1, end: 'count' }, stopReason: 'max-samples' });
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

  it('warns of a noisy run and outliers by the same rules as built-in cases, naming the stop rule that ended it', async () => {
    // eight figures, two far above the rest: cv about 24%, two outliers by the modified z-score
    const [r] = await run(
      suite(
        `command: [printf, 'rate: %s\\n', '100', '101', '99', '100', '102', '98', '160', '170']\nsamples: all\nmetric: { name: rate, unit: u, direction: higher, regex: 'rate: ([0-9.]+)' }\nstop: { minSamples: 8, maxSamples: 8 }`,
      ),
    );
    expect(r!.status, r!.error).toBe('ok');
    expect(r!.samples).toHaveLength(8);
    expect(r!.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^noise target not met: median 95% CI .* after 8 samples \(stop\.maxSamples = 8 reached\)/,
        ),
        expect.stringMatching(/^noisy run: coefficient of variation 2\d\.\d% \(> 10%\)$/),
        '2 of 8 samples are outliers (modified z-score > 3.5)',
      ]),
    );
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
  it('loads: GEMM in four precisions, ResNet-50 training, encoder Offline and SingleStream on the GPU, CPU-sized versions, each needing torch', () => {
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
      'torch-gemm-cpu/command/n=512,dtype=fp32',
      'torch-gemm-cpu/command/n=512,dtype=bf16',
      'torch-gemm-cpu/command/n=512,dtype=fp16',
      'torch-resnet50-train-cpu/command/batch=2,size=32',
      'torch-encoder-offline-cpu/command/batch=1,seq=32,layers=1,dtype=fp32',
      'torch-encoder-offline-cpu/command/batch=1,seq=32,layers=1,dtype=bf16',
    ]);
    for (const c of s.cases) {
      const fields = (c.workload as unknown as { fields: CommandFields }).fields;
      expect(fields.requires?.['python-module']).toEqual(['torch']);
      // each case names its device: a GPU case never falls back to an hour of CPU work
      const device = fields.command[fields.command.indexOf('--device') + 1];
      expect(device, c.id).toBe(c.benchmark.id.endsWith('-cpu') ? 'cpu' : 'cuda');
      if (device === 'cuda') expect(fields.requires?.program).toEqual(['nvidia-smi']);
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

  it('no figure, or a figure that is not finite, fails the case and says what was printed', async () => {
    const [none] = await run(suite(`command: [python3, prints-figure.py, nofigure]\n${metric}`));
    expect(none!.status).toBe('failed');
    expect(none!.error).toMatch(/^invocation 1 printed no figure \(regex /);
    // stdout's tail is kept beside stderr's: the figure is usually looked for there
    expect(none!.details).toMatchObject({ stdoutTail: 'done, but no figure' });
    const [nan] = await run(suite(`command: [python3, prints-figure.py, nan]\n${metric}`));
    expect(nan!.status).toBe('failed');
    expect(nan!.error).toMatch(/^invocation 1 printed "nan" where its figure was expected \(regex /);
  });

  it('takes only a finite decimal number as a figure: an empty capture, null, true, [12.5], 0x1F fail the case', async () => {
    const printing = (line: string, rule: string) =>
      suite(
        // braces doubled: a literal brace in a command's argument
        `command: [printf, '%s\\n', ${JSON.stringify(line.replace(/[{}]/g, '$&$&'))}]\nmetric: { name: x, unit: u, direction: higher, ${rule} }`,
      );
    const regex = `regex: 'rate: ([^ ]*)'`;
    const json = 'json: m';
    const bad: [string, string, string][] = [
      ['rate: ', regex, '""'],
      ['rate: 0x1F', regex, '"0x1F"'],
      ['rate: 1e999', regex, '"1e999"'],
      ['{"m": null}', json, 'null'],
      ['{"m": true}', json, 'true'],
      ['{"m": [12.5]}', json, '[12.5]'],
      ['{"m": "0x1F"}', json, '"0x1F"'],
    ];
    for (const [line, rule, printed] of bad) {
      const [r] = await run(printing(line, rule));
      expect(r!.status, line).toBe('failed');
      expect(r!.error, line).toBe(
        `invocation 1 printed ${printed} where its figure was expected (${rule.startsWith('regex') ? 'regex "rate: ([^ ]*)" on stdout lines' : 'json path m in stdout lines that are JSON objects'}, the last match): a figure is a finite decimal number such as 12, -3.5, 1e3 or .5`,
      );
      expect(r!.details, line).toMatchObject({ stdoutTail: line.trim() });
      expect(r!.samples, line).toEqual([]);
    }
    const good: [string, string, number][] = [
      ['rate: 12', regex, 12],
      ['rate: -3.5', regex, -3.5],
      ['rate: 1e3', regex, 1000],
      ['rate: .5', regex, 0.5],
      ['{"m": 7.25}', json, 7.25],
      ['{"m": "42"}', json, 42],
    ];
    for (const [line, rule, value] of good) {
      const [r] = await run(printing(line, rule));
      expect(r!.status, `${line}: ${r!.error}`).toBe('ok');
      expect(r!.samples, line).toEqual([value, value, value]);
    }
  });

  it('a time-out kills the whole process group, grandchildren included', async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'fedbench-cmd-')), 'grandchild');
    const t0 = Date.now();
    const [r] = await run(
      suite(`command: [python3, prints-figure.py, hang, "0", ${JSON.stringify(pidFile)}]\ntimeout: 2`),
    );
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe('invocation 1 ran past its per-invocation time-out (timeout: 2 s) and was killed');
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

describe('command workload: the time-out bounds the whole case', () => {
  // Real programs that leave processes behind holding their stdout; the odd durations name them in `ps`.
  const rate = `metric: { name: rate, unit: u, direction: higher, regex: 'rate: ([0-9.]+)' }`;
  const started = ['sleep 41.37', 'sleep 63.17', 'sleep 37.71', 'sleep 39.13'];
  afterAll(() => {
    for (const args of started) for (const pid of alive(args)) process.kill(pid, 'SIGKILL'); // only if a test failed
  });

  it('a program killed at its time-out whose setsid child holds stdout ends the case within seconds', async () => {
    const t0 = Date.now();
    const [r] = await run(suite(`command: [sh, -c, 'setsid sleep 41.37 & sleep 63.17']\ntimeout: 1\n${rate}`));
    expect(Date.now() - t0).toBeLessThan(30_000); // not the 41 s the escaped child would hold its stdout
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe('invocation 1 ran past its per-invocation time-out (timeout: 1 s) and was killed');
    expect(r!.details).toMatchObject({
      leftBehind: expect.stringMatching(
        /^invocation 1: process \d+ \(sleep\), outside its process group \(setsid\), held its output after it exited: killed/,
      ),
    });
    expect(alive('sleep 41.37')).toEqual([]);
    expect(alive('sleep 63.17')).toEqual([]);
  });

  it('a program that exits leaving a child on its stdout gives its figure at once; the child is killed', async () => {
    const t0 = Date.now();
    const [r] = await run(suite(`command: [sh, -c, 'sleep 37.71 & echo "rate: 5"']\n${rate}`));
    expect(Date.now() - t0).toBeLessThan(30_000); // four invocations, each not waiting 37 s for the child
    expect(r!.status, r!.error).toBe('ok');
    expect(r!.samples).toEqual([5, 5, 5]);
    // the invocation ends when the program exits: its time is not the grace given to what it left behind
    expect(Math.max(...r!.iterationSeconds)).toBeLessThan(0.9);
    expect(r!.warnings).toContain(
      'invocation 1: processes it started held its output after it exited: killed after 1 s',
    );
    expect(alive('sleep 37.71')).toEqual([]);
  });

  it('a daemon that escaped with setsid and holds stdout does not hold the case, and the record says so', async () => {
    const [r] = await run(suite(`command: [sh, -c, 'setsid sleep 39.13 & echo "rate: 7"']\n${rate}`));
    expect(r!.status, r!.error).toBe('ok');
    expect(r!.samples).toEqual([7, 7, 7]);
    expect(r!.details).toMatchObject({ leftBehind: expect.stringMatching(/outside its process group \(setsid\)/) });
    expect(r!.warnings.some((w) => /^invocation 1: process \d+ \(sleep\), outside its process group/.test(w))).toBe(
      true,
    );
    expect(alive('sleep 39.13')).toEqual([]);
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
    ).toThrow(
      /metric\.regex: regex must have exactly one capture group, around the figure; it has 2 \(make the others non-capturing/,
    );
    expect(() =>
      suite(`command: [python3, x.py]\nmetric: { regex: 'rate: [0-9]+', name: x, unit: y, direction: higher }`),
    ).toThrow(/metric\.regex: regex must have exactly one capture group, around the figure; it has none/);
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

/** PIDs of live processes (zombies excluded: they have exited) whose command line is exactly `args`, from ps. */
function alive(args: string): number[] {
  return execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...rest]) => stat && !stat.startsWith('Z') && rest.join(' ') === args)
    .map(([pid]) => Number(pid));
}

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
