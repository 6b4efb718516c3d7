// Sharing a report outside the centre: the records and the report's own text (title, sources, history) redacted
// with one set of labels before anything is rendered — for `fedbench report --redact` and `fedbench serve`'s export.
import type { HistorySeries } from '../analysis/index.js';
import { redactRecords, type RedactOptions } from '../redact/index.js';
import type { RunRecord } from '../results/index.js';
import { loadSite, siteNames } from '../sites/index.js';

/** What the report shows beside the records: redacted with them, with the same labels. */
export interface ReportText {
  title: string;
  sources: string[];
  history: HistorySeries[] | undefined;
}

/**
 * Records and the report's own data (title, sources, history) redacted with one set of labels. A history's older
 * runs name nodes the records may not; site profiles, when given, add what records may hold without saying what it
 * is (logins, gateways, accounts) and the sites' public names.
 */
export function redactForSharing(records: RunRecord[], text: ReportText, sitesDir?: string, also: string[] = []) {
  const hints = sitesDir ? profileHints(sitesDir) : { known: {}, keep: [] };
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

export function profileHints(dir: string): { known: NonNullable<RedactOptions['known']>; keep: string[] } {
  const users: string[] = [];
  const hosts: string[] = [];
  const accounts: string[] = [];
  const names = siteNames(dir);
  for (const name of names) {
    const site = loadSite(name, dir);
    if (site.ssh?.user) users.push(site.ssh.user);
    if (site.ssh?.host) hosts.push(site.ssh.host);
    for (const j of site.ssh?.jump ?? []) {
      hosts.push(j.host);
      if (j.user) users.push(j.user);
    }
    if (site.scheduler.account) accounts.push(site.scheduler.account);
  }
  return { known: { users, hosts, accounts }, keep: names };
}
