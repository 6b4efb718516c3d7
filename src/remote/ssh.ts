// The SSH executor (ssh2): key or agent authentication, host key checked against known_hosts before
// anything is sent, one connection per site reused for every command and SFTP transfer, keep-alive,
// time-outs, and bounded retries with back-off — for connecting, and for read-only operations after a drop.
// Jump hosts (OpenSSH's ProxyJump) are reached the same way, each host key checked, and the site's
// connection is tunnelled through the last one: a login node behind a gateway is still one connection.
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { InputError, errorText } from '../errors.js';
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
import { HostKeyError, verifyHostKey } from './known-hosts.js';
import { shellCommand } from './quote.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

/** A gateway on the way to the site (ProxyJump); it authenticates with the site's key or agent. */
export interface JumpHost {
  host: string;
  port: number;
  user: string;
}

export interface SshEndpoint {
  /** Gateways, in order, the first reached directly (OpenSSH's ProxyJump). */
  jump?: readonly JumpHost[];
  host: string;
  port: number;
  user: string;
  /** Private key file; without it the agent at $SSH_AUTH_SOCK is used. */
  identityFile?: string;
  agent?: boolean;
  knownHosts: string;
  connectTimeoutSeconds: number;
  commandTimeoutSeconds: number;
  keepaliveSeconds: number;
  retry?: RetryPolicy;
}

/** The connection itself failed or dropped (as opposed to a command that ran and failed). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);

function isTransient(err: unknown): boolean {
  if (err instanceof HostKeyError || err instanceof InputError) return false;
  if (err instanceof ConnectionError) return true;
  const e = err as { code?: string; level?: string; message?: string };
  if (e.level === 'client-authentication') return false;
  return (
    (e.code !== undefined && TRANSIENT.has(e.code)) ||
    e.level === 'client-timeout' ||
    /Timed out while waiting for handshake|No response from server|Not connected|Channel open failure|connection lost/i.test(
      e.message ?? '',
    )
  );
}

interface Connection {
  client: Client;
  /** The jump hosts' connections, closed with the site's. */
  hops: Client[];
  sftp: Promise<SFTPWrapper> | null;
  closed: boolean;
}

/** The same error, its message prefixed with where it happened (host-key and input errors keep their class). */
function annotate(err: unknown, where: string): unknown {
  if (err instanceof Error) {
    err.message = `${where}: ${err.message}`;
    return err;
  }
  return new ConnectionError(`${where}: ${String(err)}`);
}

export class SshExecutor implements Executor {
  readonly stats: ExecutorStats = { connections: 0, commands: 0, transfers: 0, retries: 0 };
  readonly where: string;
  private conn: Promise<Connection> | null = null;
  private homeDir: string | null = null;

  constructor(private readonly ep: SshEndpoint) {
    this.where = `${ep.user}@${ep.host}:${ep.port}`;
  }

  private config(to: { host: string; port: number; user: string }): ConnectConfig {
    const cfg: ConnectConfig = {
      host: to.host,
      port: to.port,
      username: to.user,
      readyTimeout: this.ep.connectTimeoutSeconds * 1000,
      keepaliveInterval: this.ep.keepaliveSeconds * 1000,
      keepaliveCountMax: 3,
    };
    if (this.ep.identityFile) {
      try {
        cfg.privateKey = readFileSync(this.ep.identityFile);
      } catch (err) {
        throw new InputError(`${this.where}: cannot read identity file ${this.ep.identityFile}: ${errorText(err)}`);
      }
      if (process.env.FEDBENCH_SSH_PASSPHRASE) cfg.passphrase = process.env.FEDBENCH_SSH_PASSPHRASE;
    }
    if (this.ep.agent || !this.ep.identityFile) {
      if (!process.env.SSH_AUTH_SOCK)
        throw new InputError(
          `${this.where}: no identityFile in the profile and no SSH agent ($SSH_AUTH_SOCK is not set)`,
        );
      cfg.agent = process.env.SSH_AUTH_SOCK;
    }
    return cfg;
  }

  /** One authenticated SSH client to `to`, over `sock` when tunnelled; the host key is checked first. */
  private handshake(
    to: { host: string; port: number; user: string },
    sock: Duplex | undefined,
    onClose: () => void,
  ): Promise<Client> {
    const cfg = this.config(to);
    if (sock) cfg.sock = sock;
    return new Promise((resolve, reject) => {
      const client = new Client();
      let hostKeyProblem: HostKeyError | null = null;
      let ready = false;
      cfg.hostVerifier = (key: Buffer) => {
        try {
          verifyHostKey(this.ep.knownHosts, to.host, to.port, key);
          return true;
        } catch (err) {
          hostKeyProblem = err as HostKeyError;
          return false;
        }
      };
      client.on('ready', () => {
        ready = true;
        resolve(client);
      });
      client.on('error', (err) => {
        if (!ready) reject(hostKeyProblem ?? err);
        onClose();
      });
      client.on('close', () => {
        onClose();
        if (!ready) reject(hostKeyProblem ?? new ConnectionError('connection closed during the handshake'));
      });
      this.stats.connections++;
      client.connect(cfg);
    });
  }

  private async openOnce(): Promise<Connection> {
    const conn: Connection = { client: null as unknown as Client, hops: [], sftp: null, closed: false };
    const close = () => {
      if (conn.closed) return;
      conn.closed = true;
      // a dropped gateway takes the tunnel with it; a dropped site frees the gateways
      for (const c of [conn.client, ...conn.hops]) c?.end();
    };
    let sock: Duplex | undefined;
    try {
      for (const hop of this.ep.jump ?? []) {
        const via = await this.handshake(hop, sock, close).catch((err: unknown) => {
          throw Object.assign(annotate(err, `via jump host ${hop.user}@${hop.host}:${hop.port}`) as object, { hop });
        });
        conn.hops.push(via);
        sock = await new Promise<ClientChannel>((resolve, reject) => {
          const next = this.ep.jump![conn.hops.length] ?? this.ep;
          const what = `jump host ${hop.host}:${hop.port} cannot open a tunnel to ${next.host}:${next.port}`;
          // the gateway's own connect to the next host is not covered by readyTimeout
          const timer = setTimeout(() => {
            close();
            reject(new ConnectionError(`${what}: no answer within ${this.ep.connectTimeoutSeconds} s`));
          }, this.ep.connectTimeoutSeconds * 1000);
          via.forwardOut('127.0.0.1', 0, next.host, next.port, (err, ch) => {
            clearTimeout(timer);
            if (!err) return resolve(ch);
            // a gateway that does not forward (AllowTcpForwarding no) will not change its mind: no retry
            if (/prohibited/i.test(err.message))
              reject(
                Object.assign(new InputError(`${what}: ${err.message} (the gateway does not allow TCP forwarding)`), {
                  hop,
                }),
              );
            else reject(new ConnectionError(`${what}: ${err.message}`));
          });
        });
      }
      conn.client = await this.handshake(this.ep, sock, close);
      return conn;
    } catch (err) {
      close();
      throw err;
    }
  }

  /** The open connection, or a new one (with retries) if there is none or it dropped. */
  private async connection(): Promise<Connection> {
    if (this.conn) {
      const c = await this.conn.catch(() => null);
      if (c && !c.closed) return c;
      this.conn = null;
    }
    const p = withRetry(() => this.openOnce(), isTransient, this.ep.retry ?? DEFAULT_RETRY).catch((err: unknown) => {
      this.conn = null;
      if (err instanceof HostKeyError || err instanceof InputError) {
        // a gateway's problem still names the site it was on the way to
        if ((err as { hop?: JumpHost }).hop) err.message = `${this.where}: ${err.message}`;
        throw err;
      }
      const e = err as Error & { level?: string };
      const hop = (err as { hop?: JumpHost }).hop;
      const key = `key ${this.ep.identityFile ?? 'from the agent'}`;
      const why =
        e.level !== 'client-authentication'
          ? e.message
          : hop
            ? `via jump host ${hop.host}:${hop.port}: authentication failed for user ${hop.user} (${key})`
            : `authentication failed for user ${this.ep.user} (${key}); a site that admits only OpenSSH certificates needs 'transport: openssh' in its profile (ssh2 cannot offer certificates)`;
      throw new ConnectionError(`${this.where}: cannot connect: ${why}`);
    });
    this.conn = p;
    return p;
  }

  /** Runs `op` on a live connection; a dropped connection is reopened and `op` run again when allowed. */
  private async withConnection<T>(op: (c: Connection) => Promise<T>, rerunnable: boolean): Promise<T> {
    let first = true;
    return withRetry(
      async () => {
        if (!first) this.stats.retries++;
        first = false;
        const c = await this.connection();
        try {
          return await op(c);
        } catch (err) {
          if (c.closed) throw new ConnectionError(`${this.where}: connection lost (${errorText(err)})`);
          throw err;
        }
      },
      (err) => rerunnable && err instanceof ConnectionError,
      this.ep.retry ?? DEFAULT_RETRY,
    );
  }

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const line = shellCommand(argv, {
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    const timeoutMs = opts.timeoutMs ?? this.ep.commandTimeoutSeconds * 1000;
    return this.withConnection(
      (c) =>
        new Promise<ExecResult>((resolve, reject) => {
          this.stats.commands++;
          c.client.exec(line, (err, ch: ClientChannel) => {
            if (err) return reject(c.closed ? new ConnectionError(err.message) : err);
            const out: Buffer[] = [];
            const errOut: Buffer[] = [];
            let code: number | null = null;
            const timer = setTimeout(() => {
              ch.close();
              reject(new Error(`${this.where}: '${argv.join(' ')}' did not finish within ${timeoutMs / 1000} s`));
            }, timeoutMs);
            ch.on('data', (b: Buffer) => out.push(b));
            ch.stderr.on('data', (b: Buffer) => errOut.push(b));
            ch.on('exit', (c2: number | null) => {
              code = c2;
            });
            ch.on('close', () => {
              clearTimeout(timer);
              if (c.closed && code === null)
                return reject(new ConnectionError('connection dropped while the command ran'));
              resolve({
                code,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(errOut).toString('utf8'),
              });
            });
            if (opts.stdin && typeof opts.stdin === 'object' && 'pipe' in opts.stdin) opts.stdin.pipe(ch);
            else ch.end(opts.stdin ?? '');
          });
        }),
      opts.readOnly === true,
    );
  }

  private sftp(c: Connection): Promise<SFTPWrapper> {
    c.sftp ??= new Promise((resolve, reject) => c.client.sftp((err, s) => (err ? reject(err) : resolve(s))));
    return c.sftp;
  }

  async home(): Promise<string> {
    this.homeDir ??= await this.withConnection(async (c) => {
      const s = await this.sftp(c);
      return new Promise<string>((resolve, reject) => s.realpath('.', (err, p) => (err ? reject(err) : resolve(p))));
    }, true);
    return this.homeDir;
  }

  readFile(file: string, maxBytes: number): Promise<Buffer> {
    return this.withConnection(async (c) => {
      const s = await this.sftp(c);
      this.stats.transfers++;
      const size = await new Promise<number>((resolve, reject) =>
        s.lstat(file, (err, st) => (err ? reject(err) : resolve(st.size))),
      );
      if (size > maxBytes) throw new Error(`${this.where}:${file} is ${size} bytes, over the limit of ${maxBytes}`);
      return new Promise<Buffer>((resolve, reject) => s.readFile(file, (err, b) => (err ? reject(err) : resolve(b))));
    }, true).catch((err: unknown) => {
      // SFTP's own words ("No such file") do not say which file
      if (err instanceof Error && !err.message.includes(file)) err.message = `${this.where}:${file}: ${err.message}`;
      throw err;
    });
  }

  writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
    return this.withConnection(async (c) => {
      const s = await this.sftp(c);
      this.stats.transfers++;
      await new Promise<void>((resolve, reject) =>
        s.writeFile(tmp, data, { mode }, (err) => (err ? reject(err) : resolve())),
      );
      // posix-rename replaces an existing file atomically (plain SFTP rename refuses to).
      await new Promise<void>((resolve, reject) =>
        s.ext_openssh_rename(tmp, file, (err) => (err ? reject(err) : resolve())),
      );
    }, true);
  }

  readDir(dir: string): Promise<DirEntry[]> {
    return this.withConnection(async (c) => {
      const s = await this.sftp(c);
      return new Promise<DirEntry[]>((resolve, reject) =>
        s.readdir(dir, (err, list) => {
          if (err) return (err as { code?: number }).code === 2 ? resolve([]) : reject(err); // 2: no such file
          resolve(
            list
              .filter((e) => e.filename !== '.' && e.filename !== '..')
              .map((e) => ({
                name: e.filename,
                size: e.attrs.size,
                kind: e.attrs.isFile() ? 'file' : e.attrs.isDirectory() ? 'dir' : 'other',
              })),
          );
        }),
      );
    }, true);
  }

  writeFiles(files: readonly FileToWrite[]): Promise<void> {
    return writeFilesEach(this, files);
  }

  readTree(dir: string, subdirs: readonly string[], maxBytes: number): Promise<TreeSnapshot> {
    return readTreeFileByFile(this, dir, subdirs, maxBytes);
  }

  async mkdirs(dir: string): Promise<void> {
    const r = await this.exec(['mkdir', '-p', '--', dir], { readOnly: true });
    if (r.code !== 0) throw new Error(`${this.where}: cannot create ${dir}: ${r.stderr.trim()}`);
  }

  async close(): Promise<void> {
    const c = await this.conn?.catch(() => null);
    this.conn = null;
    if (c && !c.closed) {
      c.closed = true;
      for (const client of [c.client, ...c.hops]) client.end();
    }
  }
}
