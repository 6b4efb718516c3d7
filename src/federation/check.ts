// A site checked for real: connect (host key verified), the partition and its GPUs as Slurm reports them,
// MaxArraySize, the working directory, fedbench itself. `fedbench sites check` prints it; `fedbench serve` shows it.
import { CommandError, OpenSshExecutor, printable, validity, type AuthInfo } from '../remote/index.js';
import { resolveWorkdir, type Site } from '../sites/index.js';
import { schedulerOf } from '../scheduler/index.js';
import { errorText } from '../errors.js';
import { duration } from '../format.js';
import { failureReason } from './failure-reason.js';
import type { SitePool } from './pool.js';
import { startCommand } from './submit.js';

export interface SiteCheck {
  site: string;
  where: string;
  ok: boolean;
  connectMs: number | null;
  partition: { name: string; state: string; nodes: number; gres: string } | null;
  maxArraySize: number | null;
  workdir: string | null;
  fedbench: string | null;
  /** How the connection authenticated (openssh transport): the key or certificate, its principals and validity. */
  auth: AuthInfo | null;
  problems: string[];
  /** Worth knowing, not a failure (a certificate that ends before a job could). */
  warnings: string[];
}

/** A warning when the certificate that logged in ends before `seconds` from now (a job of the site's time limit). */
export function certificateWarning(site: Site, auth: AuthInfo | null, seconds: number, what: string): string | null {
  const c = auth?.certificate;
  if (!c) return null;
  const v = validity(c);
  if (v.state !== 'valid' || v.secondsLeft === null || v.secondsLeft >= seconds) return null;
  return `the certificate ${c.source} expires at ${c.validTo} (in ${duration(v.secondsLeft)}), before ${what} (${duration(seconds)}) would end: renew it first, or later status/collect will need a new certificate and \`fedbench sites login ${site.name}\``;
}

/** Checks one site through the pool's connection; every problem is collected, none thrown. */
export async function checkSite(site: Site, pool: SitePool): Promise<SiteCheck> {
  const ex = pool.get(site);
  const c: SiteCheck = {
    site: site.name,
    where: ex.where,
    ok: false,
    connectMs: null,
    partition: null,
    maxArraySize: null,
    workdir: null,
    fedbench: null,
    auth: null,
    problems: [],
    warnings: [],
  };
  try {
    const t0 = performance.now();
    const kind = schedulerOf(site);
    const commands = kind.on(ex);
    // Slurm not answering (sinfo failed) is one problem: the working directory and fedbench are still worth checking.
    const partitions = await commands
      .partitions()
      .catch((err: unknown) => (err instanceof CommandError ? err : Promise.reject(err)));
    c.connectMs = Math.round(performance.now() - t0);
    if (ex instanceof OpenSshExecutor) {
      c.auth = await ex.auth();
      const w = certificateWarning(
        site,
        c.auth,
        kind.timeLimitSeconds(site.scheduler.timeLimit),
        `a job of the site's time limit ${site.scheduler.timeLimit}`,
      );
      if (w) c.warnings.push(w);
    }
    const p =
      partitions instanceof CommandError ? undefined : partitions.find((x) => x.name === site.scheduler.partition);
    if (partitions instanceof CommandError) c.problems.push(printable(partitions.message));
    else if (!p)
      c.problems.push(
        `partition '${site.scheduler.partition}' not found; the site has: ${partitions.map((x) => `${x.name}${x.isDefault ? '*' : ''}`).join(', ') || 'none'}`,
      );
    else {
      c.partition = { name: site.scheduler.partition, state: p.state, nodes: p.nodes, gres: p.gres };
      c.problems.push(...kind.partitionProblems(site, p));
    }
    c.maxArraySize = (await commands.config()).maxArraySize;
    const workdir = await resolveWorkdir(ex, site);
    const w = await ex.exec(['sh', '-c', 'mkdir -p -- "$1" && test -w "$1"', 'check', workdir], {
      readOnly: true,
    });
    if (w.code === 0) c.workdir = workdir;
    else c.problems.push(`working directory ${workdir} cannot be created or written: ${w.stderr.trim()}`);
    const v = await ex.exec([...startCommand(site, workdir), '--version'], { readOnly: true, env: site.env });
    c.fedbench = v.code === 0 ? v.stdout.trim() : null;
    if (v.code !== 0)
      c.problems.push(
        `fedbench does not start on the login node (${printable(failureReason(v.stderr || v.stdout))}): run 'fedbench deploy ${site.name}' or set fedbench.command in ${site.file}`,
      );
  } catch (err) {
    c.problems.push(printable(errorText(err)));
  }
  c.ok = c.problems.length === 0;
  return c;
}
