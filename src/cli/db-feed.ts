// `run` and `collect` add the records they wrote to the results database, unless told not to (`--no-db`,
// FEDBENCH_DB=off) or inside a Slurm job (a compute node's records come home with `collect`, which adds them).
// The database is an index: failing to reach it never fails the command, it says so and how to catch up.
import { analyseSeries, analyseWith } from '../analysis/kept-regressions.js';
import { dbTarget, describeTarget, historyPoints, openDb } from '../db/index.js';
import { errorText, InputError } from '../errors.js';
import type { RunRecord } from '../results/index.js';
import { inSlurmJob } from '../slurm/job-env.js';

/** FEDBENCH_DB=off (or none, 0, false): no command writes to a database unless given --db. */
export function dbOff(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['off', 'none', '0', 'false'].includes((env.FEDBENCH_DB ?? '').toLowerCase());
}

/** The --db flag of a `db` subcommand or `history`: FEDBENCH_DB=off with no --db is a usage error there. */
export function explicitDbFlag(flag: string | undefined): string | undefined {
  if (!flag && dbOff()) throw new InputError('FEDBENCH_DB=off turns the results database off: unset it, or give --db');
  return flag;
}

export type DbFlag = string | boolean | undefined;

/**
 * Adds the records to the database chosen by --db / FEDBENCH_DB / the default, if feeding is on; with `analyse`
 * (collect: a campaign's records, a nightly's) the regressions of the series they extend are found and kept now,
 * so the next look at them answers at once (`run` leaves that to the first look).
 */
export async function feedDb(
  records: readonly RunRecord[],
  source: string,
  flag: DbFlag,
  say: (line: string) => void,
  analyse = false,
): Promise<void> {
  if (flag === false) return;
  const chosen = typeof flag === 'string' ? flag : undefined;
  if (!chosen && (dbOff() || inSlurmJob())) return;
  if (!records.length) return;
  const target = dbTarget(chosen);
  try {
    const db = await openDb(target, {
      onWait: (holder) => say(`waiting for the results database (in use by process ${holder})`),
    });
    try {
      const r = await db.ingest(records, source);
      for (const p of r.skipped) say(`not in the results database: ${p.file}: ${p.error}`);
      say(`results database: ${r.added} record(s) added, ${r.present} already there (${describeTarget(target)})`);
      if (analyse && r.added)
        await analyseSeries(db, analyseWith(historyPoints)).catch((err) =>
          say(`warning: regressions not kept (${errorText(err)}); 'fedbench regressions' finds them when asked`),
        );
    } finally {
      await db.close();
    }
  } catch (err) {
    say(
      `warning: records not added to the results database at ${describeTarget(target)}: ${errorText(err)}; ` +
        `'fedbench db import ${source}' adds them later`,
    );
  }
}
