// fedbench collect: download, validate and file every ended task's records; a case whose job died gets a
// record saying why. Safe to interrupt and to run again.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import {
  campaignsDir,
  collectCampaign,
  journalSites,
  latestCampaign,
  lockCampaign,
  readJournal,
  SitePool,
  type CollectOutcome,
} from '../federation/index.js';
import { readRecords } from '../results/index.js';
import { feedDb } from './db-feed.js';
import { intOption } from './options.js';

export function collectCommand(): Command {
  return new Command('collect')
    .description("bring a campaign's records home (sacct state, elapsed and energy joined); idempotent and resumable")
    .argument('[campaign]', 'campaign name (default: the newest)')
    .option('--wait', 'keep collecting until every task has ended and been collected')
    .option('--interval <s>', 'seconds between rounds with --wait', intOption, 10)
    .option('--timeout <s>', 'give up waiting after this many seconds', intOption, 24 * 3600)
    .option('--campaigns-dir <dir>', 'folder of campaign journals (default: $FEDBENCH_CAMPAIGNS or ./campaigns)')
    .option('--json', 'print the outcome as JSON')
    .option(
      '--db <url|dir>',
      'also add the records to this results database (default: $FEDBENCH_DB, else the embedded one)',
    )
    .option('--no-db', 'do not add the records to the results database (also: FEDBENCH_DB=off)')
    .action(
      async (
        name: string | undefined,
        opts: {
          wait?: boolean;
          interval: number;
          timeout: number;
          campaignsDir?: string;
          json?: boolean;
          db?: string | false;
        },
      ) => {
        const dir = campaignsDir(opts.campaignsDir);
        const campaign = name ?? latestCampaign(dir);
        const unlock = lockCampaign(dir, campaign);
        const pool = new SitePool();
        const log = (s: string) => void (opts.json ? undefined : process.stderr.write(`${s}\n`));
        const total: CollectOutcome = {
          landed: 0,
          synthesized: 0,
          quarantined: [],
          pending: {},
          errors: [],
          nodeFigures: [],
          complete: false,
        };
        try {
          const j = readJournal(dir, campaign);
          const sites = journalSites(j);
          const deadline = Date.now() + opts.timeout * 1000;
          for (;;) {
            const o = await collectCampaign({ journal: j, campaignsDir: dir, sites, pool, log });
            total.landed += o.landed;
            total.synthesized += o.synthesized;
            total.quarantined.push(...o.quarantined);
            total.nodeFigures.push(...o.nodeFigures);
            total.pending = o.pending;
            total.errors = o.errors;
            total.complete = o.complete;
            if (o.complete || !opts.wait || Date.now() > deadline || o.errors.length) break;
            await new Promise((r) => setTimeout(r, opts.interval * 1000));
          }
          if (opts.json)
            process.stdout.write(
              JSON.stringify({ campaign, resultsDir: j.resultsDir, ...total, connections: pool.stats() }, null, 2) +
                '\n',
            );
          else {
            for (const q of total.quarantined)
              process.stdout.write(`rejected ${q.site} ${q.task}/${q.file}: ${q.reason}\n`);
            for (const f of total.nodeFigures)
              process.stdout.write(
                f.figure === null
                  ? `node ${f.site}/${f.node} ${f.case}: no node figure: ${f.problem}\n`
                  : `node ${f.site}/${f.node} ${f.case}: ${f.figure.toPrecision(4)} ${f.unit} (${f.figureName}) over ${f.workers} GPU worker(s)\n`,
              );
            const pending = Object.entries(total.pending)
              .map(([s, n]) => `${s} ${n}`)
              .join(', ');
            process.stdout.write(
              `campaign ${campaign}: ${total.landed} record(s) collected, ${total.synthesized} for cases that did not run, ${total.quarantined.length} rejected; ${total.complete ? 'complete' : `still running: ${pending || 'see errors'}`}\nrecords in ${j.resultsDir}\n`,
            );
          }
          for (const e of total.errors) process.stderr.write(`fedbench: ${e.message}\n`);
          // Every record of the campaign so far (collected now or before): the database keeps each once.
          if (opts.db !== false && existsSync(j.resultsDir)) {
            const { records } = await readRecords(j.resultsDir);
            await feedDb(records, j.resultsDir, opts.db, (l) => process.stderr.write(`fedbench: ${l}\n`), true);
          }
          if (total.errors.length || total.quarantined.length || (opts.wait && !total.complete)) process.exitCode = 1;
        } finally {
          await pool.close();
          unlock();
        }
      },
    );
}
