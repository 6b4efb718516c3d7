// Narrows a suite's cases to what the command line asks for; unknown names are errors with the choices.
import { unknownName, InputError } from '../errors.js';
import { ORT_PROVIDERS } from '../engines/onnxruntime.js';
import { TFJS_BACKENDS } from '../engines/tfjs.js';
import { ENGINE_NAMES, type EngineName } from '../engines/types.js';
import { caseId, type Case } from '../suite/index.js';

const BACKENDS: Record<EngineName, readonly string[]> = {
  onnxruntime: ORT_PROVIDERS,
  tfjs: TFJS_BACKENDS,
  command: [],
};
const FILTERABLE: readonly EngineName[] = [...ENGINE_NAMES, 'command'];

export interface EngineFilter {
  engine: EngineName;
  backend: string | null;
}

/** Parses `onnxruntime`, `tfjs:wasm`, `onnxruntime:cpu` … */
export function parseEngineFilter(text: string): EngineFilter {
  const [name, backend, extra] = text.split(':');
  if (extra !== undefined || !name) throw new InputError(`bad engine '${text}': expected ENGINE or ENGINE:BACKEND`);
  if (!FILTERABLE.includes(name as EngineName)) throw unknownName('engine', name, FILTERABLE);
  const engine = name as EngineName;
  if (backend !== undefined && !BACKENDS[engine].includes(backend))
    throw unknownName(`${engine} backend`, backend, BACKENDS[engine]);
  return { engine, backend: backend ?? null };
}

export function selectCases(cases: readonly Case[], opts: { bench?: string[]; engines?: EngineFilter[] }): Case[] {
  let out = [...cases];
  if (opts.bench?.length) {
    const ids = [...new Set(cases.map((c) => c.benchmark.id))];
    for (const b of opts.bench) if (!ids.includes(b)) throw unknownName('benchmark', b, ids);
    out = out.filter((c) => opts.bench!.includes(c.benchmark.id));
  }
  if (opts.engines?.length) {
    const filters = opts.engines;
    out = out
      .filter((c) => filters.some((f) => f.engine === c.engine))
      .map((c) => {
        const f = filters.find((x) => x.engine === c.engine)!;
        const backend = f.backend ?? c.backend;
        return { ...c, backend, id: caseId(c.benchmark.id, c.engine, backend, c.params) };
      });
    if (!out.length) throw new InputError(`no case of this suite runs on ${filters.map((f) => f.engine).join(', ')}`);
  }
  return out;
}
