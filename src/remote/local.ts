// The local executor: child processes started without a shell (argv as given), files through fs.
import { spawn } from 'node:child_process';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../files.js';
import {
  readTreeFileByFile,
  writeFilesEach,
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type Executor,
  type ExecutorStats,
  type FileToWrite,
  type TreeSnapshot,
} from './executor.js';

export class LocalExecutor implements Executor {
  readonly where = 'local';
  readonly stats: ExecutorStats = { connections: 0, commands: 0, transfers: 0, retries: 0 };

  constructor(private readonly defaults: { env?: Record<string, string>; timeoutMs?: number } = {}) {}

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.stats.commands++;
    const [cmd, ...args] = argv;
    if (!cmd) return Promise.reject(new Error('empty command'));
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: { ...process.env, ...this.defaults.env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: opts.timeoutMs ?? this.defaults.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
      child.stdin.on('error', () => undefined); // a command that does not read its input
      if (opts.stdin && typeof opts.stdin === 'object' && 'pipe' in opts.stdin) opts.stdin.pipe(child.stdin);
      else child.stdin.end(opts.stdin ?? '');
    });
  }

  async home(): Promise<string> {
    return homedir();
  }

  async readFile(file: string, maxBytes: number): Promise<Buffer> {
    this.stats.transfers++;
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw new Error(`${file} is ${size} bytes, over the limit of ${maxBytes}`);
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    this.stats.transfers++;
    await writeFileAtomic(file, data, mode);
  }

  async readDir(dir: string): Promise<DirEntry[]> {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      const out: DirEntry[] = [];
      for (const e of entries) {
        const kind = e.isFile() ? 'file' : e.isDirectory() ? 'dir' : 'other';
        out.push({ name: e.name, kind, size: kind === 'file' ? (await lstat(path.join(dir, e.name))).size : 0 });
      }
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  writeFiles(files: readonly FileToWrite[]): Promise<void> {
    return writeFilesEach(this, files);
  }

  readTree(dir: string, subdirs: readonly string[], maxBytes: number): Promise<TreeSnapshot> {
    return readTreeFileByFile(this, dir, subdirs, maxBytes);
  }

  async mkdirs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  async close(): Promise<void> {}
}
