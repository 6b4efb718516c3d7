// Shared test scaffolding: temp sysfs-like folders, the fake nvidia-smi and the stand-in NVML library.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function tempDir(prefix = 'fedbench-energy-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files given as { 'relative/path': 'content' } under root. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

/** An executable `nvidia-smi` in a fresh folder that runs fixtures/fake-nvidia-smi.mjs. */
export function fakeNvidiaSmi(): { dir: string; binary: string } {
  const dir = tempDir('fedbench-fake-smi-');
  const binary = join(dir, 'nvidia-smi');
  writeFileSync(binary, `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, 'fake-nvidia-smi.mjs')}" "$@"\n`);
  chmodSync(binary, 0o755);
  return { dir, binary };
}

/** Compiles fixtures/fake-nvml.c into a shared library with NVML's C API. */
export function fakeNvml(defines: string[] = []): string {
  const out = join(tempDir('fedbench-fake-nvml-'), 'libnvidia-ml.so.1');
  execFileSync('cc', [
    '-shared',
    '-fPIC',
    '-O1',
    ...defines.map((d) => `-D${d}`),
    '-o',
    out,
    join(FIXTURES, 'fake-nvml.c'),
  ]);
  return out;
}

/** A process counts as alive unless it is gone or a zombie (exited, not yet reaped by its new parent). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `cond` holds; the limit only bounds a hang, it asserts nothing about speed. */
export async function waitFor(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** "PID PGRP" lines the fake nvidia-smi writes when it starts sampling. */
export function samplersIn(file: string): { pid: number; pgrp: number }[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [pid, pgrp] = l.split(' ').map(Number);
        return { pid: pid!, pgrp: pgrp! };
      });
  } catch {
    return [];
  }
}

/** Live (non-zombie) processes in a process group: the watchdog and the sampler it started. */
export function liveInGroup(pgrp: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(rest[2]) === pgrp && rest[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * src/energy compiled to plain ESM in a temp folder, for child Node processes (which cannot run .ts), with the
 * shared files of src/ it imports (errors, format) beside it as in the build. Returns the energy folder.
 */
export function transpiledEnergy(): string {
  const root = tempDir('fedbench-energy-js-');
  const src = join(FIXTURES, '..', '..', '..', 'src');
  const energy = join(root, 'energy');
  mkdirSync(energy);
  const transpile = (from: string, to: string) => {
    for (const file of readdirSync(from).filter((f) => f.endsWith('.ts'))) {
      const js = ts.transpileModule(readFileSync(join(from, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      }).outputText;
      writeFileSync(join(to, file.replace(/\.ts$/, '.js')), js);
    }
  };
  transpile(join(src, 'energy'), energy);
  transpile(src, root);
  return energy;
}
