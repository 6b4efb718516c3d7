// Which strings of a record are free text, read from the record's zod schema (the one source of its shape), so a
// string field added to the schema later is redacted without anyone remembering to list it. Enums and literals
// (status, kind, domain, method, …) are fedbench's own vocabulary and are never touched: a host that happens to
// be called `gpu` must not turn a reading's domain into a label.
import { z } from 'zod';
import { runRecordSchema } from '../results/index.js';
import { type Decision, DROP_OTHER_ENV, ENV_DECISIONS, FIELD_DECISIONS } from './decisions.js';
import type { LabelKind } from './labels.js';

export type Plan =
  /** fedbench's vocabulary, numbers, booleans: left alone. */
  | { t: 'keep' }
  /** Text: every identifying value in it is replaced. */
  | { t: 'text' }
  /** Kept (a version, a unit): identifying values found elsewhere replaced, nothing looked for by its shape. */
  | { t: 'version' }
  /** The whole value is an identifying value of this kind. */
  | { t: 'label'; kind: LabelKind }
  /** Left out of the copy. */
  | { t: 'drop' }
  /** An object keyed by names with a plan each (environment variables); other keys get `other`. */
  | { t: 'vars'; keys: Record<string, Plan>; other: Plan }
  /** Fields of an object; a field the schema does not name is free-form. */
  | { t: 'object'; fields: Record<string, Plan> }
  /** A record keyed by fedbench's or the suite's names (environment variables, packages, parameters). */
  | { t: 'record'; values: Plan }
  | { t: 'array'; element: Plan }
  | { t: 'tuple'; items: Plan[] }
  /** Free-form (`z.unknown()`): every string in it, keys too, is text. */
  | { t: 'free' }
  /** Data of known shape beside the records (a report's history): every string value is text, keys are kept. */
  | { t: 'data' };

const KEEP: Plan = { t: 'keep' };
const TEXT: Plan = { t: 'text' };
const FREE: Plan = { t: 'free' };
export const DATA: Plan = { t: 'data' };

const scalar = (p: Plan) => p.t === 'keep' || p.t === 'text' || p.t === 'version' || p.t === 'label';

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

/** Every string field of a plan (and free-form one): its path (`[]` an array's elements, `*` a record's values). */
export function stringFields(plan: Plan, at: readonly string[] = []): string[] {
  const join = (k: string) => [...at, k];
  const key = (p: readonly string[]) => p.join('.').replace(/\.\[\]/g, '[]');
  switch (plan.t) {
    case 'object':
      return Object.entries(plan.fields).flatMap(([k, f]) => stringFields(f, join(k)));
    case 'array':
      return stringFields(plan.element, join('[]'));
    case 'record':
      return stringFields(plan.values, join('*'));
    case 'tuple':
      return plan.items.flatMap((p, i) => stringFields(p, join(String(i))));
    case 'keep':
      return [];
    default:
      return [key(at)];
  }
}

const pathOf = (field: string) => field.replace(/\[\]/g, '.[]').split('.');

function planFor(d: Decision, free: boolean): Plan {
  if ('scan' in d) return free ? FREE : TEXT;
  if ('keep' in d) return { t: 'version' };
  if ('label' in d) return { t: 'label', kind: d.label };
  return { t: 'drop' };
}

/** The schema's plan with each string field's decision (decisions.ts) applied; the environment by variable. */
export const RECORD_PLAN: Plan = (() => {
  const schema = planOf(runRecordSchema);
  const frees = new Set(stringFields(schema).filter((f) => fieldAt(schema, pathOf(f))?.t === 'free'));
  let plan = Object.entries(FIELD_DECISIONS).reduce(
    (p, [field, d]) => override(p, pathOf(field), planFor(d, frees.has(field))),
    schema,
  );
  const env: Plan = {
    t: 'vars',
    keys: Object.fromEntries(Object.entries(ENV_DECISIONS).map(([k, d]) => [k, planFor(d, false)])),
    other: planFor(DROP_OTHER_ENV, false),
  };
  plan = override(plan, ['system', 'env'], env);
  return plan;
})();

function fieldAt(plan: Plan, path: readonly string[]): Plan | undefined {
  if (!path.length) return plan;
  const [head, ...rest] = path;
  if (plan.t === 'object' && head !== undefined && plan.fields[head]) return fieldAt(plan.fields[head], rest);
  if (plan.t === 'array' && head === '[]') return fieldAt(plan.element, rest);
  if (plan.t === 'record' && head === '*') return fieldAt(plan.values, rest);
  return undefined;
}

/** The record schema's plan before any decision: what decisions.ts must cover. */
export const SCHEMA_PLAN: Plan = planOf(runRecordSchema);

/** How a string is read: free text (`scan`), kept (`known`: only values found elsewhere replaced), or a whole
 *  identifying value of a kind. */
export type TextRole = 'scan' | 'known' | LabelKind;
/** What a walk does with each string the plan calls text (or kept, or a label): returns its replacement. */
export type OnText = (s: string, role: TextRole) => string;
type Walk = (value: unknown) => unknown;

function each(values: unknown[], walk: Walk): unknown[] {
  for (const v of values) walk(v);
  return values;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * A walk over values shaped by `plan`, compiled once per redaction (records are many, the plan is one): each
 * string the plan calls text goes through `onText`, and so do the keys of free-form objects. With `copy`, the walk
 * returns a copy with the replacements; parts that hold no text (samples, statistics) are shared, not copied.
 * Without, it returns the value as it is and only reports the strings. A value of another shape than the plan's
 * (an object where a number was expected, a field the schema does not name) is walked as free-form.
 */
export function compileWalk(plan: Plan, onText: OnText, copy: boolean): Walk {
  const free: Walk = (v) => {
    if (typeof v === 'string') return onText(v, 'scan');
    if (Array.isArray(v)) return copy ? v.map(free) : each(v, free);
    if (!isObject(v)) return v;
    if (!copy) {
      for (const k in v) {
        onText(k, 'scan');
        free(v[k]);
      }
      return v;
    }
    const out: Record<string, unknown> = {};
    for (const k in v) out[onText(k, 'scan')] = free(v[k]);
    return out;
  };
  const data: Walk = (v) => {
    if (typeof v === 'string') return onText(v, 'scan');
    if (Array.isArray(v)) return copy ? v.map(data) : each(v, data);
    if (!isObject(v)) return v;
    if (!copy) {
      for (const k in v) data(v[k]);
      return v;
    }
    const out: Record<string, unknown> = {};
    for (const k in v) out[k] = data(v[k]);
    return out;
  };
  const compiled = new Map<Plan, Walk>();
  const walk = (p: Plan): Walk => {
    let w = compiled.get(p);
    if (!w) {
      w = build(p);
      compiled.set(p, w);
    }
    return w;
  };
  const build = (p: Plan): Walk => {
    switch (p.t) {
      case 'free':
        return free;
      case 'data':
        return data;
      case 'keep':
        return (v) => (isObject(v) ? free(v) : v);
      case 'text':
      case 'version':
      case 'label': {
        const role: TextRole = p.t === 'text' ? 'scan' : p.t === 'version' ? 'known' : p.kind;
        return (v) => (typeof v === 'string' ? onText(v, role) : isObject(v) ? free(v) : v);
      }
      case 'drop':
        return () => undefined;
      case 'vars': {
        const keys = new Map(Object.entries(p.keys).map(([k, f]) => [k, walk(f)]));
        const other = walk(p.other);
        return (v) => {
          if (!isObject(v) || Array.isArray(v)) return free(v);
          if (!copy) {
            for (const k in v) (keys.get(k) ?? other)(v[k]);
            return v;
          }
          const out: Record<string, unknown> = {};
          for (const k in v) {
            const value = (keys.get(k) ?? other)(v[k]);
            if (value !== undefined) out[k] = value;
          }
          return out;
        };
      }
      case 'array': {
        const element = walk(p.element);
        const plain = keepOnly(p.element);
        return (v) => {
          if (!Array.isArray(v)) return free(v);
          if (plain && v.every((x) => !isObject(x))) return v; // samples: numbers, shared
          return copy ? v.map(element) : each(v, element);
        };
      }
      case 'tuple': {
        const items = p.items.map(walk);
        return (v) => {
          if (!Array.isArray(v)) return free(v);
          const out = v.map((x, i) => (items[i] ?? free)(x));
          return copy ? out : v;
        };
      }
      case 'record': {
        const values = walk(p.values);
        return (v) => {
          if (!isObject(v) || Array.isArray(v)) return free(v);
          if (!copy) {
            for (const k in v) values(v[k]);
            return v;
          }
          const out: Record<string, unknown> = {};
          for (const k in v) out[k] = values(v[k]);
          return out;
        };
      }
      case 'object': {
        const fields = new Map(Object.entries(p.fields).map(([k, f]) => [k, walk(f)]));
        const plain = keepOnly(p) ? p : null;
        return (v) => {
          if (!isObject(v) || Array.isArray(v)) return free(v);
          if (plain && textless(v, plain)) return v; // statistics, measurement settings: shared
          if (!copy) {
            for (const k in v) (fields.get(k) ?? free)(v[k]);
            return v;
          }
          const out: Record<string, unknown> = {};
          for (const k in v) {
            const value = (fields.get(k) ?? free)(v[k]);
            if (value !== undefined || v[k] === undefined) out[k] = value;
          }
          return out;
        };
      }
    }
  };
  return walk(plan);
}

const keepsAll = new WeakMap<Plan, boolean>();

/** No string under this plan is text: enums, numbers, and structures of them. */
function keepOnly(plan: Plan): boolean {
  let known = keepsAll.get(plan);
  if (known === undefined) {
    known =
      plan.t === 'keep' ||
      (plan.t === 'object' && Object.values(plan.fields).every(keepOnly)) ||
      (plan.t === 'array' && keepOnly(plan.element)) ||
      (plan.t === 'tuple' && plan.items.every(keepOnly));
    keepsAll.set(plan, known);
  }
  return known;
}

/** The value, by its shape as well as its (keep-only) plan, holds no text: nothing in it the plan does not name. */
function textless(value: unknown, plan: Plan): boolean {
  if (!isObject(value)) return true;
  if (Array.isArray(value)) {
    if (plan.t === 'array') return value.every((v) => textless(v, plan.element));
    if (plan.t === 'tuple') return value.every((v, i) => plan.items[i] !== undefined && textless(v, plan.items[i]));
    return false;
  }
  if (plan.t !== 'object') return false;
  for (const k in value) {
    const field = plan.fields[k];
    if (!field || !textless(value[k], field)) return false;
  }
  return true;
}
