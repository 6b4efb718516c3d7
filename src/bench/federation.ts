// npm run bench:federation — fedbench's own cost in a federated campaign: 2 test sites × 32 cases (GEMM n=8…39,
// short stopping rules), through the library as the CLI uses it. Reports the time fedbench spends in submit,
// status and collect next to the jobs' own run time (sacct Elapsed), and the connections opened per site.
// Needs the test sites (slurm/testenv/up.sh; brought up and torn down here if they are not running).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { collectCampaign, journalSites, PACKAGE_ROOT, siteStates, SitePool, submitCampaign } from '../federation/index.js';
import { readRecords } from '../results/index.js';
import { isTerminal } from '../slurm/index.js';
import { loadSite } from '../sites/index.js';
import { loadSuite } from '../suite/index.js';

const RUN = process.env.FEDBENCH_TESTENV ?? '/tmp/fedbench-testenv';
const CASES = 32;

async function main(): Promise<void> {
  const broughtUp = !existsSync(path.join(RUN, 'env.json'));
  if (broughtUp) execFileSync('bash', [path.join(PACKAGE_ROOT, 'slurm/testenv/up.sh')], { stdio: 'inherit', env: { ...process.env, FEDBENCH_TESTENV: RUN } });
  try {
    const work = mkdtempSync(path.join(tmpdir(), 'fedbench-bench-'));
    const suiteFile = path.join(work, 'bench32.yaml');
    writeFileSync(
      suiteFile,
      stringify({
        name: 'bench32',
        engines: ['onnxruntime:cpu'],
        stop: { warmup: { minIterations: 1, minSeconds: 0, maxSeconds: 0.2 }, minSamples: 5, minSeconds: 0.05, maxSeconds: 0.3, targetNoise: 0.2 },
        benchmarks: [{ id: 'gemm', workload: 'gemm', params: { n: Array.from({ length: CASES }, (_, i) => 8 + i), dtype: 'fp32' } }],
      }),
    );
    const suite = loadSuite(suiteFile);
    const sites = ['alpha', 'beta'].map((s) => loadSite(path.join(RUN, 'sites', `${s}.yaml`)));
    const campaignsDir = path.join(work, 'campaigns');
    const pool = new SitePool();
    const t = { submit: 0, status: 0, statusCalls: 0, collect: 0, recollect: 0 };

    const wall0 = performance.now();
    let t0 = performance.now();
    const sub = await submitCampaign({ campaign: 'bench', suite, cases: suite.cases, sites, campaignsDir, resultsDir: path.join(work, 'results'), pool });
    t.submit = performance.now() - t0;
    if (sub.errors.length) throw new Error(sub.errors.map((e) => e.message).join('\n'));
    const j = sub.journal;

    for (;;) {
      t0 = performance.now();
      const states = await Promise.all(Object.entries(j.sites).map(([s, e]) => siteStates(pool.get(sites.find((x) => x.name === s)!), e)));
      t.status += performance.now() - t0;
      t.statusCalls++;
      const ended = states.every((st, i) => {
        const e = Object.values(j.sites)[i]!;
        return e.jobs.every((job) => Array.from({ length: job.count }, (_, k) => st.tasks.get(`${job.jobId}_${k}`)).every((x) => x && isTerminal(x.state)));
      });
      if (ended) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const wallJobs = (performance.now() - wall0) / 1000;

    t0 = performance.now();
    const o = await collectCampaign({ journal: j, campaignsDir, sites: journalSites(j), pool });
    t.collect = performance.now() - t0;
    t0 = performance.now();
    await collectCampaign({ journal: j, campaignsDir, sites: journalSites(j), pool });
    t.recollect = performance.now() - t0;
    const stats = pool.stats();
    await pool.close();

    const { records } = await readRecords(path.join(work, 'results'));
    const elapsed = new Map<string, number>();
    for (const r of records) elapsed.set(`${r.site}/${r.slurm?.['jobId']}_${r.slurm?.['arrayTaskId']}`, Number(r.slurm?.['elapsed'] ?? 0));
    const jobSeconds = [...elapsed.values()].reduce((a, b) => a + b, 0);
    const sbatches = Object.values(j.sites).reduce((a, e) => a + e.jobs.length, 0);
    const own = (t.submit + t.status / t.statusCalls + t.collect) / 1000;
    const lines = [
      `fedbench federation benchmark: 2 sites × ${CASES} cases (GEMM n=8…39, onnxruntime cpu), one array task per case`,
      `records collected: ${o.landed} (expected ${2 * CASES}), synthesized ${o.synthesized}, quarantined ${o.quarantined.length}`,
      `fedbench submit:   ${(t.submit / 1000).toFixed(2)} s  (plan, ${2 * CASES} case files + ${sbatches} scripts over SFTP, ${sbatches} sbatch: arrays chunked to MaxArraySize 20)`,
      `fedbench status:   ${(t.status / t.statusCalls / 1000).toFixed(3)} s per call (sacct on both sites, ${t.statusCalls} polls)`,
      `fedbench collect:  ${(t.collect / 1000).toFixed(2)} s  (sacct, ${2 * CASES} task folders listed, ${o.landed} records downloaded, validated, written)`,
      `collect again:     ${(t.recollect / 1000).toFixed(3)} s  (nothing left to do)`,
      `fedbench's own time (submit + one status + collect): ${own.toFixed(2)} s`,
      `jobs' own run time: ${jobSeconds.toFixed(0)} s summed over ${elapsed.size} array tasks (sacct Elapsed, 1 s resolution); campaign wall time from submit to last job end: ${wallJobs.toFixed(1)} s`,
      `connections opened per site: ${Object.entries(stats).map(([s, x]) => `${s} ${x.connections} (${x.commands} commands, ${x.transfers} file transfers)`).join('; ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    writeFileSync(path.join(work, 'bench.json'), JSON.stringify({ t, jobSeconds, wallJobs, stats, landed: o.landed }, null, 2));
  } finally {
    if (broughtUp) execFileSync('bash', [path.join(PACKAGE_ROOT, 'slurm/testenv/down.sh')], { stdio: 'inherit', env: { ...process.env, FEDBENCH_TESTENV: RUN } });
  }
}

await main();
