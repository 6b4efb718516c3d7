// The fault injector: each fault kind breaks one thing a site or fedbench meets in a year of nightly campaigns, and
// puts it back (`restore`), so the recovery that follows is fedbench's own. What it did is logged line by line.
import { closeSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  alive,
  daemonPid,
  type Env,
  type SiteName,
  siteDaemons,
  sleep,
  slurm,
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
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Cuts every SSH connection of a site (its sshd's session processes), as a dropped link would. */
export function cutSsh(env: Env, site: SiteName): number {
  const pid = daemonPid(env, `${site}-sshd`);
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
  await until(() => tcpOpen(env.sites[site].address, 22), 10_000, 100);
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

/** slurmctld crashes and is started again (it recovers its jobs from its state folder). */
export async function restartSlurmctld(env: Env, site: SiteName, downMs: number): Promise<void> {
  const d = siteDaemons(env, site).slurmctld;
  await stopDaemon(env, d.name);
  await sleep(downMs);
  startDaemon(env, d.name, d.argv);
  await until(async () => (await slurm(env, site, ['sinfo', '-h', '-o', '%T'], 10_000)).code === 0, 30_000, 300);
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

/** Every node of both sites back in service (a fault's node left down must not starve later campaigns). */
export async function resumeAllNodes(env: Env): Promise<void> {
  for (const site of ['alpha', 'beta'] as const) {
    const r = await slurm(env, site, ['sinfo', '-h', '-N', '-t', 'down,drain,drng,drained', '-o', '%N']);
    for (const n of new Set(r.stdout.split('\n').filter(Boolean))) await setNode(env, site, n, 'resume');
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
