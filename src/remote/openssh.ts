// The OpenSSH executor: the system's `ssh`, so everything the user's OpenSSH can do works — ~/.ssh/config aliases,
// user certificates (files or agent), host certificates (@cert-authority), keyboard-interactive / OTP logins —
// while fedbench keeps its own rules: host keys always strict (StrictHostKeyChecking=yes, the profile's known_hosts,
// jump hosts included), batch mode for everything but `sites login`, and one authenticated connection per site
// (a ControlMaster socket in a private folder, kept by ControlPersist) that every command and file transfer reuses.
// argv arrays only: no local shell; the remote command goes through quote.ts like the ssh2 executor's.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { runLocal } from './certificate.js';
import type {
  DirEntry,
  ExecOptions,
  ExecResult,
  Executor,
  ExecutorStats,
  FileToWrite,
  TreeSnapshot,
} from './executor.js';
import { controlDir, effectiveConfig, parseProxyJump, pct, type OpenSshEndpoint } from './openssh-config.js';
import { AuthenticationError, authFromLog, diagnose, sshSaid, type AuthInfo } from './openssh-diagnose.js';
import { commonFolder, READ_TREE_SCRIPT, tarOf, treeSnapshot, WRITE_FILES_SCRIPT } from './openssh-tar.js';
import { quoteWord, shellCommand } from './quote.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { ConnectionError } from './ssh.js';

export { controlDir, parseProxyJump, type OpenSshEndpoint } from './openssh-config.js';
export { AuthenticationError, hostKeyOf, plainKeysRefused, type AuthInfo } from './openssh-diagnose.js';

export class OpenSshExecutor implements Executor {
  readonly stats: ExecutorStats = { connections: 0, commands: 0, transfers: 0, retries: 0 };
  readonly where: string;
  private masterUp: Promise<void> | null = null;
  private proxy: Promise<string | null> | null = null;
  private homeDir: string | null = null;
  private readonly id: string;

  constructor(private readonly ep: OpenSshEndpoint) {
    this.where = `${ep.user ? `${ep.user}@` : ''}${ep.host}${ep.port ? `:${ep.port}` : ''}`;
    // one master per profile identity: the same host reached with another key or certificate gets its own
    this.id = createHash('sha256')
      .update(
        JSON.stringify([
          ep.host,
          ep.port,
          ep.user,
          ep.identityFile,
          ep.certificateFile,
          ep.agent,
          ep.configFile,
          ep.jump,
          ep.knownHosts,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
  }

  private socketPath: string | null = null;
  /** The master's socket (its folder made and checked once). */
  private get socket(): string {
    this.socketPath ??= path.join(controlDir(), this.id);
    return this.socketPath;
  }

  private get policy(): RetryPolicy {
    return this.ep.retry ?? DEFAULT_RETRY;
  }

  private strictOptions(batch: boolean): string[] {
    return [
      ...(this.ep.configFile ? ['-F', this.ep.configFile] : []),
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${pct(this.ep.knownHosts)}`,
      '-o',
      'UpdateHostKeys=no',
      ...(batch ? ['-o', 'BatchMode=yes'] : []),
      '-o',
      `ConnectTimeout=${Math.ceil(this.ep.connectTimeoutSeconds)}`,
      '-o',
      `ServerAliveInterval=${Math.ceil(this.ep.keepaliveSeconds)}`,
      '-o',
      'ServerAliveCountMax=3',
    ];
  }

  private identityOptions(): string[] {
    const ep = this.ep;
    return [
      ...(ep.identityFile ? ['-i', pct(ep.identityFile), ...(ep.agent ? [] : ['-o', 'IdentitiesOnly=yes'])] : []),
      ...(ep.certificateFile ? ['-o', `CertificateFile=${pct(ep.certificateFile)}`] : []),
    ];
  }

  /**
   * Jump hosts become our own ProxyCommand chain, so each hop gets the same strict host-key options (ssh's own
   * ProxyJump passes none of our -o options to the hops). Each hop's stderr goes to a log file, not to ours:
   * the proxy lives as long as the master, and must not hold this process's pipes open.
   */
  private proxyCommand(batch: boolean): Promise<string | null> {
    this.proxy ??= (async () => {
      const ep = this.ep;
      // the profile's gateways authenticate with the site's key (as with ssh2); the config's with what the config says
      const fromProfile = Boolean(ep.jump?.length);
      const hops = fromProfile
        ? ep.jump!.map((j) => ({ ...j, user: j.user ?? ep.user }))
        : parseProxyJump((await effectiveConfig(ep.host, ep)).get('proxyjump')?.[0] ?? '');
      if (!hops.length) return null;
      // where each hop must forward to: the next hop, then the site, as the config resolves them
      const targets: string[] = [];
      for (const t of [...hops.slice(1), { host: ep.host, port: ep.port, user: ep.user }]) {
        const c = await effectiveConfig(t.host, {
          ...(ep.configFile ? { configFile: ep.configFile } : {}),
          ...(t.port ? { port: t.port } : {}),
        });
        targets.push(`[${c.get('hostname')?.[0] ?? t.host}]:${c.get('port')?.[0] ?? t.port ?? 22}`);
      }
      let command: string | null = null;
      hops.forEach((hop, i) => {
        const argv = [
          'ssh',
          ...this.strictOptions(batch),
          '-o',
          'ControlMaster=no',
          '-o',
          'ControlPath=none',
          ...(command ? ['-o', `ProxyCommand=${pct(command)}`] : ['-o', 'ProxyJump=none']),
          ...(hop.port ? ['-p', String(hop.port)] : []),
          ...(hop.user ? ['-l', hop.user] : []),
          ...(fromProfile ? this.identityOptions() : []),
          '-W',
          targets[i]!,
          '--',
          hop.host,
        ];
        command = `${argv.map(quoteWord).join(' ')} 2>>${quoteWord(`${this.socket}.hops.log`)}`;
      });
      return command;
    })();
    return this.proxy;
  }

  private async options(batch: boolean): Promise<string[]> {
    const ep = this.ep;
    const proxy = await this.proxyCommand(batch);
    return [
      ...this.strictOptions(batch),
      '-o',
      `ControlPath=${pct(this.socket)}`,
      '-o',
      `ControlPersist=${ep.persistMinutes * 60}`,
      ...(ep.port ? ['-p', String(ep.port)] : []),
      ...(ep.user ? ['-l', ep.user] : []),
      ...this.identityOptions(),
      ...(proxy ? ['-o', `ProxyCommand=${pct(proxy)}`] : []),
      '-o',
      'ClearAllForwardings=yes',
      '-o',
      'ForwardAgent=no',
      '-o',
      'ForwardX11=no',
      '-o',
      'PermitLocalCommand=no',
    ];
  }

  /** `ssh -O check|exit`: asks the master through its socket (no network traffic). */
  private control(op: 'check' | 'exit') {
    return runLocal('ssh', [
      ...(this.ep.configFile ? ['-F', this.ep.configFile] : []),
      '-o',
      `ControlPath=${pct(this.socket)}`,
      '-O',
      op,
      '--',
      this.ep.host,
    ]);
  }

  /** Whether this site's master connection is up. */
  async isOpen(): Promise<boolean> {
    return existsSync(this.socket) && (await this.control('check')).code === 0;
  }

  /** Opens the master: in batch mode for commands, or on the user's terminal for `sites login`. */
  private async openMaster(interactive: boolean): Promise<void> {
    const log = `${this.socket}.log`;
    writeFileSync(log, '', { mode: 0o600 });
    writeFileSync(`${this.socket}.hops.log`, '', { mode: 0o600 });
    // -v -E: ssh's account of the handshake (which key, which certificate) goes to a file, never to our pipes,
    // which the detached master would otherwise hold open
    const args = [
      ...(await this.options(!interactive)),
      '-v',
      '-E',
      log,
      '-o',
      'ControlMaster=yes',
      '-T',
      '--',
      this.ep.host,
      'true',
    ];
    this.stats.connections++;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('ssh', args, { stdio: interactive ? 'inherit' : ['ignore', 'ignore', 'ignore'] });
      child.on('error', (err) =>
        reject(new InputError(`cannot run ssh (the openssh transport needs OpenSSH's client): ${err.message}`)),
      );
      child.on('close', resolve);
    });
    const text = readFileSync(log, 'utf8');
    const hopsText = readFileSync(`${this.socket}.hops.log`, 'utf8');
    if (code === 0) {
      writeFileSync(`${this.socket}.auth.json`, JSON.stringify(await authFromLog(this.ep, text)), { mode: 0o600 });
      return;
    }
    throw await diagnose(this.ep, this.where, text, hopsText, code);
  }

  /** The master, opened once (in batch mode) when no earlier process or `sites login` left one running. */
  private master(): Promise<void> {
    this.masterUp ??= (async () => {
      if (await this.isOpen()) return;
      await withRetry(
        () => this.openMaster(false),
        (err) => err instanceof ConnectionError && !(err instanceof AuthenticationError),
        this.policy,
      );
    })().catch((err: unknown) => {
      this.masterUp = null;
      throw err;
    });
    return this.masterUp;
  }

  /** Interactive login on the user's terminal (passphrases, OTP, keyboard-interactive); false if already open. */
  async login(): Promise<boolean> {
    if (await this.isOpen()) return false;
    await this.openMaster(true);
    return true;
  }

  /** Closes the master; false if none was open. */
  async logout(): Promise<boolean> {
    if (!(await this.isOpen())) return false;
    await this.control('exit');
    this.masterUp = null;
    return true;
  }

  /** How the open master authenticated, as recorded when it opened; null when none is open. */
  async auth(): Promise<AuthInfo | null> {
    await this.master();
    try {
      return JSON.parse(readFileSync(`${this.socket}.auth.json`, 'utf8')) as AuthInfo;
    } catch {
      return null;
    }
  }

  /** One command through the master, raw bytes out. */
  private async execRaw(
    argv: readonly string[],
    opts: ExecOptions,
  ): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const line = shellCommand(argv, {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    const timeoutMs = opts.timeoutMs ?? this.ep.commandTimeoutSeconds * 1000;
    const args = [...(await this.options(true)), '-o', 'ControlMaster=auto', '-T', '--', this.ep.host, line];
    return withRetry(
      async (attempt) => {
        if (attempt > 1) {
          this.stats.retries++;
          this.masterUp = null;
        }
        await this.master();
        this.stats.commands++;
        const r = await new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
          const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          const timer = setTimeout(() => {
            child.kill('SIGTERM');
            reject(new Error(`${this.where}: '${argv.join(' ')}' did not finish within ${timeoutMs / 1000} s`));
          }, timeoutMs);
          child.stdout.on('data', (b: Buffer) => out.push(b));
          child.stderr.on('data', (b: Buffer) => err.push(b));
          child.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
          child.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
          });
          child.stdin.on('error', () => undefined);
          if (opts.stdin && typeof opts.stdin === 'object' && 'pipe' in opts.stdin) opts.stdin.pipe(child.stdin);
          else child.stdin.end(opts.stdin ?? '');
        });
        // 255 is ssh's own failure — unless the master is fine, and then it is the remote command's exit code
        if (r.code === 255 && !(await this.isOpen()))
          throw new ConnectionError(
            `${this.where}: connection lost (${sshSaid(r.stderr) || 'the master connection ended'})`,
          );
        return r;
      },
      (err) => opts.readOnly === true && err instanceof ConnectionError && !(err instanceof AuthenticationError),
      this.policy,
    );
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.execRaw(argv, opts);
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
  }

  async home(): Promise<string> {
    if (this.homeDir === null) {
      const r = await this.execRaw(['sh', '-c', 'cd && pwd -P'], { readOnly: true });
      if (r.code !== 0) throw new Error(`${this.where}: cannot find the home folder: ${r.stderr.trim()}`);
      this.homeDir = r.stdout.toString('utf8').trim();
    }
    return this.homeDir;
  }

  async readFile(file: string, maxBytes: number): Promise<Buffer> {
    this.stats.transfers++;
    // one byte more than allowed tells an over-long file without reading all of it
    const r = await this.execRaw(['head', '-c', String(maxBytes + 1), '--', file], { readOnly: true });
    if (r.code !== 0) throw new Error(`${this.where}:${file}: ${r.stderr.trim() || `head exited with ${r.code}`}`);
    if (r.stdout.length > maxBytes) throw new Error(`${this.where}:${file} is over the limit of ${maxBytes} bytes`);
    return r.stdout;
  }

  async writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    this.stats.transfers++;
    const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
    // the bytes go to a temporary name, then one rename: a reader never sees half a file
    const script =
      'umask 077; if cat > "$1" && chmod "$3" "$1" && mv -f -- "$1" "$2"; then exit 0; fi; rm -f -- "$1"; exit 1';
    const r = await this.execRaw(['sh', '-c', script, 'fedbench-write', tmp, file, mode.toString(8)], {
      stdin: data,
      readOnly: true,
    });
    if (r.code !== 0)
      throw new Error(`${this.where}: cannot write ${file}: ${r.stderr.trim() || `exited with ${r.code}`}`);
  }

  async readDir(dir: string): Promise<DirEntry[]> {
    const script = '[ -d "$1" ] || exit 0; cd -- "$1" && find . -mindepth 1 -maxdepth 1 -printf "%y %s %P\\0"';
    const r = await this.execRaw(['sh', '-c', script, 'fedbench-readdir', dir], { readOnly: true });
    if (r.code !== 0) throw new Error(`${this.where}: cannot list ${dir}: ${r.stderr.trim()}`);
    return r.stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((entry) => {
        const [type, size] = entry.split(' ', 2) as [string, string];
        const name = entry.slice(type.length + size.length + 2);
        return { name, size: Number(size), kind: type === 'f' ? 'file' : type === 'd' ? 'dir' : 'other' };
      });
  }

  /**
   * Every file in one session: a tar archive unpacked into a private folder beside them, then each file renamed
   * into place (atomic, as writeFile). A session costs the remote login shell's start-up (often 0.1 s or more on
   * HPC login nodes, module systems included), so one per file would dominate a campaign's submit.
   */
  async writeFiles(files: readonly FileToWrite[]): Promise<void> {
    if (!files.length) return;
    if (files.length === 1) return this.writeFile(files[0]!.path, files[0]!.data, files[0]!.mode);
    const base = commonFolder(files.map((f) => f.path));
    const archive = await tarOf(files, base);
    this.stats.transfers += files.length;
    const r = await this.execRaw(['sh', '-c', WRITE_FILES_SCRIPT, 'fedbench-write-files', base], {
      stdin: archive,
      readOnly: true,
    });
    if (r.code !== 0)
      throw new Error(
        `${this.where}: cannot write ${files.length} files under ${base}: ${r.stderr.trim() || `exited with ${r.code}`}`,
      );
  }

  /** The listing and the small *.json files of some subfolders, in one session: a NUL-separated listing, then a tar archive. */
  async readTree(dir: string, subdirs: readonly string[], maxBytes: number): Promise<TreeSnapshot> {
    if (!subdirs.length) return { entries: new Map(), contents: new Map() };
    const r = await this.execRaw(
      ['sh', '-c', READ_TREE_SCRIPT, 'fedbench-read-tree', dir, String(maxBytes), ...subdirs.map((d) => `./${d}`)],
      { readOnly: true },
    );
    if (r.code !== 0)
      throw new Error(`${this.where}: cannot read ${dir}: ${r.stderr.trim() || `exited with ${r.code}`}`);
    const snap = await treeSnapshot(r.stdout);
    this.stats.transfers += snap.contents.size;
    return snap;
  }

  async mkdirs(dir: string): Promise<void> {
    const r = await this.exec(['mkdir', '-p', '--', dir], { readOnly: true });
    if (r.code !== 0) throw new Error(`${this.where}: cannot create ${dir}: ${r.stderr.trim()}`);
  }

  /** The master stays (ControlPersist): the next command, or the next fedbench, reuses it. */
  async close(): Promise<void> {}
}
