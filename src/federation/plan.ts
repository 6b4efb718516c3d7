// From a suite to what runs where: cases → tasks (array indices) → arrays per site, chunked to MaxArraySize,
// one per node for a node sweep. Each case travels as its own one-case suite file, so `fedbench run` on the
// compute node runs exactly that case, with the stopping rules it had here.
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import { parseSuite, type Case } from '../suite/index.js';
import { metricOf } from '../workloads/index.js';
import { worldOf, type World } from '../workloads/ranks/index.js';
import type { PlannedCase } from './journal.js';

/** The metric and kind of a case's workload. */
function workloadFacts(c: Case): Pick<PlannedCase, 'metric' | 'benchmark'> {
  const m = metricOf(c.workload, c.params);
  return {
    metric: { name: m.name, unit: m.unit, direction: m.direction },
    benchmark: { id: c.benchmark.id, workload: c.benchmark.workload, kind: c.workload.kind },
  };
}

export function planCases(cases: readonly Case[]): PlannedCase[] {
  return cases.map((c, index) => ({
    index,
    id: c.id,
    suite: c.suite,
    engine: c.engine,
    backend: c.backend,
    params: c.params,
    ...workloadFacts(c),
  }));
}

/** A suite file holding exactly this case; checked by parsing it back. */
export function oneCaseSuite(c: Case): string {
  const text = stringify({
    name: c.suite,
    description: `one case of suite ${c.suite}, written by fedbench submit`,
    benchmarks: [
      {
        id: c.benchmark.id,
        workload: c.benchmark.workload,
        // a command brings its own engine; its fields travel with it, its cwd made absolute
        ...('fields' in c.workload
          ? (c.workload.fields as Record<string, unknown>)
          : { engines: [c.backend ? `${c.engine}:${c.backend}` : c.engine] }),
        params: c.params,
        stop: c.rules,
        seed: c.seed,
      },
    ],
  });
  const back = parseSuite(text, `case ${c.id}`);
  if (back.cases.length !== 1 || back.cases[0]!.id !== c.id) {
    throw new InputError(
      `case ${c.id} cannot be written as a one-case suite (it reads back as ${back.cases.map((x) => x.id).join(', ') || 'nothing'})`,
    );
  }
  return text;
}

/** The ranks a planned case asks for (`nodes` × `gpusPerNode`), or null for a one-process case. */
export function worldOfCase(c: Pick<PlannedCase, 'params'>): World | null {
  return worldOf(c.params);
}

const worldKey = (w: World | null): string => (w ? `${w.nodes}x${w.perNode}` : '');

/**
 * Tasks of at most casesPerTask cases, never mixing cases of different worlds (a task runs in one allocation);
 * grouped by world, so each world's tasks are one contiguous range of array indices.
 */
export function chunkTasksByWorld(cases: readonly Pick<PlannedCase, 'params'>[], casesPerTask: number): number[][] {
  const groups = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const k = worldKey(worldOfCase(c));
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  return [...groups.values()].flatMap((idx) => chunkTasks(idx.length, casesPerTask).map((t) => t.map((k) => idx[k]!)));
}

/** Contiguous task ranges [offset, offset + count) of one world each. */
export function worldRanges(
  tasks: readonly number[][],
  cases: readonly Pick<PlannedCase, 'params'>[],
): Array<{ world: World | null; offset: number; count: number }> {
  const out: Array<{ world: World | null; offset: number; count: number }> = [];
  tasks.forEach((t, i) => {
    const world = worldOfCase(cases[t[0]!]!);
    const last = out.at(-1);
    if (last && worldKey(last.world) === worldKey(world)) last.count++;
    else out.push({ world, offset: i, count: 1 });
  });
  return out;
}

export function chunkTasks(caseCount: number, casesPerTask: number): number[][] {
  const tasks: number[][] = [];
  for (let i = 0; i < caseCount; i += casesPerTask)
    tasks.push(Array.from({ length: Math.min(casesPerTask, caseCount - i) }, (_, k) => i + k));
  return tasks;
}

/** [offset, count] ranges of at most maxArraySize tasks (array indices 0..MaxArraySize-1). */
export function arrayRanges(taskCount: number, maxArraySize: number): Array<{ offset: number; count: number }> {
  const out: Array<{ offset: number; count: number }> = [];
  for (let o = 0; o < taskCount; o += maxArraySize)
    out.push({ offset: o, count: Math.min(maxArraySize, taskCount - o) });
  return out;
}
