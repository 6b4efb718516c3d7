// fedbench deploy: puts this fedbench (built dist/, suites, package.json and the production node_modules)
// on a site, streamed as one tar archive over the site's one SSH connection and unpacked next to the old
// copy, then swapped in; then checks that it starts there. Native binaries for other platforms and source
// maps are left out. The site needs Node.js ≥ 20 (e.g. from a module); no registry access is needed there.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { quoteWord, resolveHome, run, type Executor } from '../remote/index.js';
import { resolveWorkdir, type Site } from '../sites/index.js';
import { failureReason } from './failure-reason.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Top-level production packages from package-lock.json (dev-only ones left out). */
export function productionPackages(root = PACKAGE_ROOT): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(
      ([k, v]) =>
        k.startsWith('node_modules/') && !v.dev && !k.slice('node_modules/'.length).includes('/node_modules/'),
    )
    .map(([k]) => k)
    .filter((k) => existsSync(path.join(root, k)));
}

const SWAP = `set -e
dest="$1"; mkdir -p "$dest.new"; tar -x -f - -C "$dest.new"
rm -rf "$dest.old"; if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi; mv "$dest.new" "$dest"; rm -rf "$dest.old"`;

export interface DeployOutcome {
  dest: string;
  bytes: number;
  seconds: number;
  version: string;
  command: string[];
}

export async function deploy(
  site: Site,
  ex: Executor,
  opts: { dest?: string; log?: (s: string) => void } = {},
): Promise<DeployOutcome> {
  const log = opts.log ?? (() => undefined);
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist/cli/main.js')))
    throw new InputError(`no built fedbench in ${PACKAGE_ROOT}/dist: run 'npm run build' first`);
  const workdir = await resolveWorkdir(ex, site);
  const dest = opts.dest ? await resolveHome(ex, opts.dest) : `${workdir}/fedbench`;
  const [os = '', arch = ''] = (await run(ex, ['uname', '-sm'], { readOnly: true })).trim().toLowerCase().split(/\s+/);
  const keepArch = arch === 'aarch64' ? 'arm64' : 'x64';
  const excludes = [
    '*.map',
    ...['darwin', 'win32', 'linux']
      .flatMap((p) => (p === os ? [`${p}/${keepArch === 'x64' ? 'arm64' : 'x64'}`] : [p]))
      .map((p) => `node_modules/onnxruntime-node/bin/napi-v*/${p}`),
  ];
  const entries = ['dist', 'benchmarks', 'package.json', 'package-lock.json', ...productionPackages()];
  log(`${site.name}: sending fedbench (${entries.length - 4} packages) to ${ex.where}:${dest}`);
  const t0 = performance.now();
  const tar = spawn(
    'tar',
    ['-c', '-f', '-', '-C', PACKAGE_ROOT, ...excludes.map((e) => `--exclude=${e}`), '--', ...entries],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // counted on the way through; the stream stays paused until the remote side reads it (a 'data' listener
  // here would start it flowing before the SSH channel is open, and the archive's start would be lost)
  let bytes = 0;
  const counted = tar.stdout.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  let tarErr = '';
  tar.stderr.on('data', (b: Buffer) => (tarErr += b.toString()));
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const r = await ex.exec(['sh', '-c', SWAP, 'fedbench-deploy', dest], { stdin: counted, timeoutMs: 30 * 60_000 });
  const tarCode = await tarDone;
  if (tarCode !== 0) throw new Error(`tar of ${PACKAGE_ROOT} failed (${tarCode}): ${tarErr.trim()}`);
  if (r.code !== 0) throw new Error(`${ex.where}: unpacking into ${dest} failed: ${r.stderr.trim()}`);
  const seconds = (performance.now() - t0) / 1000;
  const command = [site.fedbench.node, `${dest}/dist/cli/main.js`];
  // The check runs as a job would start fedbench: modules loaded, the profile's environment set.
  const setup = site.modules.map((m) => `module load ${quoteWord(m)} >/dev/null 2>&1`).join('; ');
  const v = await ex.exec(
    [
      'bash',
      '-lc',
      `${setup ? `${setup}; ` : ''}exec "$@"`,
      'fedbench-check',
      ...(site.fedbench.container ?? []),
      ...command,
      '--version',
    ],
    { env: site.env },
  );
  if (v.code !== 0)
    throw new Error(
      `${ex.where}: fedbench was copied to ${dest} but does not start there: ${failureReason(v.stderr || v.stdout)}`,
    );
  return { dest, bytes, seconds, version: v.stdout.trim(), command };
}
