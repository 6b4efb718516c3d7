// Loads a suite file, validates it completely, and expands it into cases — before anything runs.
// Every error names the file, the line and column, and the field path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, unknownName } from '../errors.js';
import { ENGINE_NAMES, type EngineName } from '../engines/types.js';
import { DEFAULT_RULES, mergeRules, type StoppingRules } from '../measure/index.js';
import { WORKLOADS, type Workload } from '../workloads/index.js';
import { commandFieldsSchema, commandWorkload, placeholders } from '../workloads/command/index.js';
import { COMMAND_FIELDS, suiteSchema, type BenchmarkSpec } from './schema.js';
import { issuesText, loadYamlAs, problemAt, type FieldPath } from '../yaml.js';

export const BUILTIN_SUITES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../benchmarks');

export interface Case {
  /** Stable id: benchmark/engine[:backend]/param=value,… */
  id: string;
  suite: string;
  benchmark: Pick<BenchmarkSpec, 'id' | 'workload' | 'description'>;
  workload: Workload;
  engine: EngineName;
  /** A backend / provider pinned by the suite or the command line; null lets the engine's chain choose. */
  backend: string | null;
  params: Record<string, unknown>;
  rules: StoppingRules;
  seed: number;
}

export interface Suite {
  name: string;
  description: string | undefined;
  file: string;
  cases: Case[];
}

function cartesian(params: Record<string, unknown>): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [key, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v })));
  }
  return out;
}

function parseEngineRef(ref: string): { engine: EngineName; backend: string | null } {
  const [engine, backend] = ref.split(':') as [EngineName, string | undefined];
  return { engine, backend: backend ?? null };
}

export function caseId(
  benchmarkId: string,
  engine: string,
  backend: string | null,
  params: Record<string, unknown>,
): string {
  const p = Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return `${benchmarkId}/${backend ? `${engine}:${backend}` : engine}${p ? `/${p}` : ''}`;
}

/** A `workload: command` benchmark's own workload, or the problems with its fields. */
function commandBenchmark(
  b: BenchmarkSpec,
  located: Parameters<typeof problemAt>[0],
  at: FieldPath,
  dir: string,
): { workload: Workload } | { problems: string[] } {
  const raw = Object.fromEntries(COMMAND_FIELDS.filter((k) => b[k] !== undefined).map((k) => [k, b[k]]));
  const parsed = commandFieldsSchema.safeParse(raw);
  if (!parsed.success) return { problems: [issuesText(located, parsed.error.issues, at)] };
  const problems: string[] = [];
  if (b.engines)
    problems.push(problemAt(located, [...at, 'engines'], 'a command brings its own engine: remove engines'));
  const { names, problems: braces } = placeholders(parsed.data.command);
  for (const p of braces) problems.push(problemAt(located, [...at, 'command'], p));
  for (const name of names)
    if (!(name in b.params))
      problems.push(
        problemAt(
          located,
          [...at, 'command'],
          `placeholder {${name}} names no parameter (params: ${Object.keys(b.params).join(', ') || 'none'})`,
        ),
      );
  return problems.length ? { problems } : { workload: commandWorkload(parsed.data, dir) };
}

/** Parses and validates suite text; `file` names it in messages, and its folder is where commands run. */
export function parseSuite(text: string, file: string, dir = path.dirname(path.resolve(file))): Suite {
  const { data: suite, located } = loadYamlAs(text, file, suiteSchema);
  const problems: string[] = [];
  const cases: Case[] = [];
  const seen = new Set<string>();
  suite.benchmarks.forEach((b, bi) => {
    const at: FieldPath = ['benchmarks', bi];
    if (seen.has(b.id)) problems.push(problemAt(located, [...at, 'id'], `duplicate benchmark id '${b.id}'`));
    seen.add(b.id);
    const extra = COMMAND_FIELDS.filter((k) => b[k] !== undefined);
    if (b.workload !== 'command' && extra.length) {
      problems.push(
        problemAt(located, [...at, extra[0]!], `only a 'workload: command' benchmark has ${extra.join(', ')}`),
      );
      return;
    }
    let workload: Workload | undefined = WORKLOADS[b.workload];
    if (b.workload === 'command') {
      const built = commandBenchmark(b, located, at, dir);
      if ('problems' in built) {
        problems.push(...built.problems);
        return;
      }
      workload = built.workload;
    }
    if (!workload) {
      problems.push(
        problemAt(
          located,
          [...at, 'workload'],
          unknownName('workload', b.workload, [...Object.keys(WORKLOADS), 'command']).message,
        ),
      );
      return;
    }
    const rules = mergeRules(DEFAULT_RULES, suite.stop, b.stop);
    if (rules.minSamples > rules.maxSamples || rules.minSeconds > rules.maxSeconds) {
      problems.push(
        problemAt(
          located,
          [...at, 'stop'],
          `minimum exceeds maximum (samples ${rules.minSamples}/${rules.maxSamples}, seconds ${rules.minSeconds}/${rules.maxSeconds})`,
        ),
      );
    }
    const engines =
      workload.kind === 'command'
        ? [{ engine: 'command' as const, backend: null }]
        : (b.engines ?? suite.engines ?? [...ENGINE_NAMES]).map(parseEngineRef);
    for (const combo of cartesian(b.params)) {
      const checked = workload.params.safeParse(combo);
      if (!checked.success) {
        const msg = issuesText(located, checked.error.issues, [...at, 'params']);
        if (!problems.includes(msg)) problems.push(msg);
        continue;
      }
      for (const { engine, backend } of engines) {
        const params = checked.data as Record<string, unknown>;
        cases.push({
          id: caseId(b.id, engine, backend, params),
          suite: suite.name,
          benchmark: { id: b.id, workload: b.workload, description: b.description ?? workload.description },
          workload,
          engine,
          backend,
          params,
          rules,
          seed: b.seed ?? 42,
        });
      }
    }
  });
  if (problems.length) throw new InputError(problems.join('\n'));
  return { name: suite.name, description: suite.description, file, cases };
}

export function builtinSuites(dir = BUILTIN_SUITES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** A built-in suite name (benchmarks/NAME.yaml) or a path to a suite file. */
export function loadSuite(nameOrFile: string, dir = BUILTIN_SUITES_DIR): Suite {
  const looksLikePath = /[/\\]|\.ya?ml$/.test(nameOrFile);
  const file = looksLikePath ? path.resolve(nameOrFile) : path.join(dir, `${nameOrFile}.yaml`);
  if (!existsSync(file)) {
    if (looksLikePath) throw new InputError(`suite file not found: ${file}`);
    throw unknownName('suite', nameOrFile, builtinSuites(dir));
  }
  return parseSuite(
    readFileSync(file, 'utf8'),
    looksLikePath ? nameOrFile : path.relative(process.cwd(), file) || file,
  );
}
