// The chaos soak (issue 23): N small campaigns on the Slurm test sites while a fault injector, driven by one seed,
// kills fedbench in every phase, cuts SSH, restarts daemons, takes nodes away, requeues jobs, corrupts a record on a
// site and fills the disk collect writes to. Then fedbench is run again as a user would (submit to resume, status,
// collect) until every campaign has ended, and the invariants are checked. Same seed, same faults at the same steps.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { openDb } from '../db/index.js';
import {
  collectCampaign,
  journalSites,
  readJournal,
  saveJournal,
  SitePool,
  type Journal,
} from '../federation/index.js';
import { prng } from '../random.js';
import {
  connectedSince,
  corruptRecordFile,
  cutSsh,
  cutSshOnceConnected,
  FAULT_KINDS,
  type FaultKind,
  fillDisk,
  freeDisk,
  signCertificate,
  userKey,
  releaseRequeued,
  requeue,
  restartSlurmctld,
  restartSshd,
  resumeAllNodes,
  resumeNode,
  setNode,
  siteTasks,
  startSlurmdbd,
  stopSlurmdbd,
} from './faults.js';
import {
  checkDatabase,
  checkEndedOnce,
  checkNoneLostOrDoubled,
  checkRecollect,
  homeRecords,
  type Violation,
} from './invariants.js';
import { type Env, fedbench, type Ran, type SiteName, sleep, slurm, until, VIA_CERTIFICATE } from './testenv.js';

export interface SoakOptions {
  campaigns: number;
  seed: number;
  env: Env;
  /** The soak's folder: sites/, campaigns/, results/ (a small tmpfs), db/. */
  work: string;
  log: (line: string) => void;
  /** How long the recovery of one campaign may take. */
  recoverySeconds?: number;
}

export interface SoakOutcome {
  faults: Record<FaultKind, { injected: number; missed: number }>;
  recoveries: { submit: number; status: number; collect: number; cancel: number };
  campaigns: Array<{ name: string; cases: number; records: number; cancelled: boolean; seconds: number }>;
  invariants: Array<{ name: string; violations: Violation[] }>;
  seconds: number;
}

export const INVARIANTS = [
  'every case ended once',
  'no record lost',
  'no record doubled',
  'database = records on disk',
  'no job left at a site',
  'report = clean re-collect',
  'no corrupt file at home',
] as const;

/** Suites of users' programs (`workload: command`): short naps, a failing case and one skipped for a missing program. */
const SUITES = {
  'soak-nap': {
    name: 'soak-nap',
    stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 },
    benchmarks: [
      {
        id: 'nap',
        workload: 'command',
        params: { s: [8, 12, 16] },
        command: ['sh', '-c', 'sleep {s}; echo "rate: {s}"'],
        metric: { name: 'rate', unit: 'items/s', direction: 'higher', regex: 'rate: ([0-9.]+)' },
        warmup: 0,
        timeout: 60,
      },
    ],
  },
  'soak-mixed': {
    name: 'soak-mixed',
    stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 60 },
    benchmarks: [
      {
        id: 'nap',
        workload: 'command',
        params: { s: [12] },
        command: ['sh', '-c', 'sleep {s}; echo "rate: {s}"'],
        metric: { name: 'rate', unit: 'items/s', direction: 'higher', regex: 'rate: ([0-9.]+)' },
        warmup: 0,
        timeout: 60,
      },
      {
        id: 'broken',
        workload: 'command',
        command: ['sh', '-c', 'sleep 1; echo "no figure here"; exit 3'],
        metric: { name: 'rate', unit: 'items/s', direction: 'higher', regex: 'rate: ([0-9.]+)' },
        warmup: 0,
        timeout: 60,
      },
      {
        id: 'absent',
        workload: 'command',
        command: ['fedbench-soak-no-such-program'],
        requires: { program: 'fedbench-soak-no-such-program' },
        metric: { name: 'rate', unit: 'items/s', direction: 'higher', regex: 'rate: ([0-9.]+)' },
        warmup: 0,
        timeout: 60,
      },
    ],
  },
} as const;

/** Each fault kind dealt to the campaigns from a seeded shuffle, so a short soak still meets every kind. */
export function dealFaults(campaigns: number, seed: number): FaultKind[][] {
  const rand = prng(seed);
  const per = Math.max(4, Math.ceil(FAULT_KINDS.length / campaigns));
  const out: FaultKind[][] = [];
  let deck: FaultKind[] = [];
  for (let i = 0; i < campaigns; i++) {
    const hand = new Set<FaultKind>();
    while (hand.size < Math.min(per, FAULT_KINDS.length)) {
      if (!deck.length) deck = shuffle([...FAULT_KINDS], rand);
      hand.add(deck.pop()!);
    }
    out.push([...hand]);
  }
  return out;
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [xs[i], xs[k]] = [xs[k]!, xs[i]!];
  }
  return xs;
}

export async function soak(o: SoakOptions): Promise<SoakOutcome> {
  const t0 = Date.now();
  const rand = prng(o.seed ^ 0x5eed);
  const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, { injected: 0, missed: 0 }])) as SoakOutcome['faults'];
  const recoveries: SoakOutcome['recoveries'] = { submit: 0, status: 0, collect: 0, cancel: 0 };
  const hit = (kind: FaultKind, what: string) => {
    faults[kind].injected++;
    o.log(`fault ${kind}: ${what}`);
  };
  const missed = (kind: FaultKind, why: string) => {
    faults[kind].missed++;
    o.log(`fault ${kind} missed: ${why}`);
  };
  const work = o.work;
  mkdirSync(path.join(work, 'sites'), { recursive: true });
  mkdirSync(path.join(work, 'suites'), { recursive: true });
  mkdirSync(path.join(work, 'ssh'), { recursive: true, mode: 0o700 });
  const key = userKey(o.env, path.join(work, 'ssh', 'id_soak'));
  for (const s of ['alpha', 'beta'] as const) {
    const profile = parse(readFileSync(o.env.sites[s].profile, 'utf8')) as { ssh: Record<string, unknown> };
    if (VIA_CERTIFICATE[s])
      profile.ssh = {
        transport: 'openssh',
        host: o.env.sites[s].address,
        port: o.env.cert.port,
        user: 'root',
        identityFile: key,
        knownHosts: o.env.cert.knownHosts,
        connectTimeoutSeconds: 10,
      };
    writeFileSync(path.join(work, 'sites', `${s}.yaml`), stringify(profile));
  }
  for (const [name, suite] of Object.entries(SUITES))
    writeFileSync(path.join(work, 'suites', `${name}.yaml`), stringify(suite));
  const campaignsDir = path.join(work, 'campaigns');
  const resultsRoot = path.join(work, 'results');
  const prefix = `fb-soak${o.seed}-`;
  const run = (args: string[], opts: Parameters<typeof fedbench>[2] = {}) => fedbench(work, args, opts);
  const say = (what: string, r: Ran & { killed?: boolean }) =>
    o.log(
      `  ${what}: ${r.killed ? 'SIGKILLed' : r.signal ? `signal ${r.signal}` : `exit ${r.code}`} after ${r.ms} ms${
        r.code && !r.killed ? `: ${lastLines(r.stderr) || lastLines(r.stdout)}` : ''
      }`,
    );

  const hands = dealFaults(o.campaigns, o.seed);
  const done: SoakOutcome['campaigns'] = [];
  const slurmdbdBack: Array<Promise<void>> = [];
  for (let i = 0; i < o.campaigns; i++) {
    const c0 = Date.now();
    const hand = hands[i]!;
    const has = (k: FaultKind) => hand.includes(k);
    const name = `soak${o.seed}-${i}`;
    let sites: SiteName[] = rand() < 0.75 ? ['alpha', 'beta'] : [pick(['alpha', 'beta'] as const)];
    if (has('cert-expired') && !sites.includes('alpha')) sites = ['alpha', ...sites]; // alpha is reached by certificate
    const suite = pick(Object.keys(SUITES));
    const eachNode = rand() < 0.3;
    const perTask = rand() < 0.4 ? 2 : 1;
    const cancel = has('kill-cancel') || rand() < 0.1;
    const submitArgs = [
      'submit',
      ...['--suite', path.join(work, 'suites', `${suite}.yaml`), '--sites', sites.join(',')],
      ...['--campaign', name, '--cases-per-task', String(perTask), '--out', path.join(resultsRoot, name)],
      ...(eachNode ? ['--each-node'] : []),
    ];
    /**
     * SIGKILLs `fedbench args` a random time (up to `maxMs`) after it first reached a site; where the command ended
     * first, tries again sooner (a quarter of that, then at once), so a quick command does not leave the kind out.
     */
    const killWhileRunning = async (kind: FaultKind, args: string[], maxMs: number, what: string) => {
      const took: number[] = [];
      for (const limit of [maxMs, Math.round(maxMs / 4), 0]) {
        const at = between(0, limit);
        const r = await run(args, { killAfterMs: at, armed: connectedSince(o.env, sites) });
        say(`${what} (SIGKILL ${at} ms after it connected)`, r);
        if (r.killed) return hit(kind, `${what} of ${name} killed ${at} ms after it connected`);
        took.push(r.ms);
      }
      missed(kind, `${what} ended before its kill each time (${took.join(', ')} ms)`);
    };
    o.log(
      `campaign ${name}: suite ${suite} at ${sites.join(', ')}${eachNode ? ', node sweep' : ''}, ${perTask} case(s) per task${cancel ? ', to be cancelled' : ''}; faults ${hand.join(', ')}`,
    );

    // ---- submit, killed at a random moment and right after sbatch answered
    if (has('kill-after-sbatch')) {
      const r = await run(submitArgs, { env: { FEDBENCH_FAULT: 'after-sbatch' } });
      say('submit (dies after sbatch)', r);
      r.signal === 'SIGKILL'
        ? hit('kill-after-sbatch', `submit of ${name} killed between sbatch and the journal`)
        : missed('kill-after-sbatch', 'submit did not reach sbatch');
    }
    // a kill or a cut lands a random time after the command first reached a site (planning, upload, sbatch…)
    if (has('kill-submit')) {
      await killWhileRunning('kill-submit', submitArgs, 4000, 'submit');
    }
    if (has('ssh-cut') && rand() < 0.5) {
      const at = between(0, 3000);
      const site = pick(sites);
      let cut = 0;
      const connected = connectedSince(o.env, [site]);
      const r = await run(submitArgs, {
        during: (child) =>
          void cutSshOnceConnected(o.env, site, () => child.exitCode === null && connected(child), at).then(
            (n) => (cut = n),
          ),
      });
      say(`submit (SSH to ${site} cut ${at} ms after it connected)`, r);
      cut
        ? hit('ssh-cut', `${cut} connection(s) to ${site} cut during submit of ${name}`)
        : missed('ssh-cut', 'no connection open');
    }
    for (let t = 0; t < 6; t++) {
      recoveries.submit++;
      const r = await run(submitArgs);
      say('submit', r);
      if (r.code === 0) break;
      await sleep(2000);
    }

    // ---- while the jobs run
    const mine = async (state: string) => {
      const out: Array<{ id: string; name: string; state: string; node: string; site: SiteName }> = [];
      for (const site of sites)
        for (const t of await siteTasks(o.env, site, `fb-${name}-`)) if (t.state === state) out.push({ ...t, site });
      return out;
    };
    // a task of the campaign running now; none once every task has ended (or after 45 s)
    const running = async () => {
      let t: Awaited<ReturnType<typeof mine>>[number] | undefined;
      await until(
        async () => {
          t = (await mine('RUNNING'))[0];
          if (t !== undefined || (await mine('PENDING')).length === 0) return true;
          // a task an earlier fault requeued (node down, requeue) would sit out Slurm's two-minute hold
          const released = await releaseRequeued(o.env, `fb-${name}-`);
          if (released) o.log(`  ${released} requeued task(s) of ${name} released from their begin-time delay`);
          return false;
        },
        45_000,
        300,
      );
      return t;
    };
    await running();
    const nodeFault = async (kind: 'node-down' | 'node-drain') => {
      const t = await running();
      if (!t) return missed(kind, 'no task running');
      await setNode(o.env, t.site, t.node, kind === 'node-down' ? 'down' : 'drain');
      hit(kind, `${t.site} node ${t.node} set ${kind.slice(5)} while ${t.id} ran on it`);
      await sleep(between(1000, 4000));
      await resumeNode(o.env, t.site, t.node);
    };
    // those that need a running task first (the campaign's tasks last seconds), then the rest, each in seeded order
    const needTask: FaultKind[] = ['node-down', 'node-drain', 'requeue'];
    const others: FaultKind[] = ['kill-status', 'sshd-restart', 'slurmctld-restart', 'slurmdbd-stop', 'cert-expired'];
    const runningFaults = [
      ...shuffle(
        hand.filter((k) => needTask.includes(k)),
        rand,
      ),
      ...shuffle(
        hand.filter((k) => others.includes(k)),
        rand,
      ),
    ];
    for (const kind of runningFaults) {
      if (kind === 'kill-status') {
        await killWhileRunning(kind, ['status', name, '--json'], 1500, 'status');
      } else if (kind === 'sshd-restart') {
        const site = pick(sites);
        const at = between(100, 800);
        const status = run(['status', name]);
        await sleep(at);
        await restartSshd(o.env, site, between(300, 2500));
        hit(kind, `${site}'s sshd killed with its connections ${at} ms into a status, started again`);
        say('status (its sshd restarted)', await status);
      } else if (kind === 'slurmctld-restart') {
        const site = pick(sites);
        await restartSlurmctld(o.env, site, between(500, 3000));
        hit(kind, `${site}'s slurmctld stopped and started again`);
      } else if (kind === 'slurmdbd-stop') {
        await stopSlurmdbd(o.env);
        const downMs = between(4000, 15000);
        hit(kind, `slurmdbd stopped for ${downMs} ms`);
        slurmdbdBack.push(sleep(downMs).then(() => startSlurmdbd(o.env)));
      } else if (kind === 'node-down' || kind === 'node-drain') {
        await nodeFault(kind);
      } else if (kind === 'cert-expired') {
        // the certificate runs out; the link drops, so the next command must log in again with it
        signCertificate(o.env, key, '-2h:-1h');
        const cut = cutSsh(o.env, 'alpha');
        const r = await run(['status', name]);
        say('status (certificate expired)', r);
        o.log(
          `  what it said: ${`${r.stderr}\n${r.stdout}`
            .replace(/[─│┌┐└┘├┤┬┴┼]+/g, ' ')
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 600)}`,
        );
        hit(
          kind,
          `alpha's certificate expired (${cut} connection(s) dropped); status ${r.code === 0 ? 'succeeded' : `failed: ${lastLines(r.stderr) || lastLines(r.stdout)}`}; renewed`,
        );
        await sleep(between(500, 3000));
        signCertificate(o.env, key, '-5m:+2h');
      } else if (kind === 'requeue') {
        const t = await running();
        if (!t) missed(kind, 'no task running');
        else {
          const r = await requeue(o.env, t.site, t.id);
          r.code === 0 ? hit(kind, `${t.site} ${t.id} requeued while running`) : missed(kind, lastLines(r.stderr));
        }
      }
      await sleep(between(0, 1500));
    }
    // a requeued task waits about two minutes before it may start again: released now, as the recovery does
    const requeued = await releaseRequeued(o.env, `fb-${name}-`);
    if (requeued) o.log(`  ${requeued} requeued task(s) of ${name} released from their begin-time delay`);
    let cancelDone = !cancel;
    if (cancel) {
      if (has('kill-cancel')) {
        await killWhileRunning('kill-cancel', ['cancel', name], 1500, 'cancel');
      }
      const r = await run(['cancel', name]);
      say('cancel', r);
      cancelDone = r.code === 0;
    }

    // ---- collect: a record corrupted on the site first, the disk full, collect killed, SSH cut under it
    if (has('corrupt-record')) {
      const j = readJournal(campaignsDir, name);
      let file: string | null = null;
      await until(
        async () => {
          const ended = await siteStatesLocal(o.env, j);
          for (const [site, key] of ended) {
            const entry = j.sites[site]!;
            if (entry.progress[key]?.done) continue;
            file = corruptRecordFile(path.join(entry.remoteDir!, 'records', key));
            if (file) return true;
          }
          return false;
        },
        60_000,
        500,
      );
      file
        ? hit('corrupt-record', `${file} cut to half its length before collect`)
        : missed('corrupt-record', 'no ended task with a record');
    }
    if (has('disk-full')) {
      const filler = fillDisk(resultsRoot);
      const r = await run(['collect', name, '--json']);
      say('collect (disk full)', r);
      freeDisk(filler);
      hit(
        'disk-full',
        `the results file system filled during a collect of ${name} (${r.code === 0 ? 'it had nothing to write' : 'it failed'})`,
      );
    }
    if (has('kill-collect')) {
      await until(async () => (await mine('RUNNING')).length + (await mine('PENDING')).length === 0, 60_000, 500);
      await killWhileRunning('kill-collect', ['collect', name], 3000, 'collect');
    }
    // until one cut has landed (a cut during submit may have found no connection open): a collect that ended before
    // its cut is run again with a shorter delay (a quarter, then at once after it connects), as the kill faults do
    if (has('ssh-cut') && faults['ssh-cut'].injected === 0) {
      const site = pick(sites);
      let cut = 0;
      for (const limit of [2000, 500, 0]) {
        const at = between(0, limit);
        const connected = connectedSince(o.env, [site]);
        const r = await run(['collect', name], {
          during: (child) =>
            void cutSshOnceConnected(o.env, site, () => child.exitCode === null && connected(child), at).then(
              (n) => (cut = n),
            ),
        });
        say(`collect (SSH to ${site} cut ${at} ms after it connected)`, r);
        if (cut) break;
      }
      cut
        ? hit('ssh-cut', `${cut} connection(s) to ${site} cut during collect of ${name}`)
        : missed('ssh-cut', 'no connection open');
    }

    // ---- recovery, as a user would: resume submit where a site was not reached, collect until every task ended
    await Promise.all(slurmdbdBack.splice(0));
    await resumeAllNodes(o.env);
    const released = await releaseRequeued(o.env, `fb-${name}-`);
    if (released) o.log(`  ${released} requeued task(s) of ${name} released from their begin-time delay`);
    const deadline = Date.now() + (o.recoverySeconds ?? 240) * 1000;
    let complete = false;
    while (!complete && Date.now() < deadline) {
      const j = readJournal(campaignsDir, name);
      const unsent = Object.values(j.sites).some(
        (e) => !e.cancelled && (!e.jobs.length || e.jobs.some((x) => !x.jobId)),
      );
      if (unsent || Object.keys(j.sites).length < sites.length) {
        recoveries.submit++;
        say('submit (resume)', await run(submitArgs));
      }
      if (!cancelDone) {
        // the cancel failed (a site did not answer): the user cancels again
        recoveries.cancel++;
        const c = await run(['cancel', name]);
        say('cancel (again)', c);
        cancelDone = c.code === 0;
      }
      recoveries.status++;
      say('status', await run(['status', name]));
      recoveries.collect++;
      const r = await run(['collect', name, '--json']);
      say('collect', r);
      try {
        complete = JSON.parse(r.stdout).complete === true;
      } catch {
        complete = false;
      }
      if (!complete) await sleep(2000);
    }
    if (!complete) o.log(`campaign ${name}: not complete after the recovery's ${o.recoverySeconds ?? 240} s`);
    const j = readJournal(campaignsDir, name);
    done.push({
      name,
      cases: j.cases.length,
      records: 0,
      cancelled: Object.values(j.sites).some((e) => e.cancelled),
      seconds: (Date.now() - c0) / 1000,
    });
  }

  // ---- invariants
  const violations: Violation[] = [];
  const db = await openDb({ kind: 'embedded', dir: path.join(work, 'db') });
  const pool = new SitePool();
  try {
    for (const c of done) {
      const j = readJournal(campaignsDir, c.name);
      const records = homeRecords(j, violations);
      c.records = records.size;
      checkEndedOnce(j, records, violations);
      checkNoneLostOrDoubled(j, records, violations);
      checkDatabase(j, records, await db.records({ campaign: [j.name] }), violations);
      const clean = await recollect(j, path.join(work, 'recollect'), pool);
      checkRecollect(j, records, homeRecords(clean, violations), violations);
    }
  } finally {
    await db.close();
    await pool.close();
  }
  for (const site of ['alpha', 'beta'] as const)
    for (const t of await siteTasks(o.env, site, prefix))
      if (
        ![
          'COMPLETED',
          'FAILED',
          'CANCELLED',
          'TIMEOUT',
          'NODE_FAIL',
          'OUT_OF_MEMORY',
          'PREEMPTED',
          'BOOT_FAIL',
          'DEADLINE',
        ].includes(t.state)
      )
        violations.push({
          invariant: 'no job left at a site',
          campaign: t.name,
          detail: `${site} ${t.id} is ${t.state}`,
        });
  return {
    faults,
    recoveries,
    campaigns: done,
    invariants: INVARIANTS.map((name) => ({ name, violations: violations.filter((v) => v.invariant === name) })),
    seconds: (Date.now() - t0) / 1000,
  };
}

/** The campaign's jobs collected again from nothing: the same journal without collect's progress, into a new folder. */
async function recollect(j: Journal, root: string, pool: SitePool): Promise<Journal> {
  const dir = path.join(root, 'campaigns');
  const clean: Journal = structuredClone(j);
  clean.resultsDir = path.join(root, 'results', j.name);
  for (const entry of Object.values(clean.sites))
    entry.progress = Object.fromEntries(Object.entries(entry.progress).filter(([k]) => k.startsWith('unsubmitted-')));
  await saveJournal(dir, clean);
  await collectCampaign({ journal: clean, campaignsDir: dir, sites: journalSites(clean), pool });
  return clean;
}

/** Tasks of the campaign that have ended, as [site, key], asking each site's squeue (no fedbench involved). */
async function siteStatesLocal(env: Env, j: Journal): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const [site, entry] of Object.entries(j.sites)) {
    const ids = entry.jobs.map((x) => x.jobId).filter(Boolean);
    if (!ids.length) continue;
    const r = await slurm(env, site as SiteName, [
      'squeue',
      '-h',
      '-r',
      '--states=all',
      '-j',
      ids.join(','),
      '-o',
      '%i|%T',
    ]);
    for (const l of r.stdout.split('\n').filter(Boolean)) {
      const [key = '', state = ''] = l.split('|');
      if (state === 'COMPLETED') out.push([site, key]);
    }
  }
  return out;
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-2).join(' | ').slice(0, 300);
}
