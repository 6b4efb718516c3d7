// Host key checking against known_hosts: known keys pass; unknown hosts and changed keys are refused, saying why.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, HostKeyError, verifyHostKey } from '../../src/remote/index.js';

/** An SSH public key blob of type ssh-ed25519 (random key bytes). */
function blob(): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = randomBytes(32);
  const len = (b: Buffer) => Buffer.from([0, 0, 0, b.length]);
  return Buffer.concat([len(type), type, len(key), key]);
}

function file(lines: string[]): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'kh-')), 'known_hosts');
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

describe('verifyHostKey', () => {
  const key = blob();
  const other = blob();
  const line = (host: string, k = key) => `${host} ssh-ed25519 ${k.toString('base64')}`;

  it('accepts a listed key, plain or as [host]:port, and hashed', () => {
    verifyHostKey(file([line('login.example.org')]), 'login.example.org', 22, key);
    verifyHostKey(file([line('[login.example.org]:8822')]), 'login.example.org', 8822, key);
    verifyHostKey(file([line('*.example.org,!bad.example.org')]), 'login.example.org', 22, key);
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('10.0.0.5').digest('base64');
    verifyHostKey(file([line(`|1|${salt.toString('base64')}|${hash}`)]), '10.0.0.5', 22, key);
  });

  it('refuses an unknown host, naming the fingerprint and what to do', () => {
    const f = file([line('elsewhere.org')]);
    expect(() => verifyHostKey(f, 'login.example.org', 22, key)).toThrow(HostKeyError);
    expect(() => verifyHostKey(f, 'login.example.org', 22, key)).toThrow(
      new RegExp(`unknown host login.example.org.*${fingerprint(key).replace(/[+/]/g, '.')}.*ssh-keyscan`),
    );
    expect(() => verifyHostKey(file([line('*.example.org,!login.example.org')]), 'login.example.org', 22, key)).toThrow(
      /unknown host/,
    );
  });

  it('refuses a changed key (mismatch), and a port the entry is not for', () => {
    expect(() => verifyHostKey(file([line('login.example.org', other)]), 'login.example.org', 22, key)).toThrow(
      /HOST KEY MISMATCH.*line 1/,
    );
    expect(() => verifyHostKey(file([line('login.example.org')]), 'login.example.org', 2222, key)).toThrow(
      /unknown host \[login.example.org\]:2222/,
    );
  });

  it('refuses a revoked key and a missing file', () => {
    expect(() => verifyHostKey(file([line('h'), `@revoked ${line('h')}`]), 'h', 22, key)).toThrow(/revoked/);
    expect(() => verifyHostKey('/nonexistent/known_hosts', 'h', 22, key)).toThrow(/cannot read known_hosts/);
  });
});
