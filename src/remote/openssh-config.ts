// The OpenSSH transport's configuration: the site's endpoint, ssh's own configuration for a host (`ssh -G`:
// aliases, ProxyJump), the private folder of master sockets, and the certificates a site would be offered from files.
import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { readCertificate, runLocal, type CertificateInfo } from './certificate.js';
import type { RetryPolicy } from './retry.js';

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

/** ssh expands %-tokens in paths and ProxyCommand: literal % must be doubled. */
export const pct = (s: string) => s.replace(/%/g, '%%');

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
export async function effectiveConfig(
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

/** The certificates this site would offer from files: the profile's, the config's, and KEY-cert.pub beside each key. */
export async function certificateFiles(
  ep: Pick<OpenSshEndpoint, 'host' | 'port' | 'user' | 'configFile' | 'identityFile' | 'certificateFile'>,
  identity: string | null = null,
): Promise<CertificateInfo[]> {
  const cfg = await effectiveConfig(ep.host, ep).catch(() => new Map<string, string[]>());
  const keys = [ep.identityFile, identity, ...(cfg.get('identityfile') ?? [])].filter((k): k is string => Boolean(k));
  const files = new Set(
    [ep.certificateFile, ...(cfg.get('certificatefile') ?? []), ...keys.map((k) => `${k}-cert.pub`)]
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

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(1)) : p;
}
