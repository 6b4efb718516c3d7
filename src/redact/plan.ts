// Which strings of a record are free text, read from the record's zod schema (the one source of its shape), so a
// string field added to the schema later is redacted without anyone remembering to list it. Enums and literals
// (status, kind, domain, method, …) are fedbench's own vocabulary and are never touched: a host that happens to
// be called `gpu` must not turn a reading's domain into a label.
import { z } from 'zod';
import { runRecordSchema } from '../results/index.js';

export type Plan =
  /** fedbench's vocabulary, numbers, booleans: left alone. */
  | { t: 'keep' }
  /** Text: every identifying value in it is replaced. */
  | { t: 'text' }
  /** A version string: identifying values replaced, but no address looked for in `1.2.3.4`-shaped versions. */
  | { t: 'version' }
  /** Fields of an object; a field the schema does not name is free-form. */
  | { t: 'object'; fields: Record<string, Plan> }
  /** A record keyed by fedbench's or the suite's names (environment variables, packages, parameters). */
  | { t: 'record'; values: Plan }
  | { t: 'array'; element: Plan }
  | { t: 'tuple'; items: Plan[] }
  /** Free-form (`z.unknown()`): every string in it, keys too, is text. */
  | { t: 'free' };

const KEEP: Plan = { t: 'keep' };
const TEXT: Plan = { t: 'text' };
const FREE: Plan = { t: 'free' };

const scalar = (p: Plan) => p.t === 'keep' || p.t === 'text' || p.t === 'version';

/** Two shapes a value may take (a union's options) as one plan: the more cautious wherever they differ. */
function merge(a: Plan, b: Plan): Plan {
  if (a.t === 'object' && b.t === 'object') {
    const fields: Record<string, Plan> = { ...a.fields };
    for (const [k, p] of Object.entries(b.fields)) fields[k] = fields[k] ? merge(fields[k], p) : p;
    return { t: 'object', fields };
  }
  if (a.t === 'record' && b.t === 'record') return { t: 'record', values: merge(a.values, b.values) };
  if (a.t === 'array' && b.t === 'array') return { t: 'array', element: merge(a.element, b.element) };
  if (a.t === 'tuple' && b.t === 'tuple' && a.items.length === b.items.length)
    return { t: 'tuple', items: a.items.map((p, i) => merge(p, b.items[i]!)) };
  if (scalar(a) && scalar(b)) return a.t === b.t ? a : a.t === 'keep' ? b : b.t === 'keep' ? a : TEXT;
  return FREE;
}

export function planOf(schema: z.ZodType): Plan {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodNonOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodReadonly
  )
    return planOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodString) return TEXT;
  if (
    schema instanceof z.ZodEnum ||
    schema instanceof z.ZodLiteral ||
    schema instanceof z.ZodNumber ||
    schema instanceof z.ZodBoolean ||
    schema instanceof z.ZodNull
  )
    return KEEP;
  if (schema instanceof z.ZodObject)
    return {
      t: 'object',
      fields: Object.fromEntries(Object.entries(schema.shape).map(([k, s]) => [k, planOf(s as z.ZodType)])),
    };
  if (schema instanceof z.ZodArray) return { t: 'array', element: planOf(schema.element as z.ZodType) };
  if (schema instanceof z.ZodTuple)
    return { t: 'tuple', items: (schema.def.items as z.ZodType[]).map((s) => planOf(s)) };
  if (schema instanceof z.ZodRecord) return { t: 'record', values: planOf(schema.valueType as z.ZodType) };
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).map((s) => planOf(s)).reduce(merge);
  return FREE; // unknown, any, and whatever the schema grows that is not described here
}

/** The plan at a path (`[]` for an array's elements, `*` for a record's values) replaced by `p`. */
function override(plan: Plan, path: readonly string[], p: Plan): Plan {
  if (!path.length) return p;
  const [head, ...rest] = path;
  if (plan.t === 'object' && head !== undefined && plan.fields[head])
    return { ...plan, fields: { ...plan.fields, [head]: override(plan.fields[head], rest, p) } };
  if (plan.t === 'array' && head === '[]') return { ...plan, element: override(plan.element, rest, p) };
  if (plan.t === 'record' && head === '*') return { ...plan, values: override(plan.values, rest, p) };
  throw new Error(`redaction plan: no field ${path.join('.')} in the record schema`);
}

const VERSION: Plan = { t: 'version' };

/** Versions that readers need and that are never addresses; the site's name, which is public. */
export const RECORD_PLAN: Plan = [
  { path: ['engine', 'version'], p: VERSION },
  { path: ['system', 'node'], p: VERSION },
  { path: ['system', 'os', 'release'], p: VERSION },
  { path: ['system', 'packages', '*'], p: VERSION },
  { path: ['system', 'gpus', '[]', 'driver'], p: VERSION },
  { path: ['system', 'gpus', '[]', 'cuda'], p: VERSION },
  { path: ['site'], p: KEEP },
].reduce((plan, o) => override(plan, o.path, o.p), planOf(runRecordSchema));

/** Calls `text` with every string the plan calls text (or version), keys of free-form objects included. */
export function visitStrings(value: unknown, plan: Plan, text: (s: string, version: boolean) => void): void {
  if (typeof value === 'string') {
    if (plan.t !== 'keep') text(value, plan.t === 'version');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      visitStrings(v, elementPlan(plan, i), text);
    });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (plan.t === 'free') text(k, false);
    visitStrings(v, fieldPlan(plan, k), text);
  }
}

/** A copy of `value` with every string the plan calls text (or version) passed through `text`. */
export function mapStrings(value: unknown, plan: Plan, text: (s: string) => string): unknown {
  if (typeof value === 'string') return plan.t === 'keep' ? value : text(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, elementPlan(plan, i), text));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[plan.t === 'free' ? text(k) : k] = mapStrings(v, fieldPlan(plan, k), text);
  return out;
}

function elementPlan(plan: Plan, i: number): Plan {
  if (plan.t === 'array') return plan.element;
  if (plan.t === 'tuple') return plan.items[i] ?? FREE;
  return FREE;
}

/** A field's plan; an object where the schema expects none (or names no such field) is free-form. */
function fieldPlan(plan: Plan, key: string): Plan {
  if (plan.t === 'object') return plan.fields[key] ?? FREE;
  if (plan.t === 'record') return plan.values;
  return FREE;
}
