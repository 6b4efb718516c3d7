// Sharing a report outside the centre: the records and the report's own text (title, sources, history) redacted
// with one set of labels before anything is rendered — for `fedbench report --redact` and `fedbench serve`'s export.
// Its own folder above report/ (it reads redact/ and site profiles, which report/ never imports).
import type { HistorySeries } from '../analysis/index.js';
import path from 'node:path';
import { errorText, InputError } from '../errors.js';
import { redactRecords, type RedactOptions } from '../redact/index.js';
import type { RunRecord } from '../results/index.js';
import { loadSite, siteNames, sitesDir as resolveSitesDir } from '../sites/index.js';

/** What the report shows beside the records: redacted with them, with the same labels. */
export interface ReportText {
  title: string;
  sources: string[];
  history: HistorySeries[] | undefined;
  /** Workload ids the user asked the ranking for: typed by the user, so they may hold a user name. */
  workloads?: string[] | undefined;
}

/**
 * Records and the report's own data (title, sources, history) redacted with one set of labels. A history's older
 * runs name nodes the records may not; site profiles, when given, add what records may hold without saying what it
 * is (logins, gateways, accounts) and the sites' public names.
 */
export function redactForSharing(
  records: RunRecord[],
  text: ReportText,
  sitesDir?: string,
  also: string[] = [],
  warn: (line: string) => void = () => undefined,
) {
  const present = new Set(records.flatMap((r) => (r.site ? [r.site] : [])));
  const hints = sitesDir ? profileHints(sitesDir, present, warn) : { known: {}, keep: [] };
  const nodes = (text.history ?? []).flatMap((s) => [
    ...(s.node ? [s.node] : []),
    ...s.changes.flatMap((c) =>
      c.changed.filter((f) => f.field === 'node').flatMap((f) => [f.before ?? '', f.after ?? '']),
    ),
  ]);
  return redactRecords(records, {
    known: { ...hints.known, nodes, values: also },
    keep: hints.keep,
    extra: text,
  });
}

/**
 * What the profiles in `dir` say is identifying. An invalid profile is skipped with a warning naming its file and
 * why, unless its site is `present` in the records: then what it would have said is unknown, and redaction fails.
 */
export function profileHints(
  dir: string,
  present: ReadonlySet<string> = new Set(),
  warn: (line: string) => void = () => undefined,
): { known: NonNullable<RedactOptions['known']>; keep: string[] } {
  const users: string[] = [];
  const hosts: string[] = [];
  const accounts: string[] = [];
  const partitions: string[] = [];
  const names = siteNames(dir);
  for (const name of names) {
    let site: ReturnType<typeof loadSite>;
    try {
      site = loadSite(name, dir);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const file = path.join(resolveSitesDir(dir), `${name}.yaml`);
      if (present.has(name))
        throw new InputError(`cannot redact the records of site ${name}: its profile is invalid (${errorText(err)})`);
      warn(`warning: skipped ${file} for redaction (no record is of site ${name}): ${errorText(err)}`);
      continue;
    }
    if (site.ssh?.user) users.push(site.ssh.user);
    if (site.ssh?.host) hosts.push(site.ssh.host);
    for (const j of site.ssh?.jump ?? []) {
      hosts.push(j.host);
      if (j.user) users.push(j.user);
    }
    if (site.scheduler.account) accounts.push(site.scheduler.account);
    if (site.scheduler.partition) partitions.push(site.scheduler.partition);
  }
  return { known: { users, hosts, accounts, partitions }, keep: names };
}
