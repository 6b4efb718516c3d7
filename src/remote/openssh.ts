// The OpenSSH executor: the system's `ssh`, so everything the user's OpenSSH can do works — ~/.ssh/config aliases,
// user certificates (files or agent), host certificates (@cert-authority), keyboard-interactive / OTP logins —
// while fedbench keeps its own rules: host keys always strict (StrictHostKeyChecking=yes, the profile's known_hosts,
// jump hosts included), batch mode for everything but `sites login`, and one authenticated connection per site
// (a ControlMaster socket in a private folder, kept by ControlPersist) that every command and file transfer reuses.
// argv arrays only: no local shell; the remote command goes through quote.ts like the ssh2 executor's.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { InputError } from '../errors.js';
import { agentCertificates, readCertificate, runLocal, validity, type CertificateInfo } from './certificate.js';
import type {
  DirEntry,
  ExecOptions,
  ExecResult,
  Executor,
  ExecutorStats,
  FileToWrite,
  TreeSnapshot,
} from './executor.js';
import { HostKeyError } from './known-hosts.js';
import { quoteWord, shellCommand } from './quote.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { ConnectionError } from './ssh.js';

export interface OpenSshEndpoint {
  /** The site's name, for messages ("run `fedbench sites login SITE`"). */
  site: string;
  /** Host name, address or ~/.ssh/config alias. */
  host: string;
  /** Unset: what the ssh config says. */
  port?: number;
  user?: string;
  identityFile?: string;
  certificateFile?: string;
  agent?: boolean;
  /** ssh's -F; unset: ~/.ssh/config. */
  configFile?: string;
  /** Gateways from the profile; unset: the config's ProxyJump, if any. */
  jump?: ReadonlyArray<{ host: string; port?: number; user?: string }>;
  knownHosts: string;
  connectTimeoutSeconds: number;
  commandTimeoutSeconds: number;
  keepaliveSeconds: number;
  persistMinutes: number;
  retry?: RetryPolicy;
}

/** Authentication failed and will not succeed without the user (a login, a new certificate). Never retried. */
export class AuthenticationError extends ConnectionError {
  override name = 'AuthenticationError';
}

/** How the site's master connection authenticated (from ssh's own log when it opened). */
export interface AuthInfo {
  method: string;
  /** The key as ssh named it: a file, or the agent key's comment. */
  identity: string | null;
  keyType: string | null;
  fingerprint: string | null;
  fromAgent: boolean;
  certificate: CertificateInfo | null;
  openedAt: string;
}

/** ssh expands %-tokens in paths and ProxyCommand: literal % must be doubled. */
const pct = (s: string) => s.replace(/%/g, '%%');

/**
 * The private folder for master sockets: $FEDBENCH_SSH_DIR, else $XDG_RUNTIME_DIR/fedbench-ssh, else
 * /tmp/fedbench-ssh-UID — short, because a socket path must fit in about 100 bytes.
 */
export function controlDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir =
    process.env.FEDBENCH_SSH_DIR ??
    (process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'fedbench-ssh') : `/tmp/fedbench-ssh-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink())
    throw new InputError(
      `${dir} is not a folder: fedbench keeps its SSH master sockets there (set FEDBENCH_SSH_DIR to another folder)`,
    );
  if (st.uid !== uid || (st.mode & 0o077) !== 0)
    throw new InputError(
      `${dir} is not private (mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid}): another user could use your SSH connections through it. Run 'chmod 700 ${dir}' or set FEDBENCH_SSH_DIR`,
    );
  if (dir.length > 80)
    throw new InputError(
      `${dir} is too long for SSH control sockets (${dir.length} characters, at most 80): set FEDBENCH_SSH_DIR to a shorter folder`,
    );
  return dir;
}

/** `ssh -G`: the effective configuration for a host (aliases resolved), as ssh itself would use it. */
async function effectiveConfig(
  host: string,
  opts: { configFile?: string; port?: number; user?: string },
): Promise<Map<string, string[]>> {
  const args = [
    ...(opts.configFile ? ['-F', opts.configFile] : []),
    ...(opts.port ? ['-p', String(opts.port)] : []),
    ...(opts.user ? ['-l', opts.user] : []),
    '-G',
    '--',
    host,
  ];
  const r = await runLocal('ssh', args);
  if (r.code !== 0)
    throw new InputError(
      `ssh -G ${host}${opts.configFile ? ` (config ${opts.configFile})` : ''}: ${r.stderr.trim() || `exited with ${r.code}`}`,
    );
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated (ProxyJump's syntax). */
export function parseProxyJump(spec: string): Array<{ host: string; port?: number; user?: string }> {
  if (!spec || spec === 'none') return [];
  return spec.split(',').map((raw) => {
    const s = raw.trim().replace(/^ssh:\/\//, '');
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(s);
    if (!m) throw new InputError(`cannot read ProxyJump '${spec}'`);
    return {
      host: m[2]!.replace(/^\[|\]$/g, ''),
      ...(m[3] ? { port: Number(m[3]) } : {}),
      ...(m[1] ? { user: m[1] } : {}),
    };
  });
}

/** The first lines of ssh's log that say what went wrong (not its debug chatter). */
function sshSaid(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^debug\d:/.test(l) && !/^OpenSSH_/.test(l) && !/^Transferred:/.test(l));
  return lines.slice(-4).join(' | ');
}

const FINGERPRINT = 'SHA256:[A-Za-z0-9+/=]+';

/** The host's key as `ssh -v` logged it (`TYPE SHA256:…`, without the comma ssh writes after a certificate's),
 *  and the CA that signed the host's certificate, where it presented one. */
export function hostKeyOf(log: string): { key: string | null; ca: string | null } {
  const key = new RegExp(`Server host (?:key|certificate): (\\S+) (${FINGERPRINT})`).exec(log);
  const ca = new RegExp(`Server host certificate: .*? CA (\\S+) (${FINGERPRINT})`).exec(log);
  return { key: key ? `${key[1]} ${key[2]}` : null, ca: ca ? `${ca[1]} ${ca[2]}` : null };
}

/** The plain keys a site refused when it takes public keys only (no password or keyboard-interactive step that
 *  `sites login` could answer) and no certificate was offered: such a site wants a certificate. Null otherwise. */
export function plainKeysRefused(log: string): string[] | null {
  const methods = [...log.matchAll(/Authentications that can continue: (\S+)/g)].at(-1)?.[1]?.split(',');
  if (!methods || methods.some((m) => m !== 'publickey')) return null;
  const offered = [...log.matchAll(/Offering public key: (.+?) ([A-Z0-9-]+) SHA256:/g)];
  if (!offered.length || offered.some((o) => o[2]!.endsWith('-CERT'))) return null;
  return [...new Set(offered.map((o) => o[1]!))];
}

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
      writeFileSync(`${this.socket}.auth.json`, JSON.stringify(await this.authFromLog(text)), { mode: 0o600 });
      return;
    }
    throw await this.diagnose(text, hopsText, code);
  }

  /** What ssh's log says about how it authenticated. */
  private async authFromLog(log: string): Promise<AuthInfo> {
    const accepted = /Server accepts key: (.+) (\S+) (SHA256:\S+)(?: (explicit|agent))?\s*$/m.exec(log);
    const method = /Authenticated to .* using "([^"]+)"/.exec(log)?.[1] ?? 'unknown';
    const info: AuthInfo = {
      method,
      identity: accepted?.[1] ?? null,
      keyType: accepted?.[2] ?? null,
      fingerprint: accepted?.[3] ?? null,
      fromAgent: accepted?.[4] === 'agent',
      certificate: null,
      openedAt: new Date().toISOString(),
    };
    if (info.keyType?.endsWith('-CERT') && info.fingerprint) {
      const certs = info.fromAgent ? await agentCertificates() : await this.certificateFiles(info.identity);
      info.certificate = certs.find((c) => c.publicKey.endsWith(info.fingerprint!)) ?? null;
    }
    return info;
  }

  /** The certificates this site would offer from files: the profile's, the config's, and KEY-cert.pub beside each key. */
  private async certificateFiles(identity: string | null = null): Promise<CertificateInfo[]> {
    const cfg = await effectiveConfig(this.ep.host, this.ep).catch(() => new Map<string, string[]>());
    const keys = [this.ep.identityFile, identity, ...(cfg.get('identityfile') ?? [])].filter((k): k is string =>
      Boolean(k),
    );
    const files = new Set(
      [this.ep.certificateFile, ...(cfg.get('certificatefile') ?? []), ...keys.map((k) => `${k}-cert.pub`)]
        .filter((f): f is string => Boolean(f))
        .map(expandHome),
    );
    const out: CertificateInfo[] = [];
    for (const f of files) {
      const c = await readCertificate(f);
      if (c) out.push(c);
    }
    return out;
  }

  /** The error a failed login deserves: host key, certificate, login needed, or the network. */
  private async diagnose(log: string, hopsLog: string, code: number | null): Promise<Error> {
    const all = `${hopsLog}\n${log}`;
    const said = sshSaid(all) || `ssh exited with ${code}`;
    const where = `${this.where} (site ${this.ep.site})`;
    const { key: offered, ca } = hostKeyOf(all);
    if (/Host key verification failed|HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(all)) {
      if (/IDENTIFICATION HAS CHANGED|has changed/i.test(all))
        return new HostKeyError(
          `${where}: HOST KEY MISMATCH: the host offered ${offered ?? 'a key'} that does not match ${this.ep.knownHosts}. Refusing to connect: the host key changed or something is in the middle. If the site announced a new key, verify its fingerprint and replace the line.`,
        );
      if (/No matching CA found|certificate .* (signed by|not signed)|Certificate invalid/i.test(all))
        return new HostKeyError(
          `${where}: the host presented a certificate (${offered ?? 'unknown key'}) signed by a CA${ca ? ` (${ca})` : ''} that ${this.ep.knownHosts} does not trust (@cert-authority), and its plain key is not listed either. Refusing to connect.`,
        );
      const unknown = /No (\S+) host key is known for (\S+)/.exec(all);
      return new HostKeyError(
        `${where}: unknown host ${unknown?.[2] ?? this.ep.host}: its key ${offered ?? ''} is not in ${this.ep.knownHosts} (nor a matching @cert-authority line). Refusing to connect. ` +
          `Check the fingerprint against the site's documentation, then add the key, or the site's host CA as '@cert-authority HOSTS KEY'.`,
      );
    }
    if (/Permission denied|Too many authentication failures|No more authentication methods/i.test(all)) {
      const certs = [
        ...(await this.certificateFiles()),
        ...(this.ep.agent || !this.ep.identityFile ? await agentCertificates() : []),
      ];
      const usable = certs.filter((c) => validity(c).state === 'valid');
      if (certs.length && !usable.length) {
        const c = certs[0]!;
        const v = validity(c);
        const when =
          v.state === 'expired'
            ? `expired at ${v.at}`
            : v.state === 'not-yet-valid'
              ? `is not valid before ${v.from}`
              : '';
        return new AuthenticationError(
          `${where}: the certificate ${c.source} (key ID "${c.keyId}") ${when}, so the site refuses it. Get a new certificate ` +
            `(your platform's or site's SSH certificate service), then run the command again: nothing measured or collected is lost.`,
        );
      }
      const plain = usable.length ? null : plainKeysRefused(all);
      if (plain)
        return new AuthenticationError(
          `${where}: ${this.ep.site} takes keys only and refused ${plain.join(', ')}: it wants a certificate` +
            `${ca ? ` (the host presented one signed by CA ${ca})` : ''}, which \`fedbench sites login\` cannot give. ` +
            `Get a user certificate from the site's SSH certificate service, save it as KEY-cert.pub beside the key ` +
            `(or name it as certificateFile in the profile), then run the command again: nothing measured or collected is lost.`,
        );
      return new AuthenticationError(
        `${where}: ${this.ep.site} needs a login: run \`fedbench sites login ${this.ep.site}\` (ssh said: ${said})`,
      );
    }
    if (/Could not resolve hostname/i.test(all)) return new InputError(`${where}: ${said}`);
    return new ConnectionError(`${where}: cannot connect: ${said}`);
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
    const pack = tar.pack();
    for (const f of files)
      pack.entry(
        { name: path.posix.relative(base, f.path), mode: f.mode ?? 0o644 },
        typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data,
      );
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    this.stats.transfers += files.length;
    const script = [
      'mkdir -p -- "$1" && tmp=$(mktemp -d "$1/.fedbench-upload.XXXXXX") || exit 1',
      `trap 'rm -rf -- "$tmp"' EXIT`,
      'tar -x -f - -C "$tmp" --no-same-owner -p || exit 1',
      `cd -- "$tmp" && find . -type f -exec sh -c 'for f; do mkdir -p -- "$0/\${f%/*}" && mv -f -- "$f" "$0/$f" || exit 1; done' "$1" {} +`,
    ].join('\n');
    const r = await this.execRaw(['sh', '-c', script, 'fedbench-write-files', base], {
      stdin: Buffer.concat(chunks),
      readOnly: true,
    });
    if (r.code !== 0)
      throw new Error(
        `${this.where}: cannot write ${files.length} files under ${base}: ${r.stderr.trim() || `exited with ${r.code}`}`,
      );
  }

  /** The listing and the small *.json files of some subfolders, in one session: a NUL-separated listing, then a tar archive. */
  async readTree(dir: string, subdirs: readonly string[], maxBytes: number): Promise<TreeSnapshot> {
    const snap: TreeSnapshot = { entries: new Map(), contents: new Map() };
    if (!subdirs.length) return snap;
    const script = [
      'cd -- "$1" 2>/dev/null || exit 0',
      'max=$2; shift 2',
      'list=$(mktemp) || exit 1',
      `trap 'rm -f -- "$list"' EXIT`,
      'find "$@" -mindepth 1 -maxdepth 2 -printf "%y %s %p\\0" 2>/dev/null >"$list"',
      'wc -c <"$list" && cat -- "$list" || exit 1',
      'find "$@" -mindepth 1 -maxdepth 2 -type f -name "*.json" -size -$((max + 1))c -print0 2>/dev/null | tar --null -T - -c -f -',
    ].join('\n');
    const r = await this.execRaw(
      ['sh', '-c', script, 'fedbench-read-tree', dir, String(maxBytes), ...subdirs.map((d) => `./${d}`)],
      { readOnly: true },
    );
    if (r.code !== 0)
      throw new Error(`${this.where}: cannot read ${dir}: ${r.stderr.trim() || `exited with ${r.code}`}`);
    if (!r.stdout.length) return snap; // no such folder
    const nl = r.stdout.indexOf(0x0a);
    const n = Number(r.stdout.subarray(0, nl).toString('latin1').trim());
    const clean = (p: string) => p.replace(/^\.\//, '');
    for (const item of r.stdout
      .subarray(nl + 1, nl + 1 + n)
      .toString('utf8')
      .split('\0')
      .filter(Boolean)) {
      const [type, size] = item.split(' ', 2) as [string, string];
      const rel = clean(item.slice(type.length + size.length + 2));
      const parent = path.posix.dirname(rel);
      const list = snap.entries.get(parent) ?? [];
      list.push({
        name: path.posix.basename(rel),
        size: Number(size),
        kind: type === 'f' ? 'file' : type === 'd' ? 'dir' : 'other',
      });
      snap.entries.set(parent, list);
    }
    const extract = tar.extract();
    extract.end(r.stdout.subarray(nl + 1 + n));
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      snap.contents.set(clean(entry.header.name), Buffer.concat(chunks));
    }
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

/** The deepest folder that holds every one of these absolute paths. */
function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => path.posix.dirname(p).split('/'));
  const first = split[0]!;
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/') || '/';
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(1)) : p;
}
