// One interface for running commands and moving files on a site: here (child processes) or over SSH.
// Commands are argv arrays; only remote executors turn them into a shell line, through quote.ts.

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** The command's standard input (closed at its end): bytes, or a stream (e.g. a tar archive). */
  stdin?: string | Buffer | NodeJS.ReadableStream;
  /** Default: the executor's command time-out. */
  timeoutMs?: number;
  /**
   * The command only reads (squeue, sacct, sinfo): if the connection drops, reconnect and run it again.
   * Never set for commands that change state (sbatch, scancel).
   */
  readOnly?: boolean;
}

export interface ExecResult {
  /** null when ended by a signal or a time-out. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DirEntry {
  name: string;
  size: number;
  kind: 'file' | 'dir' | 'other';
}

export interface ExecutorStats {
  /** Connections opened (SSH); 0 for the local executor. */
  connections: number;
  commands: number;
  /** Files read or written. */
  transfers: number;
  /** Operations run again after a dropped connection. */
  retries: number;
}

export interface Executor {
  /** e.g. `root@10.200.1.2:22` or `local`. */
  readonly where: string;
  readonly stats: ExecutorStats;
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Absolute path of the login user's home (to resolve `~/` in profiles). */
  home(): Promise<string>;
  readFile(path: string, maxBytes: number): Promise<Buffer>;
  /** Written to a temporary name, then renamed: a reader never sees half a file. */
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Entries of a folder without following links; [] when it does not exist. */
  readDir(path: string): Promise<DirEntry[]>;
  mkdirs(path: string): Promise<void>;
  close(): Promise<void>;
}

/** A command that ran and failed: the message names the site, the command and its own words. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly where: string,
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
    super(`${where}: '${argv.join(' ')}' ${result.code === null ? 'was stopped' : `exited with ${result.code}`}${said ? `:\n${said}` : ''}`);
  }
}

/** Runs and returns stdout; throws CommandError on a non-zero exit. */
export async function run(ex: Executor, argv: readonly string[], opts?: ExecOptions): Promise<string> {
  const r = await ex.exec(argv, opts);
  if (r.code !== 0) throw new CommandError(ex.where, argv, r);
  return r.stdout;
}

/** `~/x` against the executor's home; absolute paths as they are. */
export async function resolveHome(ex: Executor, p: string): Promise<string> {
  if (p === '~') return ex.home();
  if (p.startsWith('~/')) return `${(await ex.home()).replace(/\/$/, '')}/${p.slice(2)}`;
  return p;
}
