// The federation test environment (slurm/testenv/up.sh): two Slurm sites in network namespaces, each with
// its own sshd, plus a loopback sshd. Brought up by the tests that need it, torn down by PID after them.
// Outside CI a machine without the packages skips these tests, saying why; with CI=true that is a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TESTENV_DIR = process.env.FEDBENCH_TESTENV ?? '/tmp/fedbench-testenv';

export interface SiteEnv {
  address: string;
  dir: string;
  profile: string;
  slurmConf: string;
  pmCounters: string;
  /** The certificate-only sshd's log (its "Accepted" lines count connections). */
  certSshdLog: string;
  sshdPid: number;
}

export interface TestEnv {
  run: string;
  key: string;
  knownHosts: string;
  loopback: { host: string; port: number; slurmConf: string };
  /** Certificate-only sshds (port 2022 on each site): the CAs' private keys, a user key with its certificate, known_hosts with the host CA. */
  cert: { port: number; userCa: string; hostCa: string; key: string; knownHosts: string };
  sites: { alpha: SiteEnv; beta: SiteEnv };
}

/** Why the environment cannot come up here, or null. */
export function missingPrerequisite(): string | null {
  if (process.getuid?.() !== 0) return 'the federation tests need root (network namespaces, daemons)';
  for (const b of [
    '/usr/sbin/slurmctld',
    '/usr/sbin/slurmd',
    '/usr/sbin/slurmdbd',
    '/usr/sbin/munged',
    '/usr/sbin/mariadbd',
    '/usr/sbin/sshd',
    '/usr/bin/sbatch',
  ]) {
    if (!existsSync(b)) return `${b} is not installed: run 'bash test/setup.sh'`;
  }
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) return "no built CLI (dist/cli/main.js): run 'npm run build'";
  return null;
}

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export function up(): TestEnv {
  execFileSync('bash', [path.join(ROOT, 'slurm/testenv/up.sh')], {
    env: { ...process.env, FEDBENCH_TESTENV: TESTENV_DIR },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  return JSON.parse(readFileSync(path.join(TESTENV_DIR, 'env.json'), 'utf8')) as TestEnv;
}

export function down(): void {
  execFileSync('bash', [path.join(ROOT, 'slurm/testenv/down.sh')], {
    env: { ...process.env, FEDBENCH_TESTENV: TESTENV_DIR },
    stdio: 'ignore',
    timeout: 60_000,
  });
}

/** PIDs of the per-connection processes an sshd listener has forked (its children). */
export function sshdSessions(listenerPid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === listenerPid) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}
