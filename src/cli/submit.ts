// fedbench submit: a campaign — one job array per site (chunked to MaxArraySize), journal in campaigns/.
import path from 'node:path';
import { Command } from 'commander';
import {
  campaignsDir,
  certificateWarning,
  checkCampaignName,
  SitePool,
  submitCampaign,
  schedulerOf,
} from '../federation/index.js';
import { OpenSshExecutor } from '../remote/index.js';
import { loadSites, type Site } from '../sites/index.js';
import type { Journal } from '../federation/index.js';
import { loadSuite } from '../suite/index.js';
import { intOption } from './options.js';
import { parseEngineFilter, selectCases } from './select.js';

export function submitCommand(): Command {
  return new Command('submit')
    .description(
      'submit a suite as Slurm job arrays to several sites (a campaign); records stay on the sites until `collect`',
    )
    .requiredOption('-s, --suite <name|file>', 'built-in suite name or path to a suite file')
    .requiredOption(
      '--sites <names...>',
      'site names (slurm/sites/NAME.yaml) or profile files, comma- or space-separated',
    )
    .option('-b, --bench <id...>', 'only these benchmark ids')
    .option('-e, --engine <engine...>', 'only these engines (e.g. onnxruntime:cuda)')
    .option('--campaign <name>', 'campaign name (default: SUITE-YYYYMMDD-HHMMSS); an existing one is resumed')
    .option('--cases-per-task <n>', 'cases run one after another by each array task', intOption, 1)
    .option('--each-node', 'node sweep: run the cases once on every node of the partition (one array per node)')
    .option(
      '--whole-node',
      'each case on every GPU of a node, one worker (srun task) per GPU: per-GPU and per-node figures (with --each-node: on every node)',
    )
    .option(
      '--node-pairs',
      "node-pair sweep: run the cases (each of nodes: 2) once on every pair of the partition's nodes, one job per pair: the report's node-pair view names a slow pair or node",
    )
    .option('--dry-run', 'print the job scripts; upload and submit nothing')
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .option('--campaigns-dir <dir>', 'folder of campaign journals (default: $FEDBENCH_CAMPAIGNS or ./campaigns)')
    .option('-o, --out <dir>', 'where `collect` puts records (default: results/<campaign>)')
    .option('--json', 'print the outcome as JSON')
    .action(
      async (opts: {
        suite: string;
        sites: string[];
        bench?: string[];
        engine?: string[];
        campaign?: string;
        casesPerTask: number;
        eachNode?: boolean;
        wholeNode?: boolean;
        nodePairs?: boolean;
        dryRun?: boolean;
        sitesDir?: string;
        campaignsDir?: string;
        out?: string;
        json?: boolean;
      }) => {
        const suite = loadSuite(opts.suite);
        const cases = selectCases(suite.cases, {
          ...(opts.bench ? { bench: opts.bench } : {}),
          ...(opts.engine ? { engines: opts.engine.map(parseEngineFilter) } : {}),
        });
        const sites = loadSites(opts.sites, opts.sitesDir);
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
        const campaign = checkCampaignName(opts.campaign ?? `${suite.name}-${stamp}`);
        const pool = new SitePool();
        const log = (s: string) => void (opts.json ? undefined : process.stderr.write(`${s}\n`));
        try {
          const outcome = await submitCampaign({
            campaign,
            suite,
            cases,
            sites,
            campaignsDir: campaignsDir(opts.campaignsDir),
            resultsDir: path.resolve(opts.out ?? path.join('results', campaign)),
            eachNode: Boolean(opts.eachNode),
            wholeNode: Boolean(opts.wholeNode),
            nodePairs: Boolean(opts.nodePairs),
            casesPerTask: opts.casesPerTask,
            dryRun: Boolean(opts.dryRun),
            pool,
            log,
          });
          if (opts.dryRun) {
            if (opts.json) process.stdout.write(`${JSON.stringify(outcome.scripts, null, 2)}\n`);
            else for (const s of outcome.scripts) process.stdout.write(`# ---- ${s.site}: ${s.path}\n${s.text}\n`);
          } else if (opts.json) {
            process.stdout.write(
              `${JSON.stringify(
                {
                  campaign,
                  sites: Object.fromEntries(
                    Object.entries(outcome.journal.sites).map(([k, e]) => [
                      k,
                      { jobs: e.jobs.map((x) => x.jobId), error: e.error },
                    ]),
                  ),
                  errors: outcome.errors,
                  connections: pool.stats(),
                },
                null,
                2,
              )}\n`,
            );
          } else {
            const n = Object.values(outcome.journal.sites).reduce(
              (a, e) => a + e.jobs.filter((x) => x.jobId).length,
              0,
            );
            // next steps only for jobs that exist
            if (n === 0) process.stdout.write(`campaign ${campaign}: nothing queued\n`);
            else {
              process.stdout.write(
                `campaign ${campaign}: ${cases.length} case(s) in ${outcome.journal.tasks.length} task(s), ${n} job array(s) on ${sites.length - outcome.errors.length} of ${sites.length} site(s)\n`,
              );
              process.stdout.write(`next: fedbench status ${campaign}   then   fedbench collect ${campaign} --wait\n`);
            }
          }
          if (!opts.dryRun)
            for (const w of await certificateWarnings(sites, pool, outcome.journal))
              process.stderr.write(`fedbench: warning: ${w}\n`);
          for (const e of outcome.errors) process.stderr.write(`fedbench: ${e.message}\n`);
          // a profile to fix is bad input (2); a site that failed otherwise is 1
          if (outcome.errors.length) process.exitCode = outcome.errors.some((e) => e.badInput) ? 2 : 1;
        } finally {
          await pool.close();
        }
      },
    );
}

/** Sites whose login certificate ends before the campaign could: time limit × the site's job arrays, run one after another. */
async function certificateWarnings(sites: readonly Site[], pool: SitePool, journal: Journal): Promise<string[]> {
  const out: string[] = [];
  for (const site of sites) {
    const ex = pool.get(site);
    const arrays = journal.sites[site.name]?.jobs.filter((j) => j.jobId).length ?? 0;
    if (!(ex instanceof OpenSshExecutor) || !arrays) continue;
    const auth = await ex.auth().catch(() => null);
    const w = certificateWarning(
      site,
      auth,
      schedulerOf(site).timeLimitSeconds(site.scheduler.timeLimit) * arrays,
      `the campaign's expected end (time limit ${site.scheduler.timeLimit} × ${arrays} job array(s))`,
    );
    if (w) out.push(`${site.name}: ${w}`);
  }
  return out;
}
