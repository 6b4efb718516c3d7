// The fault injector: each fault kind breaks one thing a site or fedbench meets in a year of nightly campaigns, and
// puts it back (`restore`), so the recovery that follows is fedbench's own. What it did is logged line by line.
import { closeSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import {
  alive,
  childrenOf,
  daemonPid,
  type Env,
  type SiteName,
  siteDaemons,
  sleep,
  slurm,
  sshPort,
  slurmdbd,
  sshdSessions,
  startDaemon,
  stopDaemon,
  until,
} from './testenv.js';

export const FAULT_KINDS = [
  'kill-submit',
  'kill-after-sbatch',
  'kill-status',
  'kill-collect',
  'kill-cancel',
  'ssh-cut',
  'sshd-restart',
  'slurmctld-restart',
  'slurmdbd-stop',
  'node-down',
  'node-drain',
  'requeue',
  'corrupt-record',
  'disk-full',
  'cert-expired',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Cuts every SSH connection of a site (its sshd's session processes), as a dropped link would. */
export function cutSsh(env: Env, site: SiteName): number {
  const pid = daemonPid(env, siteDaemons(env, site).sshd.name);
  if (!alive(pid)) return 0;
  const sessions = sshdSessions(pid!);
  for (const s of sessions) {
    try {
      process.kill(s, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return sessions.length;
}

/**
 * Whether a fedbench command has reached one of these sites since this was called: its sshd accepted a new connection,
 * or the command runs an ssh client (OpenSSH through a master connection kept from an earlier command).
 */
export function connectedSince(env: Env, sites: readonly SiteName[]): (child?: ChildProcess) => boolean {
  const listener = (site: SiteName) => daemonPid(env, siteDaemons(env, site).sshd.name);
  const before = new Set(sites.flatMap((s) => sshdSessions(listener(s) ?? -1)));
  return (child) =>
    (child?.pid !== undefined && childrenOf(child.pid).length > 0) ||
    sites.some((s) => sshdSessions(listener(s) ?? -1).some((p) => !before.has(p)));
}

/** Once a connection to the site has opened (`connected`), waits `delayMs` and cuts every connection: how many. */
export async function cutSshOnceConnected(
  env: Env,
  site: SiteName,
  connected: () => boolean,
  delayMs: number,
  withinMs = 60_000,
): Promise<number> {
  if (!(await until(connected, withinMs, 50))) return 0;
  await sleep(delayMs);
  return connected() ? cutSsh(env, site) : 0; // the command may have ended meanwhile: the next one's are not cut
}

/** The site's sshd dies with every connection, and comes back after `downMs`. */
export async function restartSshd(env: Env, site: SiteName, downMs: number): Promise<void> {
  const d = siteDaemons(env, site).sshd;
  const pid = daemonPid(env, d.name);
  const sessions = alive(pid) ? sshdSessions(pid!) : [];
  await stopDaemon(env, d.name);
  for (const s of sessions) {
    try {
      process.kill(s, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await sleep(downMs);
  startDaemon(env, d.name, d.argv);
  await until(() => tcpOpen(env.sites[site].address, sshPort(env, site)), 10_000, 100);
}

async function tcpOpen(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 });
    const end = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => end(true));
    s.once('error', () => end(false));
    s.once('timeout', () => end(false));
  });
}

/** slurmctld stops and is started again (it recovers its jobs from its state folder). */
export async function restartSlurmctld(env: Env, site: SiteName, downMs: number): Promise<void> {
  const d = siteDaemons(env, site).slurmctld;
  // stopped as for a failover (its state saved): a SIGKILL seconds after `scontrol requeue` lost the requeue, and the
  // restarted controller showed the task RUNNING on a node that ran nothing, until its time limit (Slurm 22.05)
  await stopDaemon(env, d.name, 'SIGTERM');
  await sleep(downMs);
  startDaemon(env, d.name, d.argv);
  await until(async () => (await slurm(env, site, ['sinfo', '-h', '-o', '%T'], 10_000)).code === 0, 30_000, 300);
  // Slurm 22.05 here: a slurmctld restarted with ended jobs in its state never frees the GPUs of the jobs that run
  // after it (the node's AllocTRES keeps them, jobs wait for Resources on an idle node) until the nodes register
  // again; the site's administrator's `scontrol reconfigure` does that
  await slurm(env, site, ['scontrol', 'reconfigure']);
}

export async function stopSlurmdbd(env: Env): Promise<void> {
  await stopDaemon(env, slurmdbd(env).name);
}

export async function startSlurmdbd(env: Env): Promise<void> {
  const d = slurmdbd(env);
  if (alive(daemonPid(env, d.name))) return;
  startDaemon(env, d.name, d.argv, d.env);
  await until(() => tcpOpen('127.0.0.1', 6819), 20_000, 200);
}

/** Tasks of jobs named `prefix…` at a site, with their state and node (squeue). */
export async function siteTasks(
  env: Env,
  site: SiteName,
  prefix: string,
  states = 'all',
): Promise<Array<{ id: string; name: string; state: string; node: string }>> {
  const r = await slurm(env, site, ['squeue', '-h', '-r', `--states=${states}`, '-o', '%i|%j|%T|%N']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id = '', name = '', state = '', node = ''] = l.split('|');
      return { id, name, state, node };
    })
    .filter((t) => t.name.startsWith(prefix));
}

export async function setNode(env: Env, site: SiteName, node: string, state: 'down' | 'drain' | 'resume') {
  const args = ['scontrol', 'update', `nodename=${node}`, `state=${state}`];
  if (state !== 'resume') args.push('reason=fedbench soak');
  return slurm(env, site, args);
}

export async function requeue(env: Env, site: SiteName, task: string) {
  return slurm(env, site, ['scontrol', 'requeue', task]);
}

/** How long after a requeue a held task may be released without slurmd refusing its credential. */
export const CREDENTIAL_REVOKE_SETTLE_MS = 2500;

/**
 * Tasks of jobs named `prefix…` that Slurm holds back after a requeue (reason BeginTime: about two minutes) start now,
 * as a site's administrator may do: a short soak then needs no idle waits. What runs and when is still Slurm's.
 */
export async function releaseRequeued(env: Env, prefix: string): Promise<number> {
  const held: Array<{ site: SiteName; id: string }> = [];
  for (const site of ['alpha', 'beta'] as const) {
    const r = await slurm(env, site, ['squeue', '-h', '-r', '--states=PENDING', '-o', '%i|%j|%r']);
    for (const l of r.stdout.split('\n')) {
      const [id = '', name = '', reason = ''] = l.trim().split('|');
      if (name.startsWith(prefix) && reason === 'BeginTime') held.push({ site, id });
    }
  }
  if (!held.length) return 0;
  // slurmd refuses a job whose credential is no newer (in whole seconds) than the one it revoked at the requeue
  // ("Job credential revoked": the task fails at once); Slurm's own hold exists for that, so a release waits that out
  await new Promise((r) => setTimeout(r, CREDENTIAL_REVOKE_SETTLE_MS));
  let released = 0;
  for (const { site, id } of held)
    if ((await slurm(env, site, ['scontrol', 'update', `jobid=${id}`, 'starttime=now'])).code === 0) released++;
  return released;
}

/**
 * A node back in service after a fault. Slurm 22.05 here leaves a node that was DOWN "not responding" (idle*, given no
 * work) until its slurmd registers again, up to a ping interval later; `scontrol reconfigure` has it register now.
 */
export async function resumeNode(env: Env, site: SiteName, node: string): Promise<void> {
  await setNode(env, site, node, 'resume');
  await slurm(env, site, ['scontrol', 'reconfigure']);
}

/** Every node of both sites back in service (a fault's node left down must not starve later campaigns). */
export async function resumeAllNodes(env: Env): Promise<void> {
  for (const site of ['alpha', 'beta'] as const) {
    const r = await slurm(env, site, ['sinfo', '-h', '-N', '-t', 'down,drain,drng,drained,no_respond', '-o', '%N']);
    const nodes = new Set(r.stdout.split('\n').filter(Boolean));
    for (const n of nodes) await setNode(env, site, n, 'resume');
    if (nodes.size) await slurm(env, site, ['scontrol', 'reconfigure']);
  }
}

/** A record file on the site, cut to half its length (a job's write that went wrong, a disk error). */
export function corruptRecordFile(dir: string): string | null {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return null;
  }
  const f = files[0];
  if (!f) return null;
  const file = path.join(dir, f);
  truncateSync(file, Math.floor(statSync(file).size / 2));
  return file;
}

/** Fills the file system holding `dir` until it has no space left; the filler's path, to free it. */
export function fillDisk(dir: string): string {
  const filler = path.join(dir, '.soak-filler');
  const fd = openSync(filler, 'w');
  const chunks = [1 << 20, 1 << 12, 1];
  try {
    for (const size of chunks) {
      const buf = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

export function freeDisk(filler: string): void {
  rmSync(filler, { force: true });
}

/**
 * The soak user's key and its certificate from the test user CA (`validity` as ssh-keygen's -V: `-5m:+2h` a fresh
 * one, `-2h:-1h` one that has expired): a renewal, or the certificate running out mid-campaign.
 */
export function signCertificate(env: Env, key: string, validity: string): void {
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    env.cert.userCa,
    '-I',
    'fedbench-soak',
    '-n',
    'root',
    '-V',
    validity,
    `${key}.pub`,
  ]);
}

/** A new key pair for the soak's user, with a fresh certificate. */
export function userKey(env: Env, key: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fedbench-soak', '-f', key]);
  signCertificate(env, key, '-5m:+2h');
  return key;
}

/** Closes the OpenSSH master connections fedbench keeps in `dir` (ControlPersist), through their sockets. */
export function closeMasters(dir: string): void {
  let socks: string[];
  try {
    socks = readdirSync(dir);
  } catch {
    return;
  }
  for (const s of socks)
    try {
      execFileSync('ssh', ['-o', `ControlPath=${path.join(dir, s)}`, '-O', 'exit', 'fedbench-soak'], {
        stdio: 'ignore',
        timeout: 10_000,
      });
    } catch {
      /* not a live master */
    }
}
