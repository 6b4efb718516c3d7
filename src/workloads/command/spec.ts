// What a suite says about a user's program: its argv with {param} placeholders, how its figure of merit is read
// from its output, what it needs to run, and how long one invocation may take.
import { z } from 'zod';
import { errorText } from '../../errors.js';
import { directionSchema, type Metric } from '../../results/index.js';

/** The argument that marks a placeholder; `{{` and `}}` stand for literal braces. */
const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

export const commandMetricSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    unit: z.string().min(1).optional(),
    direction: directionSchema.optional(),
    /** A regular expression with one capture group, applied to each line of stdout. */
    regex: z.string().min(1).optional(),
    /** A dotted path into each stdout line that is a JSON object, e.g. `metrics.throughput`. */
    json: z
      .string()
      .regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\.\d+)*$/, { message: 'expected a dotted path such as a.b.c' })
      .optional(),
  })
  .refine((m) => !(m.regex && m.json), { message: 'give regex or json, not both (neither: wall time)' })
  .refine((m) => !(m.regex || m.json) || (m.name && m.unit && m.direction), {
    message: 'a figure read from the output needs its name, unit and direction',
  })
  .superRefine((m, ctx) => {
    const problem = m.regex ? regexProblem(m.regex) : null;
    if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
  });

/** Why a figure's regex is unusable (it does not compile, or has not exactly one capture group), or null. */
function regexProblem(source: string): string | null {
  let groups: number;
  try {
    groups = new RegExp(`${source}|`).exec('')!.length - 1;
  } catch (e) {
    return `regex does not compile: ${errorText(e)}`;
  }
  if (groups === 1) return null;
  return `regex must have exactly one capture group, around the figure; it has ${groups === 0 ? 'none' : groups}${groups > 1 ? ' (make the others non-capturing: (?:…))' : ''}`;
}

/** Python modules or programs a command needs; a case whose requirement is missing is skipped, with the reason. */
export const requiresSchema = z.strictObject({
  'python-module': z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(
      z.array(z.string().regex(/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/, { message: 'expected a Python module name' })),
    )
    .optional(),
  program: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().regex(/^[^\s/]+$/, { message: 'expected a program name found on PATH' })))
    .optional(),
});

/** The command fields of a suite benchmark (beside id, params, stop…), when `workload: command`. */
export const commandFieldsSchema = z.strictObject({
  /** argv: the program, then its arguments; `{param}` is replaced in each argument, never through a shell. */
  command: z.array(z.string()).min(1),
  metric: commandMetricSchema.optional(),
  /** `invocation`: one sample per run of the program (its last match); `all`: every match is a sample. */
  samples: z.enum(['invocation', 'all']).default('invocation'),
  /** Runs before measuring that are not counted (default: 1 per invocation sample, 0 with samples: all). */
  warmup: z.number().int().min(0).optional(),
  /** Seconds one invocation may run before its whole process group is killed. */
  timeout: z.number().positive().default(600),
  /** The program prints FEDBENCH:BEGIN and FEDBENCH:END lines around its measured part (set-up excluded). */
  markers: z.boolean().default(false),
  /** Working directory; relative to the suite file's folder, which is the default. */
  cwd: z.string().min(1).optional(),
  requires: requiresSchema.optional(),
  /** The same measurement as a built-in benchmark, so that reports put this program beside fedbench's engines:
   *  `engine` names the program's engine (e.g. pytorch); a param value "{p}" takes this case's value of p. */
  as: z
    .strictObject({
      engine: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'expected a short lower-case engine label' }),
      benchmark: z.string().min(1),
      params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
    })
    .optional(),
});

export type CommandFields = z.output<typeof commandFieldsSchema>;
export type CommandMetric = z.output<typeof commandMetricSchema>;

/** Placeholders named in an argv, or the first malformed brace. */
export function placeholders(argv: readonly string[]): { names: Set<string>; problems: string[] } {
  const names = new Set<string>();
  const problems: string[] = [];
  argv.forEach((arg, i) => {
    const stripped = arg.replace(PLACEHOLDER, (_m, name: string | undefined) => {
      if (name) names.add(name);
      return '';
    });
    if (/[{}]/.test(stripped))
      problems.push(
        `command[${i}] "${arg}": a brace that is not a {param} placeholder (write {{ or }} for a literal one)`,
      );
  });
  return { names, problems };
}

/** The argv for one case: each placeholder replaced by its parameter's value, as one whole argument piece. */
export function substitute(argv: readonly string[], params: Record<string, unknown>): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (m, name: string | undefined) => {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      if (!name || !(name in params)) throw new Error(`no parameter '${name}' for placeholder ${m}`);
      return String(params[name]);
    }),
  );
}

/** The metric a record states: the suite's, or wall time in seconds when the figure is not read from the output. */
export function commandMetric(m: CommandMetric | undefined): Metric {
  if (m?.regex || m?.json) return { name: m.name!, unit: m.unit!, direction: m.direction! };
  return { name: m?.name ?? 'time', unit: 's', direction: 'lower' };
}

/** The built-in benchmark and parameters a case of this command measures the same as, or undefined. */
export function sameAs(
  fields: CommandFields,
  params: Record<string, unknown>,
): { benchmark: string; params: Record<string, unknown> } | undefined {
  if (!fields.as) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields.as.params)) {
    const whole = typeof v === 'string' ? /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/.exec(v) : null;
    out[k] = whole ? params[whole[1]!] : typeof v === 'string' ? substitute([v], params)[0] : v;
  }
  return { benchmark: fields.as.benchmark, params: out };
}

/** How the figure is read, in words, for the record. */
export function extractionRule(m: CommandMetric | undefined, samples: 'invocation' | 'all'): string {
  const which = samples === 'all' ? 'every match' : 'the last match';
  if (m?.regex) return `regex ${JSON.stringify(m.regex)} on stdout lines, ${which}`;
  if (m?.json) return `json path ${m.json} in stdout lines that are JSON objects, ${which}`;
  return 'wall time of the invocation (or of its FEDBENCH:BEGIN..FEDBENCH:END window)';
}
