// The Slurm test sites (slurm/testenv/up.sh) as the soak drives them: bring them up and down, run fedbench as a
// user would (a child process that can be SIGKILLed), and reach each site's daemons to break them. The fault
// injector is the one place outside src/slurm/ that spells Slurm commands: it plays the site's administrator.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/cli/main.js');
export const SITES = ['alpha', 'beta'] as const;
export type SiteName = (typeof SITES)[number];

export interface Env {
  run: string;
  sites: Record<SiteName, { address: string; dir: string; profile: string; slurmConf: string }>;
  /** The certificate-only sshds (port 2022): the user CA that signs the soak's certificate, known_hosts with the host CA. */
  cert: { port: number; userCa: string; knownHosts: string };
}

/**
 * How the soak's user reaches each site: alpha through its certificate-only sshd with OpenSSH (a short-lived user
 * certificate, a master connection kept between commands), beta through its plain sshd with ssh2 (a key).
 */
export const VIA_CERTIFICATE: Record<SiteName, boolean> = { alpha: true, beta: false };

export function sshPort(env: Env, site: SiteName): number {
  return VIA_CERTIFICATE[site] ? env.cert.port : 22;
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          ms: Date.now() - t0,
        });
      },
    );
  });
}

export function upTestenv(run: string): Env {
  const r = spawnSyncBash(path.join(REPO, 'slurm/testenv/up.sh'), run);
  if (r !== 0) throw new Error(`slurm/testenv/up.sh failed (exit ${r}); its logs are in ${run}`);
  return JSON.parse(readFileSync(path.join(run, 'env.json'), 'utf8')) as Env;
}

export function downTestenv(run: string): void {
  spawnSyncBash(path.join(REPO, 'slurm/testenv/down.sh'), run);
}

function spawnSyncBash(script: string, run: string): number | null {
  // synchronous on purpose: nothing else of the soak may run while the sites come up or go
  return spawnSync('bash', [script], {
    env: { ...process.env, FEDBENCH_TESTENV: run },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  }).status;
}

/** A Slurm command at a site, from this host (the client reaches the site's controller over its veth). */
export function slurm(env: Env, site: SiteName, argv: string[], timeoutMs = 30_000): Promise<Ran> {
  return sh(argv[0]!, argv.slice(1), { ...process.env, SLURM_CONF: env.sites[site].slurmConf }, timeoutMs);
}

/**
 * fedbench as a user runs it, in `work`; `killAfterMs`: SIGKILL it then (the fault), counted from the moment `armed`
 * first holds (polled), so that the kill lands in the command's work rather than in Node's start-up.
 */
export function fedbench(
  work: string,
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    killAfterMs?: number;
    armed?: (child: ChildProcess) => boolean;
    timeoutMs?: number;
    during?: (child: ChildProcess) => void;
  } = {},
): Promise<Ran & { killed: boolean }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: work,
      env: {
        ...process.env,
        FEDBENCH_SITES: path.join(work, 'sites'),
        FEDBENCH_CAMPAIGNS: path.join(work, 'campaigns'),
        FEDBENCH_DB: path.join(work, 'db'),
        COLUMNS: '200',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const kill = () => {
      killed = child.exitCode === null && child.signalCode === null;
      child.kill('SIGKILL');
    };
    const timers = [setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000)];
    const killAfterMs = opts.killAfterMs;
    const poll =
      killAfterMs === undefined
        ? undefined
        : setInterval(() => {
            if (opts.armed && !opts.armed(child)) return;
            clearInterval(poll);
            timers.push(setTimeout(kill, killAfterMs));
          }, 50);
    opts.during?.(child);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, killed: killed && signal === 'SIGKILL' });
    });
  });
}

/** The PID up.sh (or the soak, after a restart) keeps for a daemon. */
export function daemonPid(env: Env, name: string): number | null {
  const f = path.join(env.run, 'pids', `${name}.pid`);
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends a daemon by its kept PID (SIGKILL: a crash; SIGTERM: a shutdown, as for a failover or an upgrade) and waits
 * until it is gone (a SIGKILL after 10 s).
 */
export async function stopDaemon(env: Env, name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const pid = daemonPid(env, name);
  if (!alive(pid)) return;
  process.kill(pid!, signal);
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  if (alive(pid)) process.kill(pid!, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
}

/** Starts a daemon in the foreground of a detached process, as up.sh does, and keeps its PID for down.sh. */
export function startDaemon(env: Env, name: string, argv: string[], extraEnv: NodeJS.ProcessEnv = {}): void {
  const out = openSync(path.join(env.run, 'pids', `${name}.out`), 'a');
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...extraEnv },
  });
  closeSync(out);
  child.unref();
  writeFileSync(path.join(env.run, 'pids', `${name}.pid`), String(child.pid));
}

export const inSite = (site: SiteName, argv: string[]) => ['nsenter', `--net=/run/netns/fb-${site}`, ...argv];

export function siteDaemons(env: Env, site: SiteName) {
  const S = env.sites[site].dir;
  return {
    // the sshd the soak's user logs in through (up.sh starts both)
    sshd: VIA_CERTIFICATE[site]
      ? {
          name: `${site}-sshd-cert`,
          argv: inSite(site, ['/usr/sbin/sshd', '-D', '-E', `${S}/sshd-cert.log`, '-f', `${S}/sshd_cert_config`]),
        }
      : { name: `${site}-sshd`, argv: inSite(site, ['/usr/sbin/sshd', '-D', '-e', '-f', `${S}/sshd_config`]) },
    slurmctld: {
      name: `${site}-slurmctld`,
      argv: inSite(site, ['/usr/sbin/slurmctld', '-D', '-f', env.sites[site].slurmConf]),
    },
  };
}

export function slurmdbd(env: Env) {
  return {
    name: 'slurmdbd',
    argv: ['/usr/sbin/slurmdbd', '-D'],
    env: { SLURM_CONF: path.join(env.run, 'dbd', 'slurm.conf') },
  };
}

/** PIDs of the per-connection processes an sshd listener has forked (its children). */
export function sshdSessions(listenerPid: number): number[] {
  return childrenOf(listenerPid);
}

/** PIDs of a process's children. */
export function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, up to `ms`; whether it did. */
export async function until(check: () => Promise<boolean> | boolean, ms: number, every = 300): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}
