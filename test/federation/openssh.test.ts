// Certificate-only sites reached with the system's OpenSSH (slurm/testenv/up.sh: an sshd on port 2022 of each site
// trusts a test user CA and nothing else, and presents a host certificate the client trusts only through
// @cert-authority). The executor contract runs against both transports; campaigns, logins, agents, expired and
// renewed certificates, foreign host CAs and ~/.ssh/config jump hosts run through the CLI as a user would.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { OpenSshExecutor, SshExecutor, type Executor } from '../../src/remote/index.js';
import { readRecords } from '../../src/results/index.js';
import { fedbench } from '../cli/run-cli.js';
import { down, IN_CI, missingPrerequisite, TESTENV_DIR, up, type TestEnv } from './testenv.js';

const missing = missingPrerequisite();
if (missing && IN_CI) throw new Error(`OpenSSH federation tests cannot run in CI: ${missing}`);

let env: TestEnv;
let work: string;
let sitesDir: string;
let campaigns: string;
// master sockets live here; down.sh closes whatever is left
const SSH_DIR = path.join(TESTENV_DIR, 'cm');
const cliEnv = (extra: Record<string, string> = {}) => ({
  FEDBENCH_SITES: sitesDir,
  FEDBENCH_CAMPAIGNS: campaigns,
  FEDBENCH_SSH_DIR: SSH_DIR,
  SSH_AUTH_SOCK: '',
  SSH_ASKPASS: '',
  ...extra,
});
const cli = (args: string[], extra?: Record<string, string>) => fedbench(args, { cwd: work, env: cliEnv(extra) });
const json = <T>(text: string): T => JSON.parse(text) as T;

/** "Accepted" lines in a site's certificate-only sshd log: one per authenticated connection. */
const accepted = (site: 'alpha' | 'beta') =>
  (readFileSync(env.sites[site].certSshdLog, 'utf8').match(/Accepted publickey for root/g) ?? []).length;

/** A new key pair in the work folder, optionally with a passphrase, and a certificate from the test user CA. */
function certKey(name: string, validity = '-5m:+2h', passphrase = ''): string {
  const key = path.join(work, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', key]);
  sign(key, validity);
  return key;
}
/** (Re)signs KEY.pub into KEY-cert.pub: a renewal, or an expired certificate with a validity in the past. */
function sign(key: string, validity: string): void {
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    env.cert.userCa,
    '-I',
    `id-${path.basename(key)}`,
    '-n',
    'root',
    '-V',
    validity,
    `${key}.pub`,
  ]);
}

/** A profile on a test site's certificate-only sshd through the openssh transport. */
function certSite(base: 'alpha' | 'beta', name: string, ssh: Record<string, unknown> = {}): void {
  const p = parse(readFileSync(env.sites[base].profile, 'utf8')) as Record<string, any>;
  p.name = name;
  p.ssh = {
    transport: 'openssh',
    host: env.sites[base].address,
    port: env.cert.port,
    user: 'root',
    identityFile: env.cert.key,
    knownHosts: env.cert.knownHosts,
    connectTimeoutSeconds: 10,
    retries: 2,
    ...ssh,
  };
  for (const [k, v] of Object.entries(p.ssh)) if (v === undefined) delete p.ssh[k];
  writeFileSync(path.join(sitesDir, `${name}.yaml`), stringify(p));
}

function suite(name: string, sizes: number[]): string {
  const file = path.join(work, `${name}.yaml`);
  const stop = {
    warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
    minSamples: 5,
    minSeconds: 0.05,
    maxSeconds: 0.3,
    targetNoise: 0.2,
  };
  writeFileSync(
    file,
    stringify({
      name,
      engines: ['onnxruntime:cpu'],
      stop,
      benchmarks: [{ id: 'gemm', workload: 'gemm', params: { n: sizes, dtype: 'fp32' } }],
    }),
  );
  return file;
}

async function waitEnded(campaign: string, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await cli(['status', campaign, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json<{ sites: Array<{ states: Record<string, number> }> }>(r.stdout);
    if (
      !s.sites.some((x) =>
        Object.keys(x.states).some((k) => !['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED'].includes(k)),
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`campaign ${campaign} still running: ${r.stdout}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

describe.skipIf(missing !== null)(
  `OpenSSH transport: certificate-only sites${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    beforeAll(() => {
      env = up();
      mkdirSync(SSH_DIR, { recursive: true, mode: 0o700 });
      process.env.FEDBENCH_SSH_DIR = SSH_DIR;
      work = mkdtempSync(path.join(tmpdir(), 'fedbench-openssh-'));
      sitesDir = path.join(work, 'sites');
      campaigns = path.join(work, 'campaigns');
      mkdirSync(sitesDir);
    });

    afterAll(() => {
      delete process.env.FEDBENCH_SSH_DIR;
      if (env) down();
    });

    // ---------- the executor contract, for both transports
    const transports: Array<[string, () => Executor]> = [
      [
        'ssh2 (plain key, port 22)',
        () =>
          new SshExecutor({
            host: env.sites.alpha.address,
            port: 22,
            user: 'root',
            identityFile: env.key,
            knownHosts: env.knownHosts,
            connectTimeoutSeconds: 10,
            commandTimeoutSeconds: 20,
            keepaliveSeconds: 5,
          }),
      ],
      [
        'openssh (certificate, port 2022)',
        () =>
          new OpenSshExecutor({
            site: 'contract',
            host: env.sites.alpha.address,
            port: env.cert.port,
            user: 'root',
            identityFile: env.cert.key,
            knownHosts: env.cert.knownHosts,
            connectTimeoutSeconds: 10,
            commandTimeoutSeconds: 20,
            keepaliveSeconds: 5,
            persistMinutes: 10,
          }),
      ],
    ];
    describe.each(transports)('executor contract: %s', (_name, make) => {
      let ex: Executor;
      let dir: string;
      beforeAll(async () => {
        ex = make();
        dir = `/tmp/fedbench-contract-${_name.split(' ')[0]}`;
        await ex.exec(['rm', '-rf', '--', dir]);
      });
      afterAll(async () => {
        await ex.close();
        if (ex instanceof OpenSshExecutor) await ex.logout();
      });

      it('runs argv with hostile strings intact, in a folder, with variables; exit codes and stderr as the command gave them', async () => {
        const word = fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc.constantFrom("'", '$(touch /tmp/pwned)', '`id`', '; exit 7', '\n', '"$HOME"', '\\', '*', '-e', '%C %h'),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 4 }), async (words) => {
            const r = await ex.exec(['printf', '%s\\0', ...words], { env: { FEDBENCH_X: words[0]! } });
            expect(r.code).toBe(0);
            expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
          }),
          { numRuns: 15 },
        );
        expect(existsSync('/tmp/pwned')).toBe(false);
        expect(
          (await ex.exec(['sh', '-c', 'pwd; printf %s "$V"'], { cwd: '/var', env: { V: "a 'b' $c" } })).stdout,
        ).toBe("/var\na 'b' $c");
        expect(await ex.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({
          code: 3,
          stdout: 'out\n',
          stderr: 'err\n',
        });
        // 255 is also ssh's own failure code: a command that exits 255 on a live connection is still the command's
        expect((await ex.exec(['sh', '-c', 'exit 255'])).code).toBe(255);
        expect((await ex.exec(['sh', '-c', 'echo "$SLURM_CONF"'])).stdout.trim()).toBe(env.sites.alpha.slurmConf);
      });

      it('feeds standard input from bytes and from a stream; a command past its time-out is stopped and the next one runs', async () => {
        expect((await ex.exec(['cat'], { stdin: 'one\ntwo\n' })).stdout).toBe('one\ntwo\n');
        expect(
          (
            await ex.exec(['wc', '-c'], { stdin: Readable.from([Buffer.alloc(100_000, 1), Buffer.alloc(23, 2)]) })
          ).stdout.trim(),
        ).toBe('100023');
        const t0 = Date.now();
        await expect(ex.exec(['sleep', '30'], { timeoutMs: 1000 })).rejects.toThrow(/did not finish within 1 s/);
        expect(Date.now() - t0).toBeLessThan(15_000);
        expect((await ex.exec(['echo', 'still here'])).stdout).toBe('still here\n');
      });

      it('moves files atomically, byte for byte; lists folders without following links; knows the home folder', async () => {
        expect(await ex.home()).toBe('/root');
        expect(await ex.readDir(`${dir}/none`)).toEqual([]);
        await ex.mkdirs(`${dir}/sub/deeper`);
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await ex.writeFile(`${dir}/a b'c.bin`, bytes, 0o640);
        await ex.writeFile(`${dir}/a b'c.bin`, Buffer.concat([bytes, bytes])); // replaces it
        await ex.writeFile(`${dir}/text.json`, '{"ok": true}\n');
        await ex.exec(['ln', '-s', '/etc/passwd', `${dir}/link.json`]);
        expect(await ex.readFile(`${dir}/a b'c.bin`, 1024)).toEqual(Buffer.concat([bytes, bytes]));
        expect((await ex.readFile(`${dir}/text.json`, 100)).toString()).toBe('{"ok": true}\n');
        await expect(ex.readFile(`${dir}/a b'c.bin`, 100)).rejects.toThrow(/over the limit of 100/);
        await expect(ex.readFile(`${dir}/missing.json`, 100)).rejects.toThrow(/missing\.json/);
        const listed = (await ex.readDir(dir)).sort((a, b) => a.name.localeCompare(b.name));
        expect(listed).toEqual([
          { name: "a b'c.bin", size: 512, kind: 'file' },
          { name: 'link.json', size: expect.any(Number), kind: 'other' },
          { name: 'sub', size: expect.any(Number), kind: 'dir' },
          { name: 'text.json', size: 13, kind: 'file' },
        ]);
        expect((await ex.exec(['stat', '-c', '%a', `${dir}/text.json`])).stdout.trim()).toBe('644');
      });

      it('writes many files at once (atomically, modes kept) and reads folders back as one snapshot of their small records', async () => {
        const base = `${dir}/many`;
        const files: Array<{ path: string; data: string; mode?: number }> = Array.from({ length: 12 }, (_, i) => ({
          path: `${base}/t${i % 3}/f ${i}.json`,
          data: JSON.stringify({ i }),
          mode: i === 0 ? 0o755 : 0o644,
        }));
        files.push(
          { path: `${base}/t0/gpu1/w.json`, data: '{"w":1}' },
          { path: `${base}/t1/big.json`, data: 'x'.repeat(5000) },
          { path: `${base}/t1/notes.txt`, data: 'n' },
        );
        await ex.writeFiles(files);
        expect((await ex.exec(['stat', '-c', '%a', `${base}/t0/f 0.json`, `${base}/t1/f 1.json`])).stdout).toBe(
          '755\n644\n',
        );
        expect((await ex.readDir(base)).map((e) => e.name).sort()).toEqual(['t0', 't1', 't2']); // nothing left over
        await ex.exec(['ln', '-s', '/etc/passwd', `${base}/t0/link.json`]);
        const snap = await ex.readTree(base, ['t0', 't1', 'missing', '-delete'], 1000);
        expect([...snap.contents.keys()].sort()).toEqual([
          't0/f 0.json',
          't0/f 3.json',
          't0/f 6.json',
          't0/f 9.json',
          't0/gpu1/w.json',
          't1/f 1.json',
          't1/f 10.json',
          't1/f 4.json',
          't1/f 7.json',
        ]);
        expect(snap.contents.get('t0/gpu1/w.json')!.toString()).toBe('{"w":1}');
        const t1 = Object.fromEntries(snap.entries.get('t1')!.map((e) => [e.name, [e.kind, e.size]]));
        expect(t1['big.json']).toEqual(['file', 5000]); // listed, but over the limit: not read
        expect(t1['notes.txt']).toEqual(['file', 1]);
        expect(snap.entries.get('t0')!.find((e) => e.name === 'link.json')!.kind).toBe('other');
        expect(snap.entries.get('t0')!.find((e) => e.name === 'gpu1')!.kind).toBe('dir');
        expect(snap.entries.has('t2')).toBe(false); // not asked for
        expect((await ex.readTree(`${dir}/nowhere`, ['a'], 100)).entries.size).toBe(0);
        expect((await ex.readDir(base)).length).toBe(3);
      });

      it('did all of it over one connection', () => {
        expect(ex.stats.connections).toBe(1);
        expect(ex.stats.commands).toBeGreaterThan(20);
      });
    });

    // ---------- the CLI on certificate-only sites
    it('a campaign on two certificate-only sites: submit, status, collect — one SSH connection per site for all of it', async () => {
      certSite('alpha', 'alpha-cert');
      certSite('beta', 'beta-cert');
      const before = { alpha: accepted('alpha'), beta: accepted('beta') };
      const check = await cli(['sites', 'check', 'alpha-cert', 'beta-cert']);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(
        new RegExp(
          `alpha-cert: authenticated by publickey with certificate ${env.cert.key}-cert\\.pub \\(key ID "fedbench-test-user", principals root\\) valid until 20\\d\\d-`,
        ),
      );

      const sub = await cli([
        'submit',
        '--suite',
        suite('tiny', [16, 32]),
        '--sites',
        'alpha-cert,beta-cert',
        '--campaign',
        'certs',
        '--json',
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      await waitEnded('certs');
      const c = await cli(['collect', 'certs', '--wait', '--interval', '1', '--timeout', '120', '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(json<{ landed: number; complete: boolean }>(c.stdout)).toMatchObject({ landed: 4, complete: true });
      const { records, problems } = await readRecords(path.join(work, 'results', 'certs'));
      expect(problems).toEqual([]);
      expect(records.map((r) => `${r.site} ${r.status} ${r.slurm?.state}`).sort()).toEqual([
        'alpha-cert ok COMPLETED',
        'alpha-cert ok COMPLETED',
        'beta-cert ok COMPLETED',
        'beta-cert ok COMPLETED',
      ]);
      // sites check, submit, every status round and collect: one authenticated connection per site in all
      expect({ alpha: accepted('alpha') - before.alpha, beta: accepted('beta') - before.beta }).toEqual({
        alpha: 1,
        beta: 1,
      });
      const out = await cli(['sites', 'logout', 'alpha-cert', 'beta-cert']);
      expect(out.stdout).toBe('alpha-cert: connection closed\nbeta-cert: connection closed\n');
    });

    it('ssh2 on a certificate-only site: refused, and the message says which transport can get in', async () => {
      const ex = new SshExecutor({
        host: env.sites.alpha.address,
        port: env.cert.port,
        user: 'root',
        identityFile: env.cert.key,
        knownHosts: env.cert.knownHosts,
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 5,
        keepaliveSeconds: 5,
        retry: { attempts: 1, firstDelayMs: 0, maxDelayMs: 0 },
      });
      // ssh2 cannot check the host certificate either: the @cert-authority line is named, with the way out
      await expect(ex.exec(['true'])).rejects.toThrow(
        /an @cert-authority line matches, but the ssh2 transport cannot check host certificates: set 'transport: openssh'/,
      );
      const hostKey = readFileSync(path.join(env.sites.alpha.dir, 'ssh_cert_host_key.pub'), 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      const plainKnown = path.join(work, 'known_hosts.cert-site-plain');
      writeFileSync(plainKnown, `[${env.sites.alpha.address}]:${env.cert.port} ${hostKey}\n`);
      const keyOnly = new SshExecutor({
        host: env.sites.alpha.address,
        port: env.cert.port,
        user: 'root',
        identityFile: env.cert.key,
        knownHosts: plainKnown,
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 5,
        keepaliveSeconds: 5,
        retry: { attempts: 1, firstDelayMs: 0, maxDelayMs: 0 },
      });
      await expect(keyOnly.exec(['true'])).rejects.toThrow(
        /authentication failed for user root .*needs 'transport: openssh'/,
      );
    });

    it('refuses a plain key on a certificate-only site, and says it wants a certificate and whose — at once, without prompting', async () => {
      certSite('alpha', 'alpha-plainkey', { identityFile: env.key });
      const t0 = Date.now();
      const r = await cli(['sites', 'check', 'alpha-plainkey', '--json']);
      expect(r.code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(json<Array<{ problems: string[] }>>(r.stdout)[0]!.problems.join()).toMatch(
        /alpha-plainkey takes keys only and refused .*: it wants a certificate \(the host presented one signed by CA ssh-ed25519 SHA256:[A-Za-z0-9+/=]+\), which `fedbench sites login` cannot give/,
      );
    });

    it('an expired and a not-yet-valid certificate: clear errors naming the file and its validity, no hang', async () => {
      const expired = certKey('id_expired', '-3h:-1h');
      const future = certKey('id_future', '+1h:+3h');
      certSite('alpha', 'alpha-expired', { identityFile: expired });
      certSite('beta', 'beta-future', { identityFile: future });
      const t0 = Date.now();
      const r = await cli(['sites', 'check', 'alpha-expired', 'beta-future', '--json']);
      expect(r.code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(30_000);
      const [a, b] = json<Array<{ problems: string[] }>>(r.stdout);
      expect(a!.problems.join()).toMatch(
        new RegExp(
          `the certificate ${expired}-cert\\.pub \\(key ID "id-id_expired"\\) expired at 20\\d\\d-\\d\\d-\\d\\dT[\\d:.]+Z, so the site refuses it\\. Get a new certificate`,
        ),
      );
      expect(b!.problems.join()).toMatch(
        new RegExp(`the certificate ${future}-cert\\.pub \\(key ID "id-id_future"\\) is not valid before 20\\d\\d-`),
      );
    });

    it('warns when the certificate ends before a job of the time limit, or the campaign, could', async () => {
      const key = certKey('id_short', '-5m:+20m');
      certSite('alpha', 'alpha-short-cert', { identityFile: key });
      const p = parse(readFileSync(path.join(sitesDir, 'alpha-short-cert.yaml'), 'utf8')) as Record<string, any>;
      p.scheduler.timeLimit = '01:00:00';
      writeFileSync(path.join(sitesDir, 'alpha-short-cert.yaml'), stringify(p));
      const check = await cli(['sites', 'check', 'alpha-short-cert']);
      expect(check.code, check.stdout).toBe(0); // a warning, not a failure
      expect(check.stdout).toMatch(
        new RegExp(
          `alpha-short-cert: warning: the certificate ${key}-cert\\.pub expires at 20\\S+ \\(in 1\\d min\\), before a job of the site's time limit 01:00:00 \\(1 h 00 min\\) would end`,
        ),
      );
      const sub = await cli([
        'submit',
        '--suite',
        suite('short', [8]),
        '--sites',
        'alpha-short-cert',
        '--campaign',
        'short-cert',
      ]);
      expect(sub.code, sub.stderr).toBe(0);
      expect(sub.stderr).toMatch(
        /warning: alpha-short-cert: the certificate .*before the campaign's expected end \(time limit 01:00:00 × 1 job array\(s\)\)/,
      );
      await cli(['sites', 'logout', 'alpha-short-cert']);
    });

    it('a certificate renewed between submit and collect: collect fails clearly while it is expired, then resumes — nothing lost or doubled', async () => {
      const key = certKey('id_renew');
      certSite('alpha', 'alpha-renew', { identityFile: key });
      const sub = await cli(['submit', '--suite', suite('one', [24]), '--sites', 'alpha-renew', '--campaign', 'renew']);
      expect(sub.code, sub.stderr).toBe(0);
      await waitEnded('renew');
      // the master ends (logout, or ControlPersist ran out) and the certificate expires meanwhile
      expect((await cli(['sites', 'logout', 'alpha-renew'])).stdout).toMatch(/connection closed/);
      sign(key, '-3h:-1h');
      const failed = await cli(['collect', 'renew']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        new RegExp(`the certificate ${key}-cert\\.pub \\(key ID "id-id_renew"\\) expired at .*Get a new certificate`),
      );
      expect(existsSync(path.join(work, 'results', 'renew'))).toBe(false);
      sign(key, '-5m:+2h');
      const c = await cli(['collect', 'renew', '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(json<{ landed: number; complete: boolean }>(c.stdout)).toMatchObject({ landed: 1, complete: true });
      const again = await cli(['collect', 'renew', '--json']);
      expect(json<{ landed: number; complete: boolean }>(again.stdout)).toMatchObject({ landed: 0, complete: true });
      expect(
        (await readRecords(path.join(work, 'results', 'renew'))).records.map((r) => `${r.case} ${r.status}`),
      ).toEqual(['gemm/onnxruntime:cpu/n=24,dtype=fp32 ok']);
      await cli(['sites', 'logout', 'alpha-renew']);
    });

    it('refuses a host certificate from another CA, a plain host key that is not in known_hosts, and a changed key', async () => {
      const otherCa = path.join(work, 'other_host_ca');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherCa]);
      const foreign = path.join(work, 'known_hosts.foreign-ca');
      writeFileSync(
        foreign,
        `@cert-authority [${env.sites.alpha.address}]:${env.cert.port} ${readFileSync(`${otherCa}.pub`, 'utf8')}`,
      );
      certSite('alpha', 'alpha-foreign-ca', { knownHosts: foreign });
      // the plain sshd on port 22 presents a plain host key; known_hosts_ca has only the CA line
      certSite('alpha', 'alpha-plainhost', { port: 22, identityFile: env.key });
      // a changed key: known_hosts lists another key for the site (the loopback sshd's)
      const changed = path.join(work, 'known_hosts.changed');
      writeFileSync(
        changed,
        `[${env.sites.alpha.address}]:${env.cert.port} ${readFileSync(path.join(env.run, 'loop/ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
      );
      certSite('alpha', 'alpha-changed', { knownHosts: changed });
      const r = await cli(['sites', 'check', 'alpha-foreign-ca', 'alpha-plainhost', 'alpha-changed', '--json']);
      expect(r.code).toBe(1);
      const [foreignCa, plainHost, changedKey] = json<Array<{ problems: string[] }>>(r.stdout);
      expect(changedKey!.problems.join()).toMatch(
        /HOST KEY MISMATCH: the host offered .* that does not match .*known_hosts\.changed\. Refusing to connect/,
      );
      expect(foreignCa!.problems.join()).toMatch(
        /the host presented a certificate \(\S+ SHA256:[A-Za-z0-9+/=]+\) signed by a CA \(ssh-ed25519 SHA256:[A-Za-z0-9+/=]+\) that .*known_hosts\.foreign-ca does not trust \(@cert-authority\).*Refusing to connect/,
      );
      expect(plainHost!.problems.join()).toMatch(/unknown host \[10\.200\.1\.2\]:22|unknown host 10\.200\.1\.2/);
      expect(plainHost!.problems.join()).toMatch(/is not in .*known_hosts_ca/);
    });

    it('sites login: the one interactive step (a passphrase through SSH_ASKPASS); batch commands then reuse it without prompting', async () => {
      const key = certKey('id_passphrase', '-5m:+2h', 'fedbench-otp-123456');
      certSite('beta', 'beta-login', { identityFile: key });
      const before = accepted('beta');
      const batch = await cli(['sites', 'check', 'beta-login', '--json']);
      expect(batch.code).toBe(1);
      expect(json<Array<{ problems: string[] }>>(batch.stdout)[0]!.problems.join()).toMatch(
        /beta-login needs a login: run `fedbench sites login beta-login`/,
      );

      const askpass = path.join(work, 'askpass.sh');
      writeFileSync(askpass, '#!/bin/sh\necho fedbench-otp-123456\n');
      chmodSync(askpass, 0o755);
      const login = await cli(['sites', 'login', 'beta-login'], {
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: ':0',
      });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toMatch(
        /^beta-login: logged in \(root@10\.200\.2\.2:2022, certificate .*id_passphrase-cert\.pub/,
      );

      const check = await cli(['sites', 'check', 'beta-login', '--json']);
      expect(check.code, check.stdout).toBe(0);
      expect(json<Array<{ auth: { certificate: { keyId: string } } }>>(check.stdout)[0]!.auth.certificate.keyId).toBe(
        'id-id_passphrase',
      );
      expect(accepted('beta') - before).toBe(1);
      const again = await cli(['sites', 'login', 'beta-login']);
      expect(again.stdout, again.stderr).toMatch(/already logged in/);
      expect((await cli(['sites', 'logout', 'beta-login'])).stdout).toBe('beta-login: connection closed\n');
      expect((await cli(['sites', 'check', 'beta-login'])).code).toBe(1);
    });

    it('the SSH agent holding key and certificate authenticates instead of files', async () => {
      const key = certKey('id_agent');
      const sock = path.join(work, 'agent.sock');
      const started = execFileSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
      const pid = /SSH_AGENT_PID=(\d+)/.exec(started)![1]!;
      try {
        execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        certSite('alpha', 'alpha-agent', { identityFile: undefined, agent: true });
        const r = await cli(['sites', 'check', 'alpha-agent', '--json'], { SSH_AUTH_SOCK: sock });
        expect(r.code, r.stdout).toBe(0);
        expect(
          json<
            Array<{
              auth: { fromAgent: boolean; keyType: string; certificate: { keyId: string; principals: string[] } };
            }>
          >(r.stdout)[0]!.auth,
        ).toMatchObject({
          fromAgent: true,
          keyType: 'ED25519-CERT',
          certificate: { keyId: 'id-id_agent', principals: ['root'] },
        });
        await cli(['sites', 'logout', 'alpha-agent']);
      } finally {
        process.kill(Number(pid));
      }
    });

    it('a jump host and the login host taken from an ssh config file (-F), every host key still checked', async () => {
      const config = path.join(work, 'ssh_config');
      writeFileSync(
        config,
        [
          'Host fb-gateway',
          '  HostName 127.0.0.1',
          `  Port ${env.loopback.port}`,
          '  User root',
          `  IdentityFile ${env.key}`,
          'Host fb-alpha',
          `  HostName ${env.sites.alpha.address}`,
          `  Port ${env.cert.port}`,
          '  User root',
          `  IdentityFile ${env.cert.key}`,
          '  ProxyJump fb-gateway',
          '',
        ].join('\n'),
      );
      const knownHosts = path.join(work, 'known_hosts.both');
      writeFileSync(knownHosts, readFileSync(env.knownHosts, 'utf8') + readFileSync(env.cert.knownHosts, 'utf8'));
      certSite('alpha', 'alpha-alias', {
        host: 'fb-alpha',
        port: undefined,
        user: undefined,
        identityFile: undefined,
        configFile: config,
        knownHosts,
      });
      const gatewayLog = path.join(env.run, 'pids', 'loop-sshd.out');
      const gatewayBefore = (readFileSync(gatewayLog, 'utf8').match(/Accepted publickey/g) ?? []).length;
      const r = await cli(['sites', 'check', 'alpha-alias', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(json<Array<{ where: string; partition: { gres: string } }>>(r.stdout)[0]).toMatchObject({
        where: 'fb-alpha',
        partition: { gres: 'gpu:a100:4' },
      });
      expect((readFileSync(gatewayLog, 'utf8').match(/Accepted publickey/g) ?? []).length).toBe(gatewayBefore + 1);
      await cli(['sites', 'logout', 'alpha-alias']);

      // the gateway's host key is checked too: without it in known_hosts, nothing connects
      copyFileSync(env.cert.knownHosts, path.join(work, 'known_hosts.no-gateway'));
      certSite('alpha', 'alpha-alias-unknown-gw', {
        host: 'fb-alpha',
        port: undefined,
        user: undefined,
        identityFile: undefined,
        configFile: config,
        knownHosts: path.join(work, 'known_hosts.no-gateway'),
      });
      const refused = await cli(['sites', 'check', 'alpha-alias-unknown-gw', '--json']);
      expect(refused.code).toBe(1);
      expect(json<Array<{ problems: string[] }>>(refused.stdout)[0]!.problems.join()).toMatch(
        /unknown host \[127\.0\.0\.1\]:2222/,
      );
    });
  },
);
