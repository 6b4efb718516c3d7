// The engine's best on this machine, for bench:overhead: onnxruntime-node's own libonnxruntime driven from a
// small C++ program (native/ortloop.cc), built here on first use. Its headers come from Debian's
// libonnxruntime-dev (an older C API version, which newer libraries keep serving): found on the machine
// (ORT_INCLUDE_DIR, /usr/include/onnxruntime) or downloaded once with `apt-get download` into fedbench's cache.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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

const HEADERS_PACKAGE = 'libonnxruntime-dev';

async function headers(): Promise<string> {
  const here = [process.env.ORT_INCLUDE_DIR, '/usr/include/onnxruntime'].filter((d): d is string => !!d);
  for (const dir of here) if (existsSync(path.join(dir, 'onnxruntime_cxx_api.h'))) return dir;
  const into = path.join(cacheDir(), 'headers');
  const dir = path.join(into, 'usr', 'include', 'onnxruntime');
  if (existsSync(path.join(dir, 'onnxruntime_cxx_api.h'))) return dir;
  // Through the system's package manager, so the machine's own mirrors, proxies and signature checks apply;
  // downloaded and unpacked into the cache only, nothing installed. Extracted beside, then renamed into place: an
  // interrupted extraction leaves nothing that looks complete.
  mkdirSync(cacheDir(), { recursive: true });
  const scratch = mkdtempSync(path.join(cacheDir(), 'headers-'));
  try {
    await run('apt-get', ['download', HEADERS_PACKAGE], { cwd: scratch, timeout: 120_000 }).catch((err: unknown) => {
      throw new Error(
        `apt-get download ${HEADERS_PACKAGE}: ${errorLine(err)} — add a Debian release that has it (trixie or later) to the package sources, or set ORT_INCLUDE_DIR to onnxruntime's C API headers`,
      );
    });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${HEADERS_PACKAGE} left no .deb in ${scratch}`);
    await run('dpkg-deb', ['-x', path.join(scratch, deb), scratch]);
    rmSync(path.join(scratch, deb));
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
