// OpenSSH user certificates as `ssh-keygen -L` describes them: who signed, for whom, and when they are valid.
// Short-lived certificates are how federated HPC sites admit users, so their validity decides whether a campaign
// can still be collected; fedbench reads it instead of guessing why a login failed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecResult } from './executor.js';
import { LocalExecutor } from './local.js';
import { errorText } from '../errors.js';

export interface CertificateInfo {
  /** Where it was read from: a file, or `agent` with the key's comment. */
  source: string;
  /** e.g. `ssh-ed25519-cert-v01@openssh.com user certificate`. */
  type: string;
  keyId: string;
  /** e.g. `ED25519-CERT SHA256:…`: how ssh's log names it when it is offered or accepted. */
  publicKey: string;
  principals: string[];
  signingCa: string;
  /** ISO times; null when the certificate says `forever` on that side. */
  validFrom: string | null;
  validTo: string | null;
}

const here = new LocalExecutor({ timeoutMs: 15_000 });

/** A local OpenSSH tool (ssh, ssh-keygen, ssh-add) through the local executor; a missing program is exit code null. */
export function runLocal(file: string, args: readonly string[]): Promise<ExecResult> {
  return here
    .exec([file, ...args])
    .catch((err: unknown) => ({ code: null, stdout: '', stderr: `cannot run ${file}: ${errorText(err)}` }));
}

/** `Valid: from 2026-11-29T20:56:22 to 2026-11-29T21:11:22` (local time, as ssh-keygen prints it), or `forever`. */
function parseValidity(line: string): { validFrom: string | null; validTo: string | null } {
  if (/forever/.test(line) && !/from/.test(line)) return { validFrom: null, validTo: null };
  const m = /from (\S+) to (\S+)/.exec(line);
  if (!m) return { validFrom: null, validTo: null };
  const at = (s: string) => (/forever/.test(s) ? null : new Date(s).toISOString());
  return { validFrom: at(m[1]!), validTo: at(m[2]!) };
}

/** Parses `ssh-keygen -L` output. */
export function parseCertificateListing(text: string, source: string): CertificateInfo {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const lines = text.split('\n');
  const p = lines.findIndex((l) => /^\s*Principals:/.test(l));
  const principals: string[] = [];
  if (p >= 0) {
    const inline = lines[p]!.replace(/^\s*Principals:\s*/, '').trim();
    if (inline && inline !== '(none)') principals.push(inline);
    for (const l of lines.slice(p + 1)) {
      if (!/^\s{9,}\S/.test(l) || /^\s*[A-Z][A-Za-z ]+:/.test(l)) break;
      principals.push(l.trim());
    }
  }
  return {
    source,
    type: field('Type'),
    keyId: field('Key ID').replace(/^"|"$/g, ''),
    publicKey: field('Public key'),
    principals,
    signingCa: field('Signing CA'),
    ...parseValidity(field('Valid')),
  };
}

/** The certificate in `file`, or null when it is not one (or cannot be read). */
export async function readCertificate(file: string): Promise<CertificateInfo | null> {
  if (!existsSync(file)) return null;
  const r = await runLocal('ssh-keygen', ['-L', '-f', file]);
  if (r.code !== 0 || !/certificate/.test(r.stdout)) return null;
  return parseCertificateListing(r.stdout, file);
}

/** Certificates the SSH agent at $SSH_AUTH_SOCK holds. */
export async function agentCertificates(): Promise<CertificateInfo[]> {
  if (!process.env.SSH_AUTH_SOCK) return [];
  const r = await runLocal('ssh-add', ['-L']);
  if (r.code !== 0) return [];
  const out: CertificateInfo[] = [];
  for (const line of r.stdout.split('\n').filter((l) => /-cert-v01@openssh\.com /.test(l))) {
    // ssh-keygen reads a file (a pipe from Node is a socket it cannot open as /dev/stdin)
    const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-cert-'));
    const file = path.join(dir, 'agent-cert.pub');
    writeFileSync(file, `${line}\n`, { mode: 0o600 });
    const listed = await runLocal('ssh-keygen', ['-L', '-f', file]).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    const comment = line.split(' ').slice(2).join(' ');
    if (listed.code === 0) out.push(parseCertificateListing(listed.stdout, `agent${comment ? ` (${comment})` : ''}`));
  }
  return out;
}

export type Validity =
  | { state: 'valid'; secondsLeft: number | null }
  | { state: 'expired'; at: string }
  | { state: 'not-yet-valid'; from: string };

export function validity(c: CertificateInfo, now = Date.now()): Validity {
  if (c.validFrom && Date.parse(c.validFrom) > now) return { state: 'not-yet-valid', from: c.validFrom };
  if (c.validTo && Date.parse(c.validTo) <= now) return { state: 'expired', at: c.validTo };
  return { state: 'valid', secondsLeft: c.validTo ? Math.round((Date.parse(c.validTo) - now) / 1000) : null };
}

/** One line for messages: `FILE (ID "x", principals a,b) valid until T`. */
export function describeCertificate(c: CertificateInfo, now = Date.now()): string {
  const v = validity(c, now);
  const what = `${c.source} (key ID "${c.keyId}", principals ${c.principals.join(',') || 'none'})`;
  if (v.state === 'expired') return `${what} EXPIRED at ${v.at}`;
  if (v.state === 'not-yet-valid') return `${what} NOT YET VALID: valid from ${v.from}`;
  return `${what} valid ${c.validTo ? `until ${c.validTo}` : 'forever'}`;
}
