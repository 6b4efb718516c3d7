// Reading ssh's own log: how the master connection authenticated, and, when it failed, the error the user needs —
// host key (and the host CA), certificate validity, a certificate wanted by a keys-only site, a login, the network.
import { InputError } from '../errors.js';
import { agentCertificates, validity, type CertificateInfo } from './certificate.js';
import { HostKeyError } from './known-hosts.js';
import { certificateFiles, type OpenSshEndpoint } from './openssh-config.js';
import { ConnectionError } from './ssh.js';

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

/** The first lines of ssh's log that say what went wrong (not its debug chatter). */
export function sshSaid(log: string): string {
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

/** What ssh's log says about how it authenticated. */
export async function authFromLog(ep: OpenSshEndpoint, log: string): Promise<AuthInfo> {
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
    const certs = info.fromAgent ? await agentCertificates() : await certificateFiles(ep, info.identity);
    info.certificate = certs.find((c) => c.publicKey.endsWith(info.fingerprint!)) ?? null;
  }
  return info;
}

/** The error a failed login deserves: host key, certificate, login needed, or the network. */
export async function diagnose(
  ep: OpenSshEndpoint,
  /** user@host:port, as the executor names it */
  address: string,
  log: string,
  hopsLog: string,
  code: number | null,
): Promise<Error> {
  const all = `${hopsLog}\n${log}`;
  const said = sshSaid(all) || `ssh exited with ${code}`;
  const where = `${address} (site ${ep.site})`;
  const { key: offered, ca } = hostKeyOf(all);
  if (/Host key verification failed|HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(all)) {
    if (/IDENTIFICATION HAS CHANGED|has changed/i.test(all))
      return new HostKeyError(
        `${where}: HOST KEY MISMATCH: the host offered ${offered ?? 'a key'} that does not match ${ep.knownHosts}. Refusing to connect: the host key changed or something is in the middle. If the site announced a new key, verify its fingerprint and replace the line.`,
      );
    if (/No matching CA found|certificate .* (signed by|not signed)|Certificate invalid/i.test(all))
      return new HostKeyError(
        `${where}: the host presented a certificate (${offered ?? 'unknown key'}) signed by a CA${ca ? ` (${ca})` : ''} that ${ep.knownHosts} does not trust (@cert-authority), and its plain key is not listed either. Refusing to connect.`,
      );
    const unknown = /No (\S+) host key is known for (\S+)/.exec(all);
    return new HostKeyError(
      `${where}: unknown host ${unknown?.[2] ?? ep.host}: its key ${offered ?? ''} is not in ${ep.knownHosts} (nor a matching @cert-authority line). Refusing to connect. ` +
        `Check the fingerprint against the site's documentation, then add the key, or the site's host CA as '@cert-authority HOSTS KEY'.`,
    );
  }
  if (/Permission denied|Too many authentication failures|No more authentication methods/i.test(all)) {
    const certs = [...(await certificateFiles(ep)), ...(ep.agent || !ep.identityFile ? await agentCertificates() : [])];
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
        `${where}: ${ep.site} takes keys only and refused ${plain.join(', ')}: it wants a certificate` +
          `${ca ? ` (the host presented one signed by CA ${ca})` : ''}, which \`fedbench sites login\` cannot give. ` +
          `Get a user certificate from the site's SSH certificate service, save it as KEY-cert.pub beside the key ` +
          `(or name it as certificateFile in the profile), then run the command again: nothing measured or collected is lost.`,
      );
    return new AuthenticationError(
      `${where}: ${ep.site} needs a login: run \`fedbench sites login ${ep.site}\` (ssh said: ${said})`,
    );
  }
  if (/Could not resolve hostname/i.test(all)) return new InputError(`${where}: ${said}`);
  return new ConnectionError(`${where}: cannot connect: ${said}`);
}
