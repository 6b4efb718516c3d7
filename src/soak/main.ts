// npm run soak -- --campaigns N --seed S: the chaos soak on the Slurm test sites (brought up here, torn down after).
// Prints the faults injected by kind, the recoveries, each invariant's result and the time; exits 1 on any
// violation, naming the seed that replays it. Every fault and every fedbench command is in the log file.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { closeMasters, FAULT_KINDS } from './faults.js';
import { soak } from './soak.js';
import { downTestenv, upTestenv } from './testenv.js';

const program = new Command('soak')
  .description('chaos soak of the federation on the Slurm test sites (slurm/testenv/up.sh); needs root')
  .option('--campaigns <n>', 'campaigns to run', (v) => positive(v, '--campaigns'), 3)
  .option('--seed <s>', 'the seed of every random choice (default: from the clock, printed)', (v) =>
    positive(v, '--seed'),
  )
  .option('--work <dir>', 'folder for journals, results, database and log (default: a new one under the temp folder)')
  .option('--testenv <dir>', 'where the test sites run (default: $FEDBENCH_TESTENV or /tmp/fedbench-testenv)')
  .option(
    '--recovery-seconds <s>',
    "how long one campaign's recovery may take",
    (v) => positive(v, '--recovery-seconds'),
    240,
  )
  .option('--keep', 'leave the test sites running afterwards')
  .option('--json', 'print the outcome as JSON (faults, recoveries, campaigns, invariants with their violations)');

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new Error(`${flag} wants a whole number ≥ 1, not '${v}'`);
  return n;
}

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{
    campaigns: number;
    seed?: number;
    work?: string;
    testenv?: string;
    recoverySeconds: number;
    keep?: boolean;
    json?: boolean;
  }>();
  if (process.getuid?.() !== 0) {
    process.stderr.write('soak: needs root (the test sites run in network namespaces)\n');
    return 2;
  }
  const seed = opts.seed ?? (Date.now() % 1_000_000) + 1;
  const work = path.resolve(opts.work ?? mkdtempSync(path.join(tmpdir(), 'fedbench-soak-')));
  const run = path.resolve(opts.testenv ?? process.env.FEDBENCH_TESTENV ?? '/tmp/fedbench-testenv');
  const logFile = path.join(work, 'soak.log');
  mkdirSync(path.join(work, 'results'), { recursive: true });
  // collect writes to a small file system of its own, which the disk-full fault fills
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'fedbench-soak', path.join(work, 'results')]);
  const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  process.stderr.write(`soak: seed ${seed}, ${opts.campaigns} campaign(s); log ${logFile}\n`);
  log(`seed ${seed}, ${opts.campaigns} campaign(s)`);
  // fedbench's OpenSSH master connections (site alpha) are the soak's own, closed at its end
  const masters = path.join(work, 'cm');
  process.env.FEDBENCH_SSH_DIR = masters;
  const env = upTestenv(run);
  try {
    const o = await soak({ campaigns: opts.campaigns, seed, env, work, log, recoverySeconds: opts.recoverySeconds });
    const bad = o.invariants.flatMap((i) => i.violations);
    const replay = `npm run soak -- --campaigns ${opts.campaigns} --seed ${seed}`;
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ seed, log: logFile, ...o, ...(bad.length ? { replay } : {}) }, null, 2)}\n`,
      );
      return bad.length ? 1 : 0;
    }
    const rows: string[][] = [['fault', 'injected', 'missed']];
    for (const k of FAULT_KINDS) rows.push([k, String(o.faults[k].injected), String(o.faults[k].missed)]);
    rows.push(['', '', '']);
    rows.push(['recovery run', 'times', '']);
    for (const [k, n] of Object.entries(o.recoveries)) rows.push([`fedbench ${k}`, String(n), '']);
    rows.push(['', '', '']);
    rows.push(['invariant', 'result', '']);
    for (const inv of o.invariants)
      rows.push([inv.name, inv.violations.length ? `${inv.violations.length} violation(s)` : 'holds', '']);
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows)
      process.stdout.write(
        `${r
          .map((x, c) => x.padEnd(w[c]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    const cases = o.campaigns.reduce((n, c) => n + c.cases, 0);
    const records = o.campaigns.reduce((n, c) => n + c.records, 0);
    const cancelled = o.campaigns.filter((c) => c.cancelled).length;
    process.stdout.write(
      `${o.campaigns.length} campaign(s) (${cancelled} cancelled), ${cases} planned case(s), ${records} record(s) at home; ${o.seconds.toFixed(0)} s, seed ${seed}\n`,
    );
    for (const v of bad) process.stdout.write(`violation: ${v.invariant}: campaign ${v.campaign}: ${v.detail}\n`);
    if (bad.length) {
      process.stdout.write(`soak failed: replay with  ${replay}  (log ${logFile})\n`);
      return 1;
    }
    return 0;
  } finally {
    closeMasters(masters);
    if (!opts.keep) {
      downTestenv(run);
      try {
        // the records at home live on the soak's tmpfs: kept in results.kept/ for a look after the run
        cpSync(path.join(work, 'results'), path.join(work, 'results.kept'), { recursive: true });
        execFileSync('umount', [path.join(work, 'results')]);
      } catch {
        /* still in use: left mounted */
      }
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
