// npm run bench:federation — fedbench's own cost in a federated campaign: 2 test sites × 32 cases (GEMM n=8…39,
// short stopping rules), through the library as the CLI uses it, once per SSH transport in the same run: ssh2
// (plain keys, port 22) and openssh (certificate-only sshd on port 2022, one ControlMaster per site). Reports the
// time fedbench spends in submit, status and collect next to the jobs' own run time (sacct Elapsed), and the
// connections opened per site (the executors' count, and for openssh the sshd's own "Accepted" lines).
// Needs the test sites (slurm/testenv/up.sh; brought up and torn down here if they are not running).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  collectCampaign,
  journalSites,
  PACKAGE_ROOT,
  schedulerOf,
  siteStates,
  SitePool,
  submitCampaign,
} from '../federation/index.js';
import { readRecords, slurmOf } from '../results/index.js';
import { OpenSshExecutor } from '../remote/index.js';
import { executorFor, loadSite, type Site } from '../sites/index.js';
import { loadSuite } from '../suite/index.js';

const RUN = process.env.FEDBENCH_TESTENV ?? '/tmp/fedbench-testenv';
const CASES = 32;

async function main(): Promise<void> {
  const broughtUp = !existsSync(path.join(RUN, 'env.json'));
  if (broughtUp)
    execFileSync('bash', [path.join(PACKAGE_ROOT, 'slurm/testenv/up.sh')], {
      stdio: 'inherit',
      env: { ...process.env, FEDBENCH_TESTENV: RUN },
    });
  try {
    const work = mkdtempSync(path.join(tmpdir(), 'fedbench-bench-'));
    const suiteFile = path.join(work, 'bench32.yaml');
    writeFileSync(
      suiteFile,
      stringify({
        name: 'bench32',
        engines: ['onnxruntime:cpu'],
        stop: {
          warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 },
          minSamples: 5,
          minSeconds: 0.05,
          maxSeconds: 0.3,
          targetNoise: 0.2,
        },
        benchmarks: [
          {
            id: 'gemm',
            workload: 'gemm',
            params: { n: Array.from({ length: CASES }, (_, i) => 8 + i), dtype: 'fp32' },
          },
        ],
      }),
    );
    const suite = loadSuite(suiteFile);
    const plain = ['alpha', 'beta'].map((s) => loadSite(path.join(RUN, 'sites', `${s}.yaml`)));
    // the same sites through their certificate-only sshd (slurm/testenv/up.sh)
    process.env.FEDBENCH_SSH_DIR = path.join(work, 'cm');
    mkdirSync(process.env.FEDBENCH_SSH_DIR, { mode: 0o700 });
    const certified: Site[] = plain.map((s) => ({
      ...s,
      name: `${s.name}-cert`,
      ssh: {
        ...s.ssh!,
        transport: 'openssh',
        port: 2022,
        identityFile: path.join(RUN, 'ssh/id_cert'),
        knownHosts: path.join(RUN, 'ssh/known_hosts_ca'),
        persistMinutes: 10,
      },
    }));
    const accepted = () =>
      ['alpha', 'beta'].map(
        (s) => (readFileSync(path.join(RUN, s, 'sshd-cert.log'), 'utf8').match(/Accepted publickey/g) ?? []).length,
      );
    const lines = [
      `fedbench federation benchmark: 2 sites × ${CASES} cases (GEMM n=8…39, onnxruntime cpu), one array task per case, per SSH transport`,
    ];
    const results: Record<string, unknown> = {};
    for (const [transport, sites] of [
      ['ssh2', plain],
      ['openssh', certified],
    ] as const) {
      const before = accepted();
      const m = await campaign(work, transport, suite, sites);
      const after = accepted();
      if (transport === 'openssh') {
        m.lines.push(
          `sshd "Accepted" lines (connections the sites saw): ${sites.map((s, i) => `${s.name} ${after[i]! - before[i]!}`).join('; ')}`,
        );
        for (const s of sites) {
          const ex = executorFor(s);
          if (ex instanceof OpenSshExecutor) await ex.logout();
        }
      }
      lines.push('', `— ${transport} —`, ...m.lines);
      results[transport] = m.data;
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    writeFileSync(path.join(work, 'bench.json'), JSON.stringify(results, null, 2));
  } finally {
    if (broughtUp)
      execFileSync('bash', [path.join(PACKAGE_ROOT, 'slurm/testenv/down.sh')], {
        stdio: 'inherit',
        env: { ...process.env, FEDBENCH_TESTENV: RUN },
      });
  }
}

async function campaign(
  work: string,
  name: string,
  suite: ReturnType<typeof loadSuite>,
  sites: Site[],
): Promise<{ lines: string[]; data: unknown }> {
  const campaignsDir = path.join(work, `campaigns-${name}`);
  const resultsDir = path.join(work, `results-${name}`);
  const pool = new SitePool();
  const t = { submit: 0, status: 0, statusCalls: 0, collect: 0, recollect: 0 };

  const wall0 = performance.now();
  let t0 = performance.now();
  const sub = await submitCampaign({
    campaign: 'bench',
    suite,
    cases: suite.cases,
    sites,
    campaignsDir,
    resultsDir,
    pool,
  });
  t.submit = performance.now() - t0;
  if (sub.errors.length) throw new Error(sub.errors.map((e) => e.message).join('\n'));
  const j = sub.journal;

  for (;;) {
    t0 = performance.now();
    const states = await Promise.all(
      Object.entries(j.sites).map(([s, e]) => {
        const site = sites.find((x) => x.name === s)!;
        return siteStates(site, pool.get(site), e);
      }),
    );
    t.status += performance.now() - t0;
    t.statusCalls++;
    const ended = states.every((st, i) => {
      const [name, e] = Object.entries(j.sites)[i]!;
      const kind = schedulerOf(sites.find((x) => x.name === name)!);
      return e.jobs.every((job) =>
        Array.from({ length: job.count }, (_, k) => st.tasks.get(`${job.jobId}_${k}`)).every(
          (x) => x && kind.isTerminal(x.state),
        ),
      );
    });
    if (ended) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wallJobs = (performance.now() - wall0) / 1000;

  // collect with the sites as the journal names them (profiles in memory here, not on disk)
  const byName = new Map(sites.map((s) => [s.name, s]));
  const journalled = new Map([...journalSites(j)].map(([n, s]) => [n, byName.get(n) ?? s]));
  t0 = performance.now();
  const o = await collectCampaign({ journal: j, campaignsDir, sites: journalled, pool });
  t.collect = performance.now() - t0;
  t0 = performance.now();
  await collectCampaign({ journal: j, campaignsDir, sites: journalled, pool });
  t.recollect = performance.now() - t0;
  const stats = pool.stats();
  await pool.close();

  const { records } = await readRecords(resultsDir);
  const elapsed = new Map<string, number>();
  for (const r of records)
    elapsed.set(`${r.site}/${slurmOf(r).jobId}_${slurmOf(r).arrayTaskId}`, slurmOf(r).elapsed ?? 0);
  const jobSeconds = [...elapsed.values()].reduce((a, b) => a + b, 0);
  const sbatches = Object.values(j.sites).reduce((a, e) => a + e.jobs.length, 0);
  const own = (t.submit + t.status / t.statusCalls + t.collect) / 1000;
  const lines = [
    `records collected: ${o.landed} (expected ${2 * CASES}), synthesized ${o.synthesized}, quarantined ${o.quarantined.length}`,
    `fedbench submit:   ${(t.submit / 1000).toFixed(2)} s  (plan, ${2 * CASES} case files + ${sbatches} scripts, ${sbatches} sbatch: arrays chunked to MaxArraySize 20)`,
    `fedbench status:   ${(t.status / t.statusCalls / 1000).toFixed(3)} s per call (sacct on both sites, ${t.statusCalls} polls)`,
    `fedbench collect:  ${(t.collect / 1000).toFixed(2)} s  (sacct, ${2 * CASES} task folders listed, ${o.landed} records downloaded, validated, written)`,
    `collect again:     ${(t.recollect / 1000).toFixed(3)} s  (nothing left to do)`,
    `fedbench's own time (submit + one status + collect): ${own.toFixed(2)} s`,
    `jobs' own run time: ${jobSeconds.toFixed(0)} s summed over ${elapsed.size} array tasks (sacct Elapsed, 1 s resolution); campaign wall time from submit to last job end: ${wallJobs.toFixed(1)} s`,
    `connections opened per site: ${Object.entries(stats)
      .map(([s, x]) => `${s} ${x.connections} (${x.commands} commands, ${x.transfers} file transfers)`)
      .join('; ')}`,
  ];
  return { lines, data: { t, own, jobSeconds, wallJobs, stats, landed: o.landed } };
}

await main();
