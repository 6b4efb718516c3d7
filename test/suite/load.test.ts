import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { builtinSuites, loadSuite, parseSuite } from '../../src/suite/index.js';

const ok = `
name: demo
stop: { maxSeconds: 3 }
benchmarks:
  - id: gemm
    workload: gemm
    engines: [onnxruntime]
    params: { n: [64, 128], dtype: [fp32, fp16] }
    stop: { maxSeconds: 7, warmup: { window: 3 } }
  - id: bw
    workload: bandwidth
    params: { mib: 1 }
`;

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseSuite', () => {
  it('expands parameter lists into the cartesian product, per engine', () => {
    const s = parseSuite(ok, 'demo.yaml');
    const ids = s.cases.map((c) => c.id);
    expect(ids).toEqual([
      'gemm/onnxruntime/n=64,dtype=fp32',
      'gemm/onnxruntime/n=64,dtype=fp16',
      'gemm/onnxruntime/n=128,dtype=fp32',
      'gemm/onnxruntime/n=128,dtype=fp16',
      'bw/onnxruntime/mib=1,op=read',
      'bw/tfjs/mib=1,op=read',
    ]);
  });

  it('applies per-benchmark stopping overrides over suite defaults', () => {
    const s = parseSuite(ok, 'demo.yaml');
    expect(s.cases[0]!.rules.maxSeconds).toBe(7);
    expect(s.cases[0]!.rules.warmup.window).toBe(3);
    expect(s.cases[4]!.rules.maxSeconds).toBe(3);
  });

  it('names file, line and column of a YAML syntax error', () => {
    const e = errorOf(() => parseSuite('name: x\nbenchmarks:\n  - id: a\n    params: { n: [1, 2 }\n', 'bad.yaml'));
    expect(e.message).toMatch(/^bad\.yaml:4:\d+: invalid YAML/);
  });

  it('names the field path and its line for a schema error', () => {
    const text = 'name: x\nbenchmarks:\n  - id: a\n    workload: gemm\n    stop: { maxSeconds: -1 }\n';
    const e = errorOf(() => parseSuite(text, 's.yaml'));
    expect(e.message).toMatch(/^s\.yaml:5:\d+: benchmarks\[0\]\.stop\.maxSeconds: /);
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    const e = errorOf(() =>
      parseSuite('name: x\nbenchmarks:\n  - id: a\n    workload: gemm\n    parms: { n: 4 }\n', 's.yaml'),
    );
    expect(e.message).toContain('benchmarks[0]');
    expect(e.message).toContain('parms');
  });

  it('lists the valid workloads for an unknown one', () => {
    const e = errorOf(() => parseSuite('name: x\nbenchmarks:\n  - id: a\n    workload: gemmm\n', 's.yaml'));
    expect(e.message).toMatch(
      /s\.yaml:4:\d+: benchmarks\[0\]\.workload: unknown workload 'gemmm'. Valid workloads: .*gemm/,
    );
  });

  it("checks every parameter value against the workload's schema, naming the parameter", () => {
    const e = errorOf(() =>
      parseSuite('name: x\nbenchmarks:\n  - id: a\n    workload: gemm\n    params:\n      n: [64, -3]\n', 's.yaml'),
    );
    expect(e.message).toMatch(/s\.yaml:6:\d+: benchmarks\[0\]\.params\.n: /);
    const f = errorOf(() =>
      parseSuite('name: x\nbenchmarks:\n  - id: a\n    workload: gemm\n    params: { n: 8, dtype: fp8 }\n', 's.yaml'),
    );
    expect(f.message).toContain('benchmarks[0].params.dtype');
  });

  it('rejects duplicate benchmark ids and unknown engines', () => {
    expect(
      errorOf(() =>
        parseSuite(
          'name: x\nbenchmarks:\n  - { id: a, workload: gemm, params: { n: 4 } }\n  - { id: a, workload: gemm, params: { n: 8 } }\n',
          's.yaml',
        ),
      ).message,
    ).toContain("duplicate benchmark id 'a'");
    expect(
      errorOf(() =>
        parseSuite(
          'name: x\nengines: [pytorch]\nbenchmarks:\n  - { id: a, workload: gemm, params: { n: 4 } }\n',
          's.yaml',
        ),
      ).message,
    ).toMatch(/s\.yaml:2:\d+: engines\[0\]/);
  });

  it('reports a document that is not a mapping', () => {
    expect(errorOf(() => parseSuite('- just\n- a list\n', 'l.yaml')).message).toMatch(/^l\.yaml:1:1: \(top level\)/);
  });
});

describe('loadSuite', () => {
  it('loads every built-in suite', () => {
    const names = builtinSuites();
    expect(names).toEqual(expect.arrayContaining(['quick', 'kernels']));
    for (const n of names) expect(loadSuite(n).cases.length).toBeGreaterThan(0);
  });

  it('quick holds one case of every kernel workload, one training and one inference case', () => {
    const cases = loadSuite('quick').cases;
    const workloads = new Set(cases.map((c) => c.workload.id));
    expect([...workloads].sort()).toEqual(['attention', 'bandwidth', 'conv2d', 'gemm', 'infer-cnn', 'train-mlp']);
    expect(cases.filter((c) => c.workload.kind === 'training').map((c) => c.engine)).toEqual(['tfjs']);
    expect(cases.filter((c) => c.workload.kind === 'inference').map((c) => c.engine)).toEqual(['onnxruntime', 'tfjs']);
  });

  it('checks training and inference parameters at load, naming the field', () => {
    const bad = (params: string) => () =>
      parseSuite(`name: t\nbenchmarks:\n  - id: a\n    workload: infer-resnet50\n    params: ${params}\n`, 'bad.yaml');
    expect(bad('{ scenario: single-stream, batch: 8 }')).toThrow(/bad.yaml:5:.*batch must be 1/);
    expect(bad('{ scenario: server }')).toThrow(/the server scenario needs targetQps, or findMaxQps: true/);
    expect(bad('{ scenario: batch }')).toThrow(/bad.yaml:5:/);
  });

  it('lists the built-in suites for an unknown name', () => {
    expect(() => loadSuite('quik')).toThrow(/unknown suite 'quik'. Valid suites: .*quick/);
  });
});

describe('shipped references', () => {
  it('the example references file is valid', async () => {
    const { loadReferences } = await import('../../src/suite/index.js');
    const refs = loadReferences(new URL('../../benchmarks/references/a100.example.yaml', import.meta.url).pathname);
    expect(refs.map((r) => r.benchmark)).toEqual(['gemm', 'bandwidth', 'comm-nccl', 'ddp-cnn-nccl']);
    expect(refs.filter((r) => r.busbwAt || r.efficiency).map((r) => r.unit)).toEqual(['GB/s', 'ratio']);
  });
});
