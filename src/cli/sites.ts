// fedbench sites: list the profiles; check each one for real (connect with the host key verified, the
// partition and its GPUs as Slurm reports them, MaxArraySize, the working directory, fedbench itself).
import { Command } from 'commander';
import { InputError, errorText } from '../errors.js';
import Table from 'cli-table3';
import { failureReason, SitePool, startCommand } from '../federation/index.js';
import {
  CommandError,
  describeCertificate,
  OpenSshExecutor,
  printable,
  validity,
  type AuthInfo,
} from '../remote/index.js';
import {
  executorFor,
  loadSite,
  loadSites,
  loginOf,
  resolveWorkdir,
  siteNames,
  sitesDir,
  type Site,
} from '../sites/index.js';
import { scheduler, timeLimitSeconds } from '../slurm/index.js';
import { duration } from '../format.js';

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

function openSsh(site: Site): OpenSshExecutor {
  const e = executorFor(site);
  if (!(e instanceof OpenSshExecutor))
    throw new InputError(
      `site '${site.name}' uses the ${site.ssh ? 'ssh2' : 'local'} transport, which keeps no login: set 'ssh: { transport: openssh }' in ${site.file} for certificates, MFA logins and ~/.ssh/config`,
    );
  return e;
}

export function sitesCommand(): Command {
  const cmd = new Command('sites')
    .description('site profiles (slurm/sites/*.yaml): list them, or check them for real')
    .exitOverride();
  cmd
    .command('list', { isDefault: true })
    .description('the site profiles and their facts')
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .option('--json', 'machine-readable output')
    .action((opts: { sitesDir?: string; json?: boolean }) => {
      const sites = siteNames(opts.sitesDir).map((n) => {
        try {
          const s = loadSite(n, opts.sitesDir);
          return {
            site: n,
            where: loginOf(s),
            partition: s.scheduler.partition,
            gpus: `${s.facts.gpu.perNode}× ${s.facts.gpu.model}`,
            problem: null as string | null,
          };
        } catch (err) {
          return { site: n, where: '', partition: '', gpus: '', problem: errorText(err) };
        }
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(sites, null, 2)}\n`);
      const t = new Table({
        head: ['site', 'login', 'partition', 'GPUs per node', 'profile'],
        style: { head: [], border: [] },
      });
      for (const s of sites)
        t.push([s.site, s.where, s.partition, s.gpus, s.problem ? `invalid:\n${s.problem}` : 'ok']);
      process.stdout.write(`${t.toString()}\n${sites.length} profile(s) in ${sitesDir(opts.sitesDir)}\n`);
    });
  cmd
    .command('check')
    .description(
      'connect to each site (host key verified) and check partition, GPUs, MaxArraySize, working directory and fedbench; exit 1 if any fails',
    )
    .argument('[sites...]', 'site names or profile files (default: every profile)')
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .option('--json', 'machine-readable output')
    .action(async (names: string[], opts: { sitesDir?: string; json?: boolean }) => {
      const sites = loadSites(names.length ? names : siteNames(opts.sitesDir), opts.sitesDir);
      const pool = new SitePool();
      try {
        const checks = await Promise.all(
          sites.map(async (site): Promise<SiteCheck> => {
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
              const slurm = scheduler(ex);
              // Slurm not answering (sinfo failed) is one problem: the working directory and fedbench are still worth checking.
              const partitions = await slurm
                .partitions()
                .catch((err: unknown) => (err instanceof CommandError ? err : Promise.reject(err)));
              c.connectMs = Math.round(performance.now() - t0);
              if (ex instanceof OpenSshExecutor) {
                c.auth = await ex.auth();
                const w = certificateWarning(
                  site,
                  c.auth,
                  timeLimitSeconds(site.scheduler.timeLimit),
                  `a job of the site's time limit ${site.scheduler.timeLimit}`,
                );
                if (w) c.warnings.push(w);
              }
              const p =
                partitions instanceof CommandError
                  ? undefined
                  : partitions.find((x) => x.name === site.scheduler.partition);
              if (partitions instanceof CommandError) c.problems.push(printable(partitions.message));
              else if (!p)
                c.problems.push(
                  `partition '${site.scheduler.partition}' not found; the site has: ${partitions.map((x) => `${x.name}${x.isDefault ? '*' : ''}`).join(', ') || 'none'}`,
                );
              else {
                c.partition = { name: site.scheduler.partition, state: p.state, nodes: p.nodes, gres: p.gres };
                if (p.state !== 'up') c.problems.push(`partition '${site.scheduler.partition}' is ${p.state}`);
                const type = site.scheduler.gpus.type;
                if (!/gpu/.test(p.gres))
                  c.problems.push(`partition '${site.scheduler.partition}' shows no GPUs (gres: ${p.gres || 'none'})`);
                else if (type && !p.gres.includes(`gpu:${type}`))
                  c.problems.push(
                    `partition '${site.scheduler.partition}' has no GPU of type '${type}' (gres: ${p.gres})`,
                  );
              }
              c.maxArraySize = (await slurm.config()).maxArraySize;
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
          }),
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
        else {
          const t = new Table({
            head: ['site', 'login', 'connect', 'partition', 'GPUs (gres)', 'MaxArraySize', 'fedbench', 'verdict'],
            style: { head: [], border: [] },
          });
          for (const c of checks)
            t.push([
              c.site,
              c.where,
              c.connectMs === null ? '—' : `${c.connectMs} ms`,
              c.partition ? `${c.partition.name} (${c.partition.state}, ${c.partition.nodes} nodes)` : '—',
              c.partition?.gres ?? '—',
              c.maxArraySize ?? '—',
              c.fedbench ?? '—',
              c.ok ? 'OK' : 'FAIL',
            ]);
          process.stdout.write(`${t.toString()}\n`);
          for (const c of checks) {
            if (c.auth)
              process.stdout.write(
                `${c.site}: authenticated by ${c.auth.method} with ${c.auth.certificate ? `certificate ${describeCertificate(c.auth.certificate)}` : `${c.auth.keyType ?? 'key'} ${c.auth.identity ?? ''}${c.auth.fromAgent ? ' (agent)' : ''}`}\n`,
              );
            for (const w of c.warnings) process.stdout.write(`${c.site}: warning: ${w}\n`);
            for (const p of c.problems) process.stdout.write(`${c.site}: ${p}\n`);
          }
        }
        if (checks.some((c) => !c.ok)) process.exitCode = 1;
      } finally {
        await pool.close();
      }
    });
  cmd
    .command('login')
    .description(
      'open the connection to a site on this terminal (passphrase, OTP, keyboard-interactive); later commands reuse it without prompting (openssh transport)',
    )
    .argument('<site>', 'site name or profile file')
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .action(async (name: string, opts: { sitesDir?: string }) => {
      const site = loadSite(name, opts.sitesDir);
      const ex = openSsh(site);
      try {
        const opened = await ex.login();
        const auth = await ex.auth();
        const how = auth?.certificate
          ? `certificate ${describeCertificate(auth.certificate)}`
          : auth?.identity
            ? `${auth.keyType ?? 'key'} ${auth.identity}`
            : (auth?.method ?? 'ssh');
        process.stdout.write(
          `${site.name}: ${opened ? 'logged in' : 'already logged in'} (${ex.where}, ${how}); the connection stays open until ${site.ssh!.persistMinutes} min pass with nothing running through it, or \`fedbench sites logout ${site.name}\`\n`,
        );
      } catch (err) {
        process.stderr.write(`fedbench: ${printable(errorText(err))}\n`);
        process.exitCode = 1;
      }
    });
  cmd
    .command('logout')
    .description('close the connection `sites login` (or a campaign) left open to a site (openssh transport)')
    .argument('<sites...>', 'site names or profile files')
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .action(async (names: string[], opts: { sitesDir?: string }) => {
      for (const site of loadSites(names, opts.sitesDir)) {
        const closed = await openSsh(site).logout();
        process.stdout.write(`${site.name}: ${closed ? 'connection closed' : 'no open connection'}\n`);
      }
    });
  return cmd;
}
