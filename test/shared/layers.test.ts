// ARCHITECTURE.md's layer rules, read from the imports of every source file: an arrow the rules do not allow fails
// here, naming the file and what it imports.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

const SRC = path.join(ROOT, 'src');

/** The files in `src/` itself, shared by every layer (ARCHITECTURE.md: they import nothing of fedbench but each other). */
const SHARED = 'shared';
/** `slurm/job-env.ts`: the job's SLURM_* variables; imports nothing, so every layer may read it. */
const JOB_ENV = 'slurm/job-env';
/** `scheduler/contract.ts`: what a scheduler implements (types only); the implementations import it, and the
 *  registry (the rest of `scheduler/`) imports them. */
const CONTRACT = 'scheduler/contract';
/** The folders that implement the contract: the scheduler registry lists them. */
const SCHEDULERS = ['slurm'];

/**
 * The folders each folder may import (besides itself, the shared files and `slurm/job-env.ts`), as ARCHITECTURE.md's
 * "Rules the code keeps" state them: cli at the top, results at the bottom, and the known cross-links.
 */
const ALLOWED: Record<string, readonly string[]> = {
  // the top: commands, and the server beside them
  cli: [
    'serve',
    'runner',
    'federation',
    'report',
    'share',
    'redact',
    'analysis',
    'db',
    'suite',
    'workloads',
    'engines',
    'measure',
    'energy',
    'system',
    'sites',
    // `sites login`/`logout` and the login check before a submit hold an OpenSSH executor themselves
    'remote',
    'results',
  ],
  serve: ['federation', 'report', 'share', 'analysis', 'db', 'sites', 'suite', 'results'],
  // sharing a report outside the centre: records and the report's text through redact/, site profiles' hints
  share: ['redact', 'sites', 'analysis', 'results'],
  runner: ['engines', 'workloads', 'measure', 'system', 'energy', 'suite', 'results'],
  // a site's batch system through the scheduler registry only (no slurm/ import): a second scheduler is a new folder
  federation: ['sites', 'scheduler', 'remote', 'energy', 'analysis', 'workloads', 'suite', 'results'],
  report: ['analysis', 'measure', 'system', 'results'],
  analysis: ['measure', 'suite', 'sites', 'results'],
  suite: ['workloads', 'engines', 'measure'],
  workloads: ['engines', 'measure', 'results'],
  engines: ['results'],
  measure: ['results'],
  energy: ['results'],
  system: ['energy', 'results'],
  db: ['results'],
  redact: ['results'],
  sites: ['remote'],
  slurm: ['remote', 'sites'],
  scheduler: [...SCHEDULERS, 'remote', 'sites'],
  remote: [],
  results: [],
  // scripts (npm run bench:*, pack:gpu-check): fedbench's own benchmarks and the GPU kit may use any layer
  bench: ['*'],
  pack: ['*'],
  // npm run soak: drives the federation as a user would and checks what it left (records, database)
  soak: ['federation', 'results', 'db'],
};

interface Arrow {
  file: string;
  from: string;
  to: string;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'client' ? [] : sourceFiles(p); // serve's page script runs in the browser
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Which layer a file of src/ belongs to. */
function layerOf(file: string): string {
  const rel = path
    .relative(SRC, file)
    .replace(/\\/g, '/')
    .replace(/\.(js|ts)$/, '');
  if (!rel.includes('/')) return SHARED;
  if (rel === JOB_ENV) return JOB_ENV;
  if (rel === CONTRACT) return CONTRACT;
  return rel.split('/')[0]!;
}

/** Every relative import (static, dynamic, re-export) of every source file, as folder → folder arrows. */
function arrows(): Arrow[] {
  const out: Arrow[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      if (!target.startsWith(SRC + path.sep)) continue; // package.json and the like
      const from = layerOf(file);
      const to = layerOf(target);
      if (from !== to) out.push({ file: path.relative(ROOT, file), from, to, spec: m[1]! });
    }
  }
  return out;
}

function allowed(a: Arrow): boolean {
  if (a.to === SHARED) return true; // everyone may use the shared files, and they may use each other
  if (a.from === SHARED || a.from === JOB_ENV) return false; // they import nothing else of fedbench
  if (a.to === JOB_ENV) return true;
  // the contract: types of the sites and transports it names; the registry and the schedulers implement it
  if (a.from === CONTRACT) return a.to === 'remote' || a.to === 'sites';
  if (a.to === CONTRACT) return a.from === 'scheduler' || SCHEDULERS.includes(a.from);
  const may = ALLOWED[a.from];
  if (!may) return false; // a new folder: add it to ARCHITECTURE.md's table and rules, then here
  return may.includes('*') || may.includes(a.to);
}

describe("ARCHITECTURE.md's layers", () => {
  const all = arrows();

  it('reads the imports of every layer (so the rules below are checked against something)', () => {
    const layers = new Set(all.map((a) => a.from));
    for (const l of ['cli', 'serve', 'runner', 'federation', 'scheduler', CONTRACT, 'slurm', 'results', SHARED])
      expect(layers.has(l) || all.some((a) => a.to === l), l).toBe(true);
    expect(all.length).toBeGreaterThan(100);
  });

  it('has no import the rules forbid', () => {
    const bad = all.filter((a) => !allowed(a)).map((a) => `${a.file}: ${a.from} → ${a.to} ('${a.spec}')`);
    expect(bad).toEqual([]);
  });

  it('lets nothing but cli/serve.ts import the server, and nothing import the commands', () => {
    const bad = all
      .filter((a) => (a.to === 'serve' && a.file !== 'src/cli/serve.ts' && a.from !== 'bench') || a.to === 'cli')
      .map((a) => `${a.file} → ${a.spec}`);
    expect(bad).toEqual([]);
  });

  it('reaches sites from the server only through federation (no slurm/ or remote/ import in serve/)', () => {
    expect(all.filter((a) => a.from === 'serve' && (a.to === 'slurm' || a.to === 'remote'))).toEqual([]);
  });

  it('reaches a scheduler only through the registry: nothing above it imports slurm/ (but bench scripts)', () => {
    const bad = all.filter((a) => a.to === 'slurm' && !['scheduler', 'bench', 'pack'].includes(a.from));
    expect(bad.map((a) => `${a.file} → ${a.spec}`)).toEqual([]);
  });

  it('names SLURM_* variables only in slurm/ (and in redact/decisions.ts, its table of decisions by variable)', () => {
    const bad: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = path.relative(ROOT, file).replace(/\\/g, '/');
      if (rel.startsWith('src/slurm/') || rel === 'src/redact/decisions.ts') continue;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:])\/\/.*$/gm, '$1');
      // a variable's name in a string (an environment read), not a word in a message or a pattern of text
      for (const m of code.matchAll(/['"`](SLURMD?_[A-Z_]+)['"`]|env\.(SLURMD?_[A-Z_]+)|env\[['"](SLURMD?_[A-Z_]+)/g))
        bad.push(`${rel}: ${m[1] ?? m[2] ?? m[3]}`);
    }
    expect(bad).toEqual([]);
  });
});
