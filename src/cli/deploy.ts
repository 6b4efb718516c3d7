// fedbench deploy SITE: a runnable fedbench on the site (WORKDIR/fedbench unless --dest), checked to start.
import { Command } from 'commander';
import { deploy, SitePool } from '../federation/index.js';
import { loadSite } from '../sites/index.js';

export function deployCommand(): Command {
  return new Command('deploy')
    .description(
      "copy this fedbench (built, with its production dependencies) to a site's working directory over SSH and check that it starts",
    )
    .argument('<site>', 'site name or profile file')
    .option(
      '--dest <dir>',
      'where on the site (default: WORKDIR/fedbench, which jobs use when the profile sets no fedbench.command)',
    )
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { dest?: string; sitesDir?: string; json?: boolean }) => {
      const site = loadSite(name, opts.sitesDir);
      const pool = new SitePool();
      try {
        const o = await deploy(site, pool.get(site), {
          ...(opts.dest ? { dest: opts.dest } : {}),
          log: (s) => void (opts.json ? undefined : process.stderr.write(`${s}\n`)),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
        else {
          process.stdout.write(
            `${site.name}: fedbench ${o.version} in ${o.dest} (${(o.bytes / 1e6).toFixed(0)} MB in ${o.seconds.toFixed(1)} s)\n`,
          );
          if (!site.fedbench.command && !opts.dest)
            process.stdout.write(`jobs at ${site.name} will start it as: ${o.command.join(' ')}\n`);
          else
            process.stdout.write(
              `to use it, set in ${site.file}:  fedbench: { command: [${o.command.map((c) => JSON.stringify(c)).join(', ')}] }\n`,
            );
        }
      } finally {
        await pool.close();
      }
    });
}
