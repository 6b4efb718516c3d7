// fedbench status: where every task of a campaign stands, per site, from squeue/sacct.
import { Command } from 'commander';
import Table from 'cli-table3';
import {
  campaignsDir,
  journalSites,
  latestCampaign,
  readJournal,
  siteStates,
  SitePool,
  summarise,
  type SiteStatus,
  printable,
} from '../federation/index.js';
import { errorText } from '../errors.js';

export function statusCommand(): Command {
  return new Command('status')
    .description("a campaign's jobs per site: pending, running, ended, collected")
    .argument('[campaign]', 'campaign name (default: the newest)')
    .option('--campaigns-dir <dir>', 'folder of campaign journals (default: $FEDBENCH_CAMPAIGNS or ./campaigns)')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, opts: { campaignsDir?: string; json?: boolean }) => {
      const dir = campaignsDir(opts.campaignsDir);
      const j = readJournal(dir, name ?? latestCampaign(dir));
      const sites = journalSites(j);
      const pool = new SitePool();
      try {
        const rows: SiteStatus[] = await Promise.all(
          // by name: the journal lists sites in the order their submissions finished
          Object.entries(j.sites)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(async ([s, entry]) => {
              try {
                const states = entry.jobs.some((x) => x.jobId)
                  ? await siteStates(sites.get(s)!, pool.get(sites.get(s)!), entry)
                  : null;
                return summarise(s, entry, states, null);
              } catch (err) {
                return summarise(s, entry, null, errorText(err));
              }
            }),
        );
        if (opts.json) process.stdout.write(`${JSON.stringify({ campaign: j.name, sites: rows }, null, 2)}\n`);
        else {
          const t = new Table({
            head: ['site', 'jobs', 'tasks', 'states', 'collected'],
            style: { head: [], border: [] },
          });
          for (const r of rows)
            t.push([
              r.site,
              r.jobs.join(', ') || '—',
              r.tasks,
              Object.entries(r.states)
                .map(([k, v]) => `${v} ${k}`)
                .join(', ') || '—',
              `${r.collected}/${r.tasks}`,
            ]);
          process.stdout.write(
            `campaign ${j.name} (suite ${j.suite.name}, ${j.cases.length} cases)\n${t.toString()}\n`,
          );
          for (const r of rows) if (r.error) process.stdout.write(`${r.site}: ${printable(r.error)}\n`);
        }
        if (rows.some((r) => r.error)) process.exitCode = 1;
      } finally {
        await pool.close();
      }
    });
}
