// Host keys are checked against an OpenSSH known_hosts file; an unknown host or a changed key is refused
// with a message that says which, where, and what to do — never accepted silently.
// Supports plain and hashed (|1|salt|hash) host fields, [host]:port, * and ? patterns, !negation, @revoked.
// @cert-authority lines are not supported by ssh2 (host certificates) and are ignored; the message points to the openssh transport.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorText } from '../errors.js';

export class HostKeyError extends Error {
  override name = 'HostKeyError';
}

interface Entry {
  line: number;
  marker: '@revoked' | '@cert-authority' | null;
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (e.g. ssh-ed25519). */
function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString('latin1');
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    const marker =
      parts[0] === '@revoked' || parts[0] === '@cert-authority' ? (parts.shift() as Entry['marker']) : null;
    const [hosts, keyType, key] = parts;
    if (!hosts || !keyType || !key) return;
    out.push({ line: i + 1, marker, hosts, keyType, key: Buffer.from(key, 'base64') });
  });
  return out;
}

function glob(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(text);
}

function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (glob(p.slice(1), name)) return false;
    } else if (glob(p, name)) matched = true;
  }
  return matched;
}

/** The name known_hosts uses: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Throws HostKeyError unless `key` is listed for host:port in the file (and not revoked). */
export function verifyHostKey(file: string, host: string, port: number, key: Buffer): void {
  const name = knownHostsName(host, port);
  const offered = `${keyTypeOf(key)} ${fingerprint(key)}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostKeyError(
      `cannot read known_hosts file ${file} (${errorText(err)}): refusing to connect to ${name} without checking its host key`,
    );
  }
  const entries = parse(text).filter((e) => hostMatches(e.hosts, name));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked)
    throw new HostKeyError(
      `host key of ${name} (${offered}) is marked @revoked in ${file} line ${revoked.line}: refusing to connect`,
    );
  const plain = entries.filter((e) => e.marker === null);
  if (plain.some((e) => e.key.equals(key))) return;
  if (plain.length) {
    const known = plain.map((e) => `${e.keyType} ${fingerprint(e.key)} (line ${e.line})`).join(', ');
    throw new HostKeyError(
      `HOST KEY MISMATCH for ${name}: it offered ${offered}, but ${file} lists ${known}. Refusing to connect: the host key changed ` +
        `or something is in the middle. If the site announced a new key, verify its fingerprint and replace the line.`,
    );
  }
  const ca = entries.some((e) => e.marker === '@cert-authority')
    ? " (an @cert-authority line matches, but the ssh2 transport cannot check host certificates: set 'transport: openssh' in the profile, or add the host key itself)"
    : '';
  throw new HostKeyError(
    `unknown host ${name}: its key ${offered} is not in ${file}${ca}. Refusing to connect. Check the fingerprint against the ` +
      `site's documentation, then add it, e.g. ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host} >> ${file}`,
  );
}
