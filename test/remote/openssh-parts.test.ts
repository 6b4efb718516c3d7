// The OpenSSH transport's pieces that need no site: certificate listings, ProxyJump specs, Slurm time limits,
// what a profile may say about its SSH endpoint, and the private folder for master sockets.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controlDir,
  hostKeyOf,
  parseCertificateListing,
  plainKeysRefused,
  parseProxyJump,
  readCertificate,
  validity,
} from '../../src/remote/index.js';
import { parseSite } from '../../src/sites/index.js';
import { timeLimitSeconds } from '../../src/slurm/index.js';

// Recorded from `ssh-keygen -L` (OpenSSH 9.2) for a certificate with two principals.
const LISTING = `/home/u/.ssh/id_ed25519-cert.pub:
        Type: ssh-ed25519-cert-v01@openssh.com user certificate
        Public key: ED25519-CERT SHA256:6fL6+ptYz9SfdX9+0Kddy6BQn68k+o7DRFGfAfX3P0E
        Signing CA: ED25519 SHA256:nPB/YJdNkQkTF78wmthLq4y2bkfO+/fbOBUL7rk4Fuc (using ssh-ed25519)
        Key ID: "alice@myaccessid"
        Serial: 7
        Valid: from 2026-11-29T20:56:22 to 2026-11-29T21:11:22
        Principals: 
                alice
                hpc-users
        Critical Options: (none)
        Extensions: 
                permit-pty
`;

const profile = (ssh: string) =>
  `name: s\nssh: ${ssh}\nscheduler: { partition: gpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: A100, perNode: 4 }\n`;

describe('OpenSSH transport parts', () => {
  const saved = process.env.FEDBENCH_SSH_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.FEDBENCH_SSH_DIR;
    else process.env.FEDBENCH_SSH_DIR = saved;
  });

  it('reads a certificate listing: key ID, principals, CA and validity window', () => {
    const c = parseCertificateListing(LISTING, 'id-cert.pub');
    expect(c).toMatchObject({
      keyId: 'alice@myaccessid',
      principals: ['alice', 'hpc-users'],
      publicKey: 'ED25519-CERT SHA256:6fL6+ptYz9SfdX9+0Kddy6BQn68k+o7DRFGfAfX3P0E',
    });
    expect(c.signingCa).toMatch(/^ED25519 SHA256:nPB/);
    expect(Date.parse(c.validTo!) - Date.parse(c.validFrom!)).toBe(15 * 60 * 1000);
    expect(validity(c, Date.parse(c.validFrom!) - 1000).state).toBe('not-yet-valid');
    expect(validity(c, Date.parse(c.validFrom!) + 60_000)).toEqual({ state: 'valid', secondsLeft: 14 * 60 });
    expect(validity(c, Date.parse(c.validTo!))).toEqual({ state: 'expired', at: c.validTo });
  });

  it('reads a real certificate that ssh-keygen signed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedbench-cert-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${dir}/ca`]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${dir}/id`]);
    execFileSync('ssh-keygen', [
      '-q',
      '-s',
      `${dir}/ca`,
      '-I',
      'test-user',
      '-n',
      'root,alice',
      '-V',
      '-1h:+1h',
      `${dir}/id.pub`,
    ]);
    const c = (await readCertificate(`${dir}/id-cert.pub`))!;
    expect(c).toMatchObject({ source: `${dir}/id-cert.pub`, keyId: 'test-user', principals: ['root', 'alice'] });
    expect(validity(c).state).toBe('valid');
    expect(Math.abs(Date.parse(c.validTo!) - Date.now() - 3600_000)).toBeLessThan(120_000);
    expect(await readCertificate(`${dir}/id.pub`)).toBeNull(); // a plain key is no certificate
  });

  it('reads ProxyJump specs as ssh does', () => {
    expect(parseProxyJump('gw')).toEqual([{ host: 'gw' }]);
    expect(parseProxyJump('alice@gw.example.eu:2222,ssh://bob@[fe80::1]:22')).toEqual([
      { host: 'gw.example.eu', port: 2222, user: 'alice' },
      { host: 'fe80::1', port: 22, user: 'bob' },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
  });

  it('reads Slurm time limits (minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]])', () => {
    expect(['30', '10:00', '01:00:00', '1-00:00:00', '2-06', '0-00:01:30'].map(timeLimitSeconds)).toEqual([
      1800,
      600,
      3600,
      86400,
      2 * 86400 + 6 * 3600,
      90,
    ]);
  });

  it('profiles: openssh may leave user and port to ~/.ssh/config; ssh2 needs a user; no host or user can be an option', () => {
    const ok = parseSite(
      profile('{ transport: openssh, host: leonardo, certificateFile: ~/.ssh/id-cert.pub }'),
      's.yaml',
    );
    expect(ok.ssh).toMatchObject({ transport: 'openssh', host: 'leonardo', persistMinutes: 240 });
    expect(ok.ssh!.user).toBeUndefined();
    expect(ok.ssh!.port).toBeUndefined();
    expect(() => parseSite(profile('{ host: login.example.eu }'), 's.yaml')).toThrow(
      /s\.yaml:2:\d+: ssh\.user: a user name is required with the ssh2 transport/,
    );
    expect(() => parseSite(profile('{ host: h, user: u, certificateFile: c }'), 's.yaml')).toThrow(
      /ssh\.certificateFile: certificateFile needs 'transport: openssh'/,
    );
    expect(() => parseSite(profile("{ transport: openssh, host: '-oProxyCommand=touch /tmp/x' }"), 's.yaml')).toThrow(
      /ssh\.host: expected a host name.*not starting with -/,
    );
    expect(() => parseSite(profile("{ transport: openssh, host: h, user: '-oProxyCommand=x' }"), 's.yaml')).toThrow(
      /ssh\.user: expected a user name/,
    );
    expect(() => parseSite(profile("{ transport: openssh, host: h, jump: [{ host: '-J' }] }"), 's.yaml')).toThrow(
      /ssh\.jump\[0\]\.host: expected a host name/,
    );
  });

  it('keeps master sockets only in a private folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fb-cm-'));
    process.env.FEDBENCH_SSH_DIR = dir;
    chmodSync(dir, 0o755);
    expect(() => controlDir()).toThrow(/is not private \(mode 755, owner \d+\).*chmod 700/);
    chmodSync(dir, 0o700);
    expect(controlDir()).toBe(dir);
  });
});

// Recorded from OpenSSH 9.2 (`ssh -v`, batch mode) against a private sshd whose host key has a certificate and which
// takes user certificates only (TrustedUserCAKeys, no authorized keys): a plain key refused, then the same host
// with its CA not trusted.
const HOST_CERT =
  'debug1: Server host certificate: ssh-ed25519-cert-v01@openssh.com SHA256:4N1ztOmTB4643fiGmoZh7Cd4ffR3qDyt/5YwGTjNpIQ, serial 0 ID "testhost" CA ssh-ed25519 SHA256:LDdslVVHU2dc5FDlrT9TD+YVuumF35E5/dGmukZjc4k valid forever';
const PLAIN_REFUSED = [
  HOST_CERT,
  'debug1: Found CA key in /tmp/sshx/known_hosts:1',
  'debug1: Authentications that can continue: publickey',
  'debug1: Offering public key: /tmp/sshx/user ED25519 SHA256:3XuoeSbKlp6FUzBIx67OD7H/cVbrCMmaRmx/EvrFTLw explicit',
  'debug1: Authentications that can continue: publickey',
  'root@127.0.0.1: Permission denied (publickey).',
].join('\n');
const CA_UNTRUSTED = [
  HOST_CERT,
  'debug1: No matching CA found. Retry with plain key',
  'Host key verification failed.',
].join('\n');

describe("ssh's account of a refused login", () => {
  it('reads the host key without the comma ssh writes after it, and the CA that signed the host certificate', () => {
    expect(hostKeyOf(CA_UNTRUSTED)).toEqual({
      key: 'ssh-ed25519-cert-v01@openssh.com SHA256:4N1ztOmTB4643fiGmoZh7Cd4ffR3qDyt/5YwGTjNpIQ',
      ca: 'ssh-ed25519 SHA256:LDdslVVHU2dc5FDlrT9TD+YVuumF35E5/dGmukZjc4k',
    });
    expect(hostKeyOf('debug1: Server host key: ssh-ed25519 SHA256:abc+/=')).toEqual({
      key: 'ssh-ed25519 SHA256:abc+/=',
      ca: null,
    });
  });

  it('tells a keys-only site that refused plain keys (it wants a certificate) from one that needs a login', () => {
    expect(plainKeysRefused(PLAIN_REFUSED)).toEqual(['/tmp/sshx/user']);
    // a site that also asks for a one-time password: `sites login` can answer that
    expect(
      plainKeysRefused(PLAIN_REFUSED.replaceAll('continue: publickey', 'continue: publickey,keyboard-interactive')),
    ).toBeNull();
    // a certificate was offered and refused: not this case (expired or wrong principal)
    expect(
      plainKeysRefused(PLAIN_REFUSED.replace('/tmp/sshx/user ED25519', '/tmp/sshx/user-cert.pub ED25519-CERT')),
    ).toBeNull();
  });
});
