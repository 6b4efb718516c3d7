// Federation for real: two Slurm 22.05 sites in network namespaces reached over SSH (slurm/testenv/up.sh).
// Jobs run this checkout's built `fedbench run` on a tiny suite; records come home through SFTP and sacct.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  collectCampaign,
  journalSites,
  readJournal,
  siteStates,
  SitePool,
  summarise,
  type Journal,
  type SiteEntry,
} from '../../src/federation/index.js';
import { HostKeyError, LocalExecutor, SshExecutor } from '../../src/remote/index.js';
import { buildReportModel } from '../../src/report/index.js';
import { readRecords, type RunRecord } from '../../src/results/index.js';
import { scheduler } from '../../src/slurm/index.js';
import { fedbench } from '../cli/run-cli.js';
import { down, IN_CI, missingPrerequisite, ROOT, sshdSessions, up, type TestEnv } from './testenv.js';

const missing = missingPrerequisite();
if (missing && IN_CI) throw new Error(`federation tests cannot run in CI: ${missing}`);

let env: TestEnv;
let work: string;
let sitesDir: string;
let campaigns: string;
let energyWriter: NodeJS.Timeout | undefined;
const cliEnv = () => ({ FEDBENCH_SITES: sitesDir, FEDBENCH_CAMPAIGNS: campaigns });
const cli = (args: string[]) => fedbench(args, { cwd: work, env: cliEnv() });
const json = <T>(text: string): T => JSON.parse(text) as T;
const resultsOf = (c: string) => path.join(work, 'results', c);

function suite(name: string, sizes: number[], stop: Record<string, unknown>): string {
  const file = path.join(work, `${name}.yaml`);
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
const QUICK = {
  warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
  minSamples: 5,
  minSeconds: 0.05,
  maxSeconds: 0.3,
  targetNoise: 0.2,
};

/** A variant of a test site's profile under another name. */
function variant(base: 'alpha' | 'beta', name: string, change: (p: Record<string, any>) => void): void {
  const p = parse(readFileSync(env.sites[base].profile, 'utf8')) as Record<string, any>;
  p.name = name;
  change(p);
  writeFileSync(path.join(sitesDir, `${name}.yaml`), stringify(p));
}

async function journalOf(c: string): Promise<Journal> {
  return readJournal(campaigns, c);
}

/** Until every task of the campaign has ended (not collected). */
async function waitEnded(c: string, seconds = 90): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await cli(['status', c, '--json']);
    const s = json<{ sites: Array<{ states: Record<string, number> }> }>(r.stdout);
    const active = s.sites.some((x) =>
      Object.keys(x.states).some((k) => !['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED'].includes(k)),
    );
    if (!active) return;
    if (Date.now() > deadline) throw new Error(`campaign ${c} still running: ${r.stdout}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** An SSH connection to a test site as root, outside fedbench's own pool. */
function siteExecutor(site: 'alpha' | 'beta'): SshExecutor {
  return new SshExecutor({
    host: env.sites[site].address,
    port: 22,
    user: 'root',
    identityFile: env.key,
    knownHosts: env.knownHosts,
    connectTimeoutSeconds: 5,
    commandTimeoutSeconds: 10,
    keepaliveSeconds: 5,
  });
}

function recordFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();
}

describe.skipIf(missing !== null)(
  `federation across two Slurm sites over SSH${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    beforeAll(async () => {
      env = up();
      work = mkdtempSync(path.join(tmpdir(), 'fedbench-fed-'));
      sitesDir = path.join(work, 'sites');
      campaigns = path.join(work, 'campaigns');
      mkdirSync(sitesDir);
      for (const s of ['alpha', 'beta'] as const)
        writeFileSync(path.join(sitesDir, `${s}.yaml`), readFileSync(env.sites[s].profile));
      variant(
        'alpha',
        'alpha-broken',
        (p) => (p.fedbench = { command: [process.execPath, '/nonexistent/fedbench/main.js'] }),
      );
      variant('beta', 'beta-short', (p) => (p.scheduler.timeLimit = '00:01:00'));
      variant('alpha', 'alpha-nopart', (p) => (p.scheduler.partition = 'nope'));
      variant('beta', 'beta-deployed', (p) => delete p.fedbench);
      const wrongKeys = path.join(work, 'known_hosts.wrong');
      // alpha's address with the loopback sshd's key: a changed host key
      const loopKey = readFileSync(path.join(env.run, 'loop/ssh_host_ed25519_key.pub'), 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ');
      writeFileSync(wrongKeys, `${env.sites.alpha.address} ${loopKey}\n`);
      writeFileSync(path.join(work, 'known_hosts.empty'), '');
      variant('alpha', 'alpha-wrongkey', (p) => (p.ssh.knownHosts = wrongKeys));
      variant('alpha', 'alpha-unknown', (p) => (p.ssh.knownHosts = path.join(work, 'known_hosts.empty')));

      // Slurm's pm_counters plugin on alpha reads these files: a node drawing 500 W. Each is replaced whole (a temp
      // file renamed over it): written in place, slurmd could read one between truncation and write, empty (0 J).
      let joules = 1000;
      const put = (name: string, text: string) => {
        const file = path.join(env.sites.alpha.pmCounters, name);
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      };
      energyWriter = setInterval(() => {
        joules += 50;
        put('energy', `${joules} J\n`);
        put('power', '500 W\n');
      }, 100);

      // The slow campaign first (a TIMEOUT takes ~80 s): FAILED at alpha-broken, TIMEOUT and CANCELLED at beta-short.
      const long = suite('long', [32, 33], { ...QUICK, minSeconds: 400, maxSeconds: 500, minSampleSeconds: 0.05 });
      const r = await cli(['submit', '--suite', long, '--sites', 'alpha-broken,beta-short', '--campaign', 'failures']);
      expect(r.code, r.stderr).toBe(0);
      // beta-short's task 1 (n=33) is cancelled now, seconds into its 1-minute limit (running, or still pending if
      // Slurm is slow to start it), while task 0 (n=32) runs into the limit: CANCELLED and TIMEOUT whatever the
      // machine's load. Cancelled later, after other tests, it could reach its limit first and end TIMEOUT.
      const jobId = (await journalOf('failures')).sites['beta-short']!.jobs[0]!.jobId!;
      const ex = siteExecutor('beta');
      try {
        const slurm = scheduler(ex);
        for (let i = 0; i < 20; i++) {
          if ((await slurm.queue([jobId])).get(`${jobId}_1`)?.state === 'RUNNING') break;
          await new Promise((res) => setTimeout(res, 500));
        }
        await slurm.cancel([`${jobId}_1`]);
      } finally {
        await ex.close();
      }
    });

    afterAll(() => {
      if (energyWriter) clearInterval(energyWriter);
      if (env) down();
    });

    it('sites check: connects with the host key verified, sees the partition, its A100s and MaxArraySize', async () => {
      const r = await cli(['sites', 'check', 'alpha', 'beta', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const checks = json<
        Array<{
          site: string;
          ok: boolean;
          partition: { gres: string; nodes: number };
          maxArraySize: number;
          fedbench: string;
        }>
      >(r.stdout);
      expect(checks.map((c) => [c.site, c.ok, c.partition.gres, c.maxArraySize])).toEqual([
        ['alpha', true, 'gpu:a100:4', 20],
        ['beta', true, 'gpu:a100:4', 20],
      ]);
      expect(checks[0]!.partition.nodes).toBe(2);
    });

    it('refuses a changed host key and an unknown host, and never retries them', async () => {
      const r = await cli(['sites', 'check', 'alpha-wrongkey', 'alpha-unknown', '--json']);
      expect(r.code).toBe(1);
      const [wrong, unknown] = json<Array<{ ok: boolean; problems: string[] }>>(r.stdout);
      expect(wrong!.ok).toBe(false);
      expect(wrong!.problems.join()).toMatch(/HOST KEY MISMATCH for 10\.200\.1\.2: it offered ssh-ed25519 SHA256:/);
      expect(unknown!.problems.join()).toMatch(
        /unknown host 10\.200\.1\.2: its key ssh-ed25519 SHA256:\S+ is not in .*known_hosts\.empty/,
      );
      const ex = new SshExecutor({
        host: env.sites.alpha.address,
        port: 22,
        user: 'root',
        identityFile: env.key,
        knownHosts: path.join(work, 'known_hosts.empty'),
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 5,
        keepaliveSeconds: 5,
      });
      await expect(ex.exec(['true'])).rejects.toBeInstanceOf(HostKeyError);
      expect(ex.stats.connections).toBe(1);
    });

    it('reaches a site through a jump host (ProxyJump), each host key checked', async () => {
      variant('alpha', 'alpha-via-jump', (p) => (p.ssh.jump = [{ host: '127.0.0.1', port: 2222 }]));
      const r = await cli(['sites', 'check', 'alpha-via-jump', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(json<Array<{ ok: boolean; partition: { gres: string } }>>(r.stdout)[0]).toMatchObject({
        ok: true,
        partition: { gres: 'gpu:a100:4' },
      });
      const base = {
        host: env.sites.alpha.address,
        port: 22,
        user: 'root',
        identityFile: env.key,
        knownHosts: env.knownHosts,
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 10,
        keepaliveSeconds: 5,
        retry: { attempts: 1, firstDelayMs: 0, maxDelayMs: 0 },
      };
      // Through alpha's own sshd to alpha: the tunnel's far end is inside the site, so the site sees the
      // connection come from its own address, not from this machine's 10.200.1.1.
      const tunnelled = new SshExecutor({ ...base, jump: [{ host: env.sites.alpha.address, port: 22, user: 'root' }] });
      try {
        const out = await tunnelled.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
        expect(out.stdout.split(' ')[0]).toBe(env.sites.alpha.address);
        expect(tunnelled.stats.connections).toBe(2);
      } finally {
        await tunnelled.close();
      }
      const unknownGateway = new SshExecutor({
        ...base,
        knownHosts: path.join(work, 'known_hosts.alpha-only'),
        jump: [{ host: '127.0.0.1', port: 2222, user: 'root' }],
      });
      writeFileSync(
        path.join(work, 'known_hosts.alpha-only'),
        readFileSync(env.knownHosts, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(`${env.sites.alpha.address} `))
          .join('\n'),
      );
      await expect(unknownGateway.exec(['true'])).rejects.toThrow(
        /via jump host root@127\.0\.0\.1:2222: .*unknown host \[?127\.0\.0\.1/,
      );
      const deadGateway = new SshExecutor({ ...base, jump: [{ host: '127.0.0.1', port: 1, user: 'root' }] });
      await expect(deadGateway.exec(['true'])).rejects.toThrow(
        /root@10\.200\.1\.2:22: cannot connect: via jump host root@127\.0\.0\.1:1: .*ECONNREFUSED/,
      );
    });

    it('remote commands carry hostile strings intact over one reused SSH connection', async () => {
      const ex = new SshExecutor({
        host: '127.0.0.1',
        port: 2222,
        user: 'root',
        identityFile: env.key,
        knownHosts: env.knownHosts,
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 10,
        keepaliveSeconds: 5,
      });
      try {
        const word = fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 30 }),
          fc.constantFrom("'", '$(touch /tmp/pwned)', '`id`', '; exit 7', '\n', '"$HOME"', '\\', '*', '-e'),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 5 }), async (words) => {
            const r = await ex.exec(['printf', '%s\\0', ...words], { env: { FEDBENCH_X: words[0]! } });
            expect(r.code).toBe(0);
            expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
          }),
          { numRuns: 30 },
        );
        expect(ex.stats.connections).toBe(1);
        expect((await ex.exec(['sh', '-c', 'echo "$SLURM_CONF"'])).stdout.trim()).toBe(env.loopback.slurmConf);
      } finally {
        await ex.close();
      }
    });

    it("an unknown partition: sbatch's own error, naming the site", async () => {
      const r = await cli([
        'submit',
        '--suite',
        suite('tiny', [32], QUICK),
        '--sites',
        'alpha-nopart',
        '--campaign',
        'nopart',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /site alpha-nopart: sbatch refused .*job-0\.sbatch \(profile .*alpha-nopart\.yaml\):\n\s+sbatch: error: invalid partition specified: nope/,
      );
      expect((await journalOf('nopart')).sites['alpha-nopart']!.error).toMatch(/invalid partition/);
    });

    it('cancels one task of the slow campaign (it ends CANCELLED)', async () => {
      // cancelled in beforeAll, right after the submission: sacct has it CANCELLED, its sibling not
      const j = await journalOf('failures');
      const jobId = j.sites['beta-short']!.jobs[0]!.jobId!;
      const ex = siteExecutor('beta');
      try {
        const slurm = scheduler(ex);
        let tasks = (await slurm.states([jobId])).tasks;
        for (let i = 0; i < 60 && tasks.get(`${jobId}_1`)?.state !== 'CANCELLED'; i++) {
          await new Promise((res) => setTimeout(res, 500));
          tasks = (await slurm.states([jobId])).tasks;
        }
        expect(tasks.get(`${jobId}_1`)?.state).toBe('CANCELLED');
        expect(tasks.get(`${jobId}_0`)?.state).not.toBe('CANCELLED');
      } finally {
        await ex.close();
      }
    });

    it('a campaign on two sites: submit, status, collect — records home with site, Slurm state and energy; hostile files quarantined', async () => {
      const s = suite('tiny', [16, 32], { ...QUICK, minSeconds: 3, maxSeconds: 3.5 });
      const sub = await cli(['submit', '--suite', s, '--sites', 'alpha,beta', '--campaign', 'main', '--json']);
      expect(sub.code, sub.stderr).toBe(0);
      expect(json<{ connections: Record<string, { connections: number }> }>(sub.stdout).connections).toMatchObject({
        alpha: { connections: 1 },
        beta: { connections: 1 },
      });

      // a site sends back things that are not records
      const j = await journalOf('main');
      const task0 = path.join(j.sites.alpha!.remoteDir!, 'records', `${j.sites.alpha!.jobs[0]!.jobId}_0`);
      mkdirSync(task0, { recursive: true });
      writeFileSync(path.join(task0, 'broken.json'), '{"schema": "fedbench.run/1", ');
      writeFileSync(
        path.join(task0, 'forged.json'),
        JSON.stringify({ schema: 'fedbench.run/1', id: 'x', campaign: 'main', case: '$(id)\u001b[2J' }),
      );
      symlinkSync('/etc/shadow', path.join(task0, 'shadow.json'));

      const st = await cli(['status', 'main', '--json']);
      expect(st.code, st.stderr).toBe(0);
      expect(
        json<{ sites: Array<{ site: string; tasks: number }> }>(st.stdout).sites.map((x) => [x.site, x.tasks]),
      ).toEqual([
        ['alpha', 2],
        ['beta', 2],
      ]);

      const db = path.join(work, 'results-db');
      const c = await cli(['collect', 'main', '--wait', '--interval', '1', '--timeout', '90', '--json', '--db', db]);
      expect(c.code, c.stderr).toBe(1); // something was rejected
      expect(c.stderr).toContain('results database: 4 record(s) added, 0 already there');
      const o = json<{
        landed: number;
        synthesized: number;
        complete: boolean;
        quarantined: Array<{ file: string; reason: string }>;
        connections: Record<string, { connections: number }>;
      }>(c.stdout);
      expect(o).toMatchObject({ landed: 4, synthesized: 0, complete: true });
      expect(o.connections).toMatchObject({ alpha: { connections: 1 }, beta: { connections: 1 } });
      expect(Object.fromEntries(o.quarantined.map((q) => [q.file, q.reason]))).toEqual({
        'broken.json': expect.stringMatching(/^not JSON/),
        'forged.json': expect.stringMatching(/^not a fedbench.run\/1 record/),
        'shadow.json': 'not a regular file (a link or special file): not read',
      });
      expect(readdirSync(path.join(campaigns, 'main.quarantine', 'alpha'), { recursive: true }).length).toBeGreaterThan(
        3,
      );

      const { records, problems } = await readRecords(resultsOf('main'));
      expect(problems).toEqual([]);
      expect(records.map((r) => `${r.site} ${r.case} ${r.status}`).sort()).toEqual([
        'alpha gemm/onnxruntime:cpu/n=16,dtype=fp32 ok',
        'alpha gemm/onnxruntime:cpu/n=32,dtype=fp32 ok',
        'beta gemm/onnxruntime:cpu/n=16,dtype=fp32 ok',
        'beta gemm/onnxruntime:cpu/n=32,dtype=fp32 ok',
      ]);
      for (const r of records) {
        expect(r.slurm).toMatchObject({
          cluster: r.site,
          partition: 'gpu',
          state: 'COMPLETED',
          exitCode: '0:0',
          jobId: expect.stringMatching(/^\d+$/),
        });
        expect(r.slurm!['elapsed']).toBeGreaterThanOrEqual(3);
      }
      // Slurm's energy accounting (pm_counters plugin, 500 W written by this test) on alpha; none configured on beta
      const alpha = records.filter((r) => r.site === 'alpha');
      for (const r of alpha) expect(r.slurm!['consumedEnergyJ']).toBeGreaterThan(500);
      for (const r of records.filter((x) => x.site === 'beta')) {
        expect(r.slurm!['consumedEnergyJ']).toBeNull();
        expect(r.slurm!['energyNote']).toMatch(/no energy/);
      }

      // collecting again changes nothing, in the folder or the database
      const before = recordFiles(resultsOf('main')).map((f) => [f, statSync(path.join(resultsOf('main'), f)).mtimeMs]);
      const again = await cli(['collect', 'main', '--json', '--db', db]);
      expect(json<{ landed: number; complete: boolean }>(again.stdout)).toMatchObject({ landed: 0, complete: true });
      expect(again.stderr).toContain('results database: 0 record(s) added, 4 already there');
      // the campaign's history and report come from the database
      const h = await cli(['history', '--bench', 'gemm/onnxruntime:cpu/n=32,dtype=fp32', '--db', db, '--json']);
      expect(h.code, h.stderr).toBe(0);
      expect(json<Array<{ site: string; campaign: string }>>(h.stdout).map((p) => [p.site, p.campaign])).toEqual([
        ['alpha', 'main'],
        ['beta', 'main'],
      ]);
      const rep = await cli(['report', '--campaign', 'main', '--history', '--db', db, '--out', 'main.html', '--json']);
      expect(rep.code, rep.stderr).toBe(0);
      expect(json<{ records: number }>(rep.stdout).records).toBe(4);
      expect(readFileSync(path.join(work, 'main.html'), 'utf8')).toContain('4 run(s) of the reported cases');
      expect(recordFiles(resultsOf('main')).map((f) => [f, statSync(path.join(resultsOf('main'), f)).mtimeMs])).toEqual(
        before,
      );
    });

    it("the scheduler's energy replaces an estimate: a job whose meters measured nothing gets sacct's ConsumedEnergyRaw", async () => {
      // alpha's node meters are excluded for this profile, so the job has only the estimate from the profile's TDP;
      // Slurm's pm_counters plugin still accounts the job (500 W written by this test)
      variant('alpha', 'alpha-sacct', (p) => (p.env = { ...p.env, FEDBENCH_ENERGY_EXCLUDE: 'pm_counters' }));
      // a case that samples for 2 s: sacct's elapsed (whole seconds) is then at least 2
      expect(
        (
          await cli([
            'submit',
            '--suite',
            suite('two-seconds', [32], { ...QUICK, minSeconds: 2, maxSeconds: 2.5, targetNoise: 0.0001 }),
            '--sites',
            'alpha-sacct',
            '--campaign',
            'sacct-energy',
          ])
        ).code,
      ).toBe(0);
      const j = await journalOf('sacct-energy');
      expect(readFileSync(j.sites['alpha-sacct']!.jobs[0]!.script, 'utf8')).toContain('--estimate-tdp 400');
      const c = await cli(['collect', 'sacct-energy', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const [r] = (await readRecords(resultsOf('sacct-energy'))).records;
      expect(r!.energy).toMatchObject({
        status: 'measured',
        method: 'scheduler',
        source: 'slurm sacct ConsumedEnergyRaw',
        scope: ['node'],
      });
      const e = r!.energy as Extract<RunRecord['energy'], { status: 'measured' }>;
      expect(e.joules).toBe(r!.slurm!['consumedEnergyJ']);
      expect(r!.slurm!['elapsed']).toBeGreaterThanOrEqual(2);
      expect(e.avgWatts).toBeCloseTo(e.joules / (r!.slurm!['elapsed'] as number), 9);
      expect(e.unavailable?.[0]?.reason).toMatch(
        /^only an estimate from declared power \(\d+\.\d J\), replaced by the scheduler's measurement$/,
      );
    });

    it('collection resumes after fedbench dies at any point: nothing lost, nothing doubled', async () => {
      const s = suite('tiny', [8, 16, 24, 32], QUICK);
      expect((await cli(['submit', '--suite', s, '--sites', 'alpha,beta', '--campaign', 'resume'])).code).toBe(0);
      await waitEnded('resume');
      // 1. dies right after its first task is written (the journal has it, the rest not)
      const j = await journalOf('resume');
      const pool = new SitePool();
      let n = 0;
      const crashed = await collectCampaign({
        journal: j,
        campaignsDir: campaigns,
        sites: journalSites(j),
        pool,
        afterTask: () => {
          if (++n === 1) throw new Error('killed');
        },
      });
      await pool.close();
      expect(crashed.complete).toBe(false);
      expect(crashed.errors.map((e) => e.message).join()).toMatch(/killed/);
      // 2. the CLI killed with SIGKILL part-way
      const { spawn } = await import('node:child_process');
      const child = spawn(process.execPath, [path.join(process.cwd(), 'dist/cli/main.js'), 'collect', 'resume'], {
        cwd: work,
        env: { ...process.env, ...cliEnv() },
        stdio: 'ignore',
      });
      await new Promise((res) => setTimeout(res, 250));
      child.kill('SIGKILL');
      await new Promise((res) => child.on('close', res));
      // 3. run again: complete, one record per site and case
      const c = await cli(['collect', 'resume', '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(json<{ complete: boolean }>(c.stdout).complete).toBe(true);
      const { records } = await readRecords(resultsOf('resume'));
      const keys = records.map((r) => `${r.site} ${r.case}`).sort();
      expect(keys).toHaveLength(8);
      expect(new Set(keys).size).toBe(8);
      expect(records.every((r) => r.status === 'ok')).toBe(true);
      expect(
        (readdirSync(resultsOf('resume'), { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp')),
      ).toEqual([]);
    });

    it('a connection dropped during collection is reopened and the collection finishes', async () => {
      const s = suite('tiny', [8, 16, 32], QUICK);
      expect((await cli(['submit', '--suite', s, '--sites', 'alpha', '--campaign', 'drop'])).code).toBe(0);
      await waitEnded('drop');
      const j = await journalOf('drop');
      const pool = new SitePool();
      let dropped = 0;
      const o = await collectCampaign({
        journal: j,
        campaignsDir: campaigns,
        sites: journalSites(j),
        pool,
        tasksPerFetch: 1, // each task's records fetched on their own, so the drop falls between two fetches
        afterTask: async () => {
          if (dropped++) return;
          // the site's sshd loses our session, as when a network path drops
          for (const pid of sshdSessions(env.sites.alpha.sshdPid)) process.kill(pid, 'SIGKILL');
          await new Promise((res) => setTimeout(res, 200));
        },
      });
      const stats = pool.stats().alpha!;
      await pool.close();
      expect(o.errors).toEqual([]);
      expect(o).toMatchObject({ complete: true, landed: 3 });
      // the drop is noticed, one new connection is opened, and the remaining tasks come through it
      expect(stats.connections).toBe(2);
    });

    it('node sweep: --each-node runs the case once on every node of the partition', async () => {
      expect(
        (
          await cli([
            'submit',
            '--suite',
            suite('tiny', [32], QUICK),
            '--sites',
            'alpha',
            '--each-node',
            '--campaign',
            'sweep',
          ])
        ).code,
      ).toBe(0);
      const c = await cli(['collect', 'sweep', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(resultsOf('sweep'));
      expect(records.map((r) => r.slurm!['node']).sort()).toEqual(['a100-01', 'a100-02']);
    });

    it("a command workload runs in a Slurm job: a Python program's figure comes home, and a failing one says why", async () => {
      const script = path.join(ROOT, 'test/workloads/fixtures/prints-figure.py');
      const file = path.join(work, 'command.yaml');
      writeFileSync(
        file,
        stringify({
          name: 'command',
          stop: { minSamples: 3, maxSamples: 3, minSeconds: 0, maxSeconds: 60 },
          benchmarks: [
            {
              id: 'prog',
              workload: 'command',
              params: { mode: ['ok', 'fail'] },
              command: ['/usr/bin/python3', script, '{mode}', '42'],
              metric: { name: 'throughput', unit: 'samples/s', direction: 'higher', regex: 'samples/s: ([0-9.]+)' },
            },
          ],
        }),
      );
      expect((await cli(['submit', '--suite', file, '--sites', 'alpha', '--campaign', 'command'])).code).toBe(0);
      const c = await cli(['collect', 'command', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0); // collected completely, the failed case included
      const { records } = await readRecords(resultsOf('command'));
      const ok = records.find((r) => r.benchmark.params['mode'] === 'ok')!;
      expect(ok).toMatchObject({ status: 'ok', site: 'alpha', samples: [42, 42, 42], engine: { name: 'command' } });
      expect(ok.slurm).toMatchObject({ state: 'COMPLETED' });
      expect(ok.details).toMatchObject({ kind: 'command', argv: ['/usr/bin/python3', script, 'ok', '42'] });
      const failed = records.find((r) => r.benchmark.params['mode'] === 'fail')!;
      expect(failed).toMatchObject({ status: 'failed', error: 'invocation 1 exited with code 3' });
      expect(failed.details).toMatchObject({ exitCode: 3, stderrTail: expect.stringContaining('CUDA out of memory') });
    });

    it('whole nodes swept: one worker per GPU (srun tasks) on every node, per-GPU records and a per-node figure', async () => {
      // half a second of sampling: alpha's pm_counters (advanced by this test every 100 ms) move in every window
      expect(
        (
          await cli([
            'submit',
            '--suite',
            suite('half-second', [32], { ...QUICK, minSeconds: 0.5, maxSeconds: 0.8 }),
            '--sites',
            'alpha',
            '--whole-node',
            '--each-node',
            '--campaign',
            'whole',
          ])
        ).code,
      ).toBe(0);
      const c = await cli(['collect', 'whole', '--wait', '--interval', '1', '--timeout', '90', '--json']);
      expect(c.code, c.stderr).toBe(0);
      const o = json<{ nodeFigures: Array<{ node: string; workers: number; figure: number; unit: string }> }>(c.stdout);
      const { records } = await readRecords(resultsOf('whole'));
      expect(records.map((r) => `${r.slurm!['node']}/gpu${r.slurm!['gpuWorker']}`).sort()).toEqual(
        ['a100-01', 'a100-02'].flatMap((n) => [0, 1, 2, 3].map((g) => `${n}/gpu${g}`)),
      );
      expect(o.nodeFigures.map((f) => [f.node, f.workers, f.unit]).sort()).toEqual([
        ['a100-01', 4, 'GFLOP/s'],
        ['a100-02', 4, 'GFLOP/s'],
      ]);
      for (const f of o.nodeFigures) {
        const ofNode = records.filter((r) => r.slurm!['node'] === f.node);
        expect(f.figure).toBeCloseTo(
          ofNode.reduce((a, r) => a + r.stats!.median, 0),
          6,
        );
      }
      // every worker knew it shared the node with 3 others; where alpha's pm_counters (advanced by this test every
      // 100 ms) moved inside its window, its record holds a quarter of the node's reading
      for (const r of records) {
        expect(r.system.env['FEDBENCH_WORKERS']).toBe('4');
        const pm =
          r.energy.status === 'measured' ? r.energy.readings?.find((x) => x.source === 'pm_counters') : undefined;
        if (pm) expect(pm.note).toMatch(/divided among the 4 GPU workers that ran at once/);
      }
      const j = await journalOf('whole');
      expect(j.sites.alpha!.jobs.map((x) => x.node).sort()).toEqual(['a100-01', 'a100-02']);
      const logs = readdirSync(path.join(j.sites.alpha!.remoteDir!, 'logs')).map((f) =>
        readFileSync(path.join(j.sites.alpha!.remoteDir!, 'logs', f), 'utf8'),
      );
      expect(logs).toHaveLength(2);
      for (const log of logs) {
        // each job's four workers on its one node, each with a different GPU
        expect(
          new Set([...log.matchAll(/fedbench worker (\d) on (a100-0\d)/g)].map((m) => `${m[2]}/${m[1]}`)).size,
        ).toBe(4);
        expect(new Set([...log.matchAll(/CUDA_VISIBLE_DEVICES=(\d)/g)].map((m) => m[1])).size).toBe(4);
      }
    });

    it("a whole node's latency: collect prints and records the report's figure, the slowest GPU", async () => {
      const file = path.join(work, 'latency.yaml');
      writeFileSync(
        file,
        stringify({
          name: 'latency',
          engines: ['onnxruntime:cpu'],
          benchmarks: [
            {
              id: 'mlp-single-stream',
              workload: 'infer-mlp',
              params: { scenario: 'single-stream', queries: 20, seconds: 0.5, features: 32, hidden: 32, layers: 1 },
            },
          ],
        }),
      );
      const sub = await cli(['submit', '--suite', file, '--sites', 'alpha', '--whole-node', '--campaign', 'latency']);
      expect(sub.code, sub.stderr).toBe(0);
      const c = await cli(['collect', 'latency', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(resultsOf('latency'));
      expect(records.map((r) => [r.status, r.metric.direction])).toEqual(Array(4).fill(['ok', 'lower']));
      const [node] = buildReportModel(records).wholeNodes;
      expect(node!.figureName).toBe('slowest GPU');
      const run = node!.runs[0]!;
      expect(run).toMatchObject({ gpus: 4, ok: 4, problem: null });
      expect(run.figure).toBe(Math.max(...run.perGpu.map((g) => g.median)));
      expect(c.stdout).toContain(
        `node alpha/${run.node} ${node!.case}: ${run.figure!.toPrecision(4)} ms (slowest GPU) over 4 GPU worker(s)\n`,
      );
    });

    it('a site without accounting: status falls back to squeue, and a campaign there is still collected', async () => {
      // alpha's cluster seen through a configuration with accounting off: sacct refuses, squeue still answers
      const conf = path.join(work, 'alpha-noacct.conf');
      writeFileSync(
        conf,
        readFileSync(env.sites.alpha.slurmConf, 'utf8')
          .replace(/^AccountingStorageType=.*$/m, 'AccountingStorageType=accounting_storage/none')
          .replace(/^AccountingStorage(Host|Port|TRES)=.*\n/gm, ''),
      );
      const ex = new LocalExecutor({ env: { SLURM_CONF: conf } });
      const sb = await ex.exec([
        'sbatch',
        '--parsable',
        '-p',
        'gpu',
        '-a',
        '0-1',
        '-o',
        '/dev/null',
        '--wrap',
        // task 1 outlives the wait below by far (it is cancelled at the end), task 0 ends at once
        'if [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then sleep 600; fi',
      ]);
      expect(sb.code, sb.stderr).toBe(0);
      const id = sb.stdout.trim();
      try {
        const job = {
          part: '0',
          name: 'x',
          script: '',
          node: null,
          wholeNode: false,
          offset: 0,
          count: 2,
          jobId: id,
          cluster: null,
          submittedAt: null,
        };
        const entry: SiteEntry = {
          profile: '',
          remoteDir: null,
          gpusPerNode: 4,
          jobs: [job],
          error: null,
          progress: {},
        };
        const site = { scheduler: { kind: 'slurm' } };
        let states = await siteStates(site, ex, entry);
        for (
          let i = 0;
          i < 120 && !(states.tasks.get(`${id}_1`)?.state === 'RUNNING' && !states.tasks.has(`${id}_0`));
          i++
        ) {
          await new Promise((res) => setTimeout(res, 500));
          states = await siteStates(site, ex, entry);
        }
        expect(states.accounting).toBe(false);
        expect([...states.tasks.keys()]).toEqual([`${id}_1`]);
        expect(summarise('alpha-noacct', entry, states, null).states).toEqual({ RUNNING: 1, ENDED: 1 });
        // ids the controller no longer knows: every task has ended (squeue's "Invalid job id specified")
        const gone = await siteStates(site, ex, { ...entry, jobs: [{ ...job, jobId: '999999' }] });
        expect(gone).toMatchObject({ accounting: false, tasks: new Map() });
      } finally {
        await ex.exec(['scancel', id]);
      }

      // the whole path through the CLI, with a profile that reaches the cluster from this machine
      variant('alpha', 'alpha-noacct', (p) => {
        delete p.ssh;
        p.env = { ...p.env, SLURM_CONF: conf };
      });
      expect(
        (
          await cli([
            'submit',
            '--suite',
            suite('tiny', [32], QUICK),
            '--sites',
            'alpha-noacct',
            '--campaign',
            'noacct',
          ])
        ).code,
      ).toBe(0);
      const c = await cli(['collect', 'noacct', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(resultsOf('noacct'));
      expect(records.map((r) => [r.status, r.slurm!['state']])).toEqual([['ok', 'ENDED (no accounting)']]);
      // what sacct would have said, kept from squeue while the task ran or from the job's own SLURM_* variables
      expect(records[0]!.slurm).toMatchObject({
        cluster: 'alpha',
        partition: 'gpu',
        node: expect.stringMatching(/^a100-0[12]$/),
      });
      const st = json<{ sites: Array<{ states: Record<string, number>; collected: number }> }>(
        (await cli(['status', 'noacct', '--json'])).stdout,
      );
      expect(st.sites[0]).toMatchObject({ states: { ENDED: 1 }, collected: 1 });
    });

    it('deploy puts a runnable fedbench on a site, and jobs there use it', async () => {
      const d = await cli(['deploy', 'beta-deployed', '--json']);
      expect(d.code, d.stderr).toBe(0);
      const o = json<{ dest: string; version: string }>(d.stdout);
      expect(o.dest).toBe(path.join(env.sites.beta.dir, 'work/fedbench'));
      expect(o.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(
        (
          await cli([
            'submit',
            '--suite',
            suite('tiny', [32], QUICK),
            '--sites',
            'beta-deployed',
            '--campaign',
            'deployed',
          ])
        ).code,
      ).toBe(0);
      const j = await journalOf('deployed');
      expect(readFileSync(j.sites['beta-deployed']!.jobs[0]!.script, 'utf8')).toContain(
        `fedbench=(node ${o.dest}/dist/cli/main.js)`,
      );
      const c = await cli(['collect', 'deployed', '--wait', '--interval', '1', '--timeout', '90']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const { records } = await readRecords(resultsOf('deployed'));
      expect(records.map((r) => r.status)).toEqual(['ok']);
    });

    it('FAILED, TIMEOUT and CANCELLED jobs still give one record per case, with the reason', async () => {
      const c = await cli(['collect', 'failures', '--wait', '--interval', '2', '--timeout', '200', '--json']);
      expect(c.code, c.stderr).toBe(0);
      const { records } = await readRecords(resultsOf('failures'));
      const by = (site: string, n: number): RunRecord =>
        records.find((r) => r.site === site && r.benchmark.params['n'] === n)!;
      expect(records).toHaveLength(4);
      for (const n of [32, 33]) {
        const f = by('alpha-broken', n);
        expect(f.status).toBe('failed');
        expect(f.error).toMatch(
          /ended FAILED \(job script failed, exit code 1:0.*Cannot find module '\/nonexistent\/fedbench\/main\.js'/s,
        );
        expect(f.slurm).toMatchObject({ state: 'FAILED', exitCode: '1:0' });
      }
      expect(by('beta-short', 32)).toMatchObject({ status: 'timeout', slurm: { state: 'TIMEOUT' } });
      expect(by('beta-short', 32).error).toMatch(/ended TIMEOUT \(time limit reached/);
      // Slurm's SIGTERM at the time limit reached fedbench, which said in the job log which case it cut short
      expect(by('beta-short', 32).error).toMatch(
        /fedbench: SIGTERM during gemm\/onnxruntime:cpu\/n=32\S*: 0 record\(s\) kept/,
      );
      expect(by('beta-short', 33)).toMatchObject({ status: 'cancelled', slurm: { state: 'CANCELLED' } });
      expect(by('beta-short', 33).error).toMatch(/ended CANCELLED \(cancelled/);
    }, 240_000);
  },
);
