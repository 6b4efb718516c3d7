// fedbench cancel: stops a campaign's queued and running jobs, per site or everywhere; collected records stay.
import os from 'node:os';
import { Command } from 'commander';
import {
  cancelCampaign,
  campaignsDir,
  journalSite,
  latestCampaign,
  readJournal,
  SitePool,
  printable,
} from '../federation/index.js';

export function cancelCommand(): Command {
  return new Command('cancel')
    .description("cancel a campaign's pending and running jobs (every site, or --site); records already collected stay")
    .argument('[campaign]', 'campaign name (default: the newest)')
    .option('--site <name...>', 'only at these sites')
    .option('--campaigns-dir <dir>', 'folder of campaign journals (default: $FEDBENCH_CAMPAIGNS or ./campaigns)')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, opts: { site?: string[]; campaignsDir?: string; json?: boolean }) => {
      const dir = campaignsDir(opts.campaignsDir);
      const j = readJournal(dir, name ?? latestCampaign(dir));
      const only = opts.site?.flatMap((s) => s.split(',')).filter(Boolean);
      const pool = new SitePool();
      try {
        const out = await cancelCampaign({
          journal: j,
          campaignsDir: dir,
          site: (site) => journalSite(j, site),
          pool,
          ...(only?.length ? { only } : {}),
          by: `${os.userInfo().username}@${os.hostname()}`,
          log: opts.json ? undefined : (line) => process.stderr.write(`${printable(line)}\n`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify({ campaign: j.name, ...out }, null, 2)}\n`);
        else {
          for (const s of out.sites) if (s.error) process.stderr.write(`${printable(s.error)}\n`);
          process.stdout.write(
            `campaign ${j.name}: cancelled at ${out.sites.map((s) => s.site).join(', ')}; run 'fedbench collect ${j.name} --wait' to record every case that will not run\n`,
          );
        }
        if (out.sites.some((s) => s.error)) process.exitCode = 1;
      } finally {
        await pool.close();
      }
    });
}
