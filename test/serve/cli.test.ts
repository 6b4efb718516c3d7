// `fedbench serve` as a user starts it (the built binary): one line on stdout, the address with its token, and
// nothing else; the token signs in; SIGTERM stops it cleanly; a network address without TLS is refused (exit 2).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fedbench, ROOT } from '../cli/run-cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedbench-serve-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fedbench serve', () => {
  it('prints only the address with its token, serves with it, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'dist/cli/main.js'), 'serve', '--port', '0', '--db', path.join(tmp, 'db')],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const url = new URL(line);
    expect((await fetch(new URL('/', url))).status).toBe(401);
    const login = await fetch(url, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const home = await fetch(new URL('/', url), { headers: { cookie } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('0 run record(s)');
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stdout).toBe(`${line}\n`);
    expect(stderr).toBe('');
  });

  it('refuses a network address without TLS, naming the options', async () => {
    const r = await fedbench(['serve', '--host', '0.0.0.0', '--port', '0', '--db', path.join(tmp, 'db2')], {
      cwd: tmp,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tls-cert and --tls-key \(or --insecure/);
    expect(r.stdout).toBe('');
  });
});
