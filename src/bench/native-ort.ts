// The engine's best on this machine, for bench:overhead: onnxruntime-node's own libonnxruntime driven from a
// small C++ program (native/ortloop.cc), built here on first use. Its headers come from Debian's
// libonnxruntime-dev (an older C API version, which newer libraries keep serving): found on the machine or
// fetched once from Debian's archive and checked against a pinned digest.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { errorLine } from '../errors.js';

const run = promisify(execFile);
const SOURCE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'bench',
  'native',
  'ortloop.cc',
);
const HEADERS_DEB = {
  version: '1.21.0',
  url: 'https://deb.debian.org/debian/pool/main/o/onnxruntime/libonnxruntime-dev_1.21.0+dfsg-1_amd64.deb',
  sha256: '14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08',
};

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'fedbench', 'ortloop');
}

function ortLibraryDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { dir: path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch), version };
}

async function headers(): Promise<string> {
  const here = [process.env.ORT_INCLUDE_DIR, '/usr/include/onnxruntime'].filter((d): d is string => !!d);
  for (const dir of here) if (existsSync(path.join(dir, 'onnxruntime_cxx_api.h'))) return dir;
  const into = path.join(cacheDir(), `headers-${HEADERS_DEB.version}`);
  const dir = path.join(into, 'usr', 'include', 'onnxruntime');
  if (existsSync(path.join(dir, 'onnxruntime_cxx_api.h'))) return dir;
  // Where Debian has moved on from this version, the pool no longer has it: install libonnxruntime-dev or point
  // ORT_INCLUDE_DIR at the headers instead.
  const response = await fetch(HEADERS_DEB.url, { signal: AbortSignal.timeout(60_000) }).catch((err: unknown) => {
    throw new Error(
      `${HEADERS_DEB.url}: ${errorLine(err)} (set ORT_INCLUDE_DIR to onnxruntime's C API headers instead)`,
    );
  });
  if (!response.ok)
    throw new Error(
      `${HEADERS_DEB.url}: HTTP ${response.status} (set ORT_INCLUDE_DIR to onnxruntime's C API headers instead)`,
    );
  const deb = Buffer.from(await response.arrayBuffer());
  const digest = createHash('sha256').update(deb).digest('hex');
  if (digest !== HEADERS_DEB.sha256)
    throw new Error(`${HEADERS_DEB.url}: sha256 ${digest}, expected ${HEADERS_DEB.sha256}`);
  // Extracted beside, then renamed into place: an interrupted extraction leaves nothing that looks complete.
  mkdirSync(cacheDir(), { recursive: true });
  const scratch = mkdtempSync(path.join(cacheDir(), 'headers-'));
  try {
    const file = path.join(scratch, 'libonnxruntime-dev.deb');
    writeFileSync(file, deb);
    await run('dpkg-deb', ['-x', file, scratch]);
    rmSync(into, { recursive: true, force: true });
    renameSync(scratch, into);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

export interface OrtLoop {
  program: string;
  /** What the program was built from, for the report. */
  describe: string;
}

/** Builds the C++ loop once per onnxruntime-node version and source; the reason as a string where it cannot. */
export async function buildOrtLoop(): Promise<OrtLoop | string> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `native loop: linux x64 only (${process.platform} ${process.arch})`;
  try {
    const lib = ortLibraryDir();
    const source = readFileSync(SOURCE);
    // The program is linked to this checkout's library by path: another checkout builds its own.
    const key = createHash('sha256').update(source).update(lib.version).update(lib.dir).digest('hex').slice(0, 12);
    const program = path.join(cacheDir(), `ortloop-${lib.version}-${key}`);
    const include = await headers();
    if (!existsSync(program)) {
      mkdirSync(cacheDir(), { recursive: true });
      await run('g++', [
        '-O2',
        '-std=c++17',
        `-I${include}`,
        SOURCE,
        '-o',
        program,
        path.join(lib.dir, 'libonnxruntime.so.1'),
        `-Wl,-rpath,${lib.dir}`,
      ]);
    }
    return {
      program,
      describe: `libonnxruntime ${lib.version} (onnxruntime-node's) from C++, C API headers from ${include}`,
    };
  } catch (err) {
    return `native loop not built: ${errorLine(err)}`;
  }
}

/** Seconds per call of the model through the native loop, in a fresh process. */
export async function nativeSeconds(
  loop: OrtLoop,
  model: string,
  threads: number,
  warmup: number,
  calls: number,
): Promise<number[]> {
  const { stdout } = await run(loop.program, [model, String(threads), String(warmup), String(calls)], {
    timeout: 600_000,
    maxBuffer: 1 << 26,
  });
  return stdout.trim().split('\n').map(Number);
}
