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

export interface FileToWrite {
  path: string;
  data: string | Buffer;
  mode?: number;
}

export interface TreeSnapshot {
  /** By folder path relative to the snapshot's `dir` (e.g. `123_0`, `123_0/gpu1`). */
  entries: Map<string, DirEntry[]>;
  /** By file path relative to `dir`. */
  contents: Map<string, Buffer>;
}

/** readTree for transports where a file costs little: readDir and readFile one by one. */
export async function readTreeFileByFile(
  ex: Pick<Executor, 'readDir' | 'readFile'>,
  dir: string,
  subdirs: readonly string[],
  maxBytes: number,
): Promise<TreeSnapshot> {
  const snap: TreeSnapshot = { entries: new Map(), contents: new Map() };
  const visit = async (rel: string, depth: number): Promise<void> => {
    const list = await ex.readDir(`${dir}/${rel}`);
    if (list.length) snap.entries.set(rel, list); // an empty folder and a missing one look alike, as they do remotely
    for (const e of list) {
      if (e.kind === 'dir' && depth < 2) await visit(`${rel}/${e.name}`, depth + 1);
      else if (e.kind === 'file' && e.name.endsWith('.json') && e.size <= maxBytes)
        snap.contents.set(`${rel}/${e.name}`, await ex.readFile(`${dir}/${rel}/${e.name}`, maxBytes));
    }
  };
  for (const sub of subdirs) await visit(sub, 1);
  return snap;
}

/** writeFiles for transports where a file costs little: their folders made at once, then a few writeFile calls in flight at once. */
export async function writeFilesEach(
  ex: Pick<Executor, 'writeFile' | 'exec' | 'where'>,
  files: readonly FileToWrite[],
): Promise<void> {
  const dirs = [...new Set(files.map((f) => f.path.replace(/\/[^/]*$/, '') || '/'))];
  if (dirs.length) await run(ex, ['mkdir', '-p', '--', ...dirs], { readOnly: true });
  for (let i = 0; i < files.length; i += 8)
    await Promise.all(files.slice(i, i + 8).map((f) => ex.writeFile(f.path, f.data, f.mode)));
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
  /** Many files at once, each written atomically (a transport may move them in one transfer). */
  writeFiles(files: readonly FileToWrite[]): Promise<void>;
  /**
   * A snapshot of some subfolders of `dir` (two levels deep): their entries, and the bytes of their regular `*.json`
   * files of at most `maxBytes` — what collecting records needs, in as few round trips as the transport allows.
   */
  readTree(dir: string, subdirs: readonly string[], maxBytes: number): Promise<TreeSnapshot>;
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
    super(
      `${where}: '${argv.join(' ')}' ${result.code === null ? 'was stopped' : `exited with ${result.code}`}${said ? `:\n${said}` : ''}`,
    );
  }
}

/** Runs and returns stdout; throws CommandError on a non-zero exit. */
export async function run(
  ex: Pick<Executor, 'exec' | 'where'>,
  argv: readonly string[],
  opts?: ExecOptions,
): Promise<string> {
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
