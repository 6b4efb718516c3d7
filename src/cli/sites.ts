// fedbench sites: list the profiles; check each one for real (connect with the host key verified, the
// partition and its GPUs as Slurm reports them, MaxArraySize, the working directory, fedbench itself).
import { Command } from 'commander';
import { InputError, errorText } from '../errors.js';
import Table from 'cli-table3';
import { checkSite, SitePool } from '../federation/index.js';
import { describeCertificate, OpenSshExecutor, printable } from '../remote/index.js';
import { executorFor, loadSite, loadSites, loginOf, siteNames, sitesDir, type Site } from '../sites/index.js';

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
        const checks = await Promise.all(sites.map((site) => checkSite(site, pool)));
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
