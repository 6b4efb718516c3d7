// Redaction of run records for reports shared outside the computing centre, by an allow-list: each string field of
// the record is kept, replaced by a label, scanned as free text or dropped (decisions.ts). Host and node names, user
// names (and so home paths), Slurm job and array task ids, clusters, partitions, accounts, IP and MAC addresses,
// UUIDs, key fingerprints, serial numbers and the domains of the hosts become labels (`node-3`, `user-1`, `job-2`,
// `ip-1`, `gpu-uuid-4`), the same value the same label everywhere in one call. It works on the records, before
// anything is rendered, so every view of them (HTML, CSV, JSON, Markdown, `fedbench serve`'s exports) shows only
// labels. Two passes: collect the identifying values (from the fields that hold them, then by shape in every scanned
// string), then replace each occurrence of each wherever the plan reaches.
import { isIP } from 'node:net';
import type { RunRecord } from '../results/index.js';
import { SLURM_JOB_VARIABLES, slurmJob } from '../slurm/job-env.js';
import { assignLabels, LABEL_KINDS, LABEL_SHAPE, type LabelKind, lower, Replacer } from './labels.js';
import { expandHostList, findInText } from './patterns.js';
import { compileWalk, DATA, RECORD_PLAN, type TextRole } from './plan.js';

export { survivors, type Survivor } from './check.js';
export { decisionsMarkdown, ENV_DECISIONS, FIELD_DECISIONS } from './decisions.js';

export interface RedactOptions<E = undefined> {
  /** Identifying values the records may hold without showing what they are: from site profiles, the user, or data
   *  that comes with the records (the nodes of a history's older runs). */
  known?: {
    users?: readonly string[];
    hosts?: readonly string[];
    nodes?: readonly string[];
    accounts?: readonly string[];
    partitions?: readonly string[];
    values?: readonly string[];
  };
  /** Public names kept as they are, even inside other text (site names; the records' own sites always are). */
  keep?: readonly string[];
  /** More data to redact with the same labels (a report's title and sources, a history from the results
   *  database): every string in it, at any depth, is text; its keys are kept. */
  extra?: E;
}

export type RedactedKind = LabelKind | 'task';

export interface RedactionSummary {
  /** Every kind looked for, with how many distinct values were replaced (never the values themselves). */
  replaced: Array<{ kind: RedactedKind; what: string; count: number; example: string }>;
}

export interface Redacted<E = undefined> {
  records: RunRecord[];
  /** `extra`, redacted. */
  extra: E;
  summary: RedactionSummary;
  /** Every value replaced, with its label: the proof kept at the centre, never part of what is shared. */
  replaced: ReplacedValue[];
}

export interface ReplacedValue {
  kind: LabelKind;
  value: string;
  label: string;
  /** Replaced wherever it appears in text; otherwise only where a whole field holds it (a partition called `gpu`). */
  inText: boolean;
}

const WHAT: Record<RedactedKind, string> = {
  host: 'host names',
  node: 'node names',
  user: 'user names (home and scratch paths included)',
  job: 'Slurm job ids',
  task: 'Slurm array task ids (renumbered from 0 within each job)',
  ip: 'IP addresses',
  mac: 'MAC addresses',
  'gpu-uuid': 'GPU UUIDs',
  'mig-uuid': 'MIG device UUIDs',
  uuid: 'other UUIDs',
  key: 'SSH key fingerprints',
  domain: 'domains of hosts and e-mail addresses',
  cluster: 'cluster names',
  partition: 'partitions',
  serial: 'serial numbers',
  account: 'accounts',
  value: 'other values given to redact',
};
const SUMMARY_ORDER: RedactedKind[] = [
  'host',
  'node',
  'user',
  'job',
  'task',
  'ip',
  'mac',
  'gpu-uuid',
  'mig-uuid',
  'uuid',
  'key',
  'domain',
  'cluster',
  'partition',
  'serial',
  'account',
  'value',
];

/** Words a field holds when it knows nothing (`unknownSystem`'s host) or a name that says nothing of anyone. */
const SAYS_NOTHING = new Set(['unknown', 'localhost', 'none', 'null', 'undefined', 'n/a', 'na', '(null)', '?']);
/** A value that is a label's own word (`/home/user`, a node called `node`) says nothing, and is in every banner. */
const KIND_WORDS = new Set<string>(LABEL_KINDS);
/** Slurm variables holding a job id (the array task id is renumbered with its array job). */
const JOB_ENV = [SLURM_JOB_VARIABLES.jobId, SLURM_JOB_VARIABLES.arrayJobId] as const;
const SHAPE_ONLY_LABEL = /(?<![A-Za-z0-9-])(ip|mac|gpu-uuid|mig-uuid|uuid|key|domain|serial)-\d+(?![A-Za-z0-9])/g;

/** What pass one finds: each value with its kind (the earliest in LABEL_KINDS when found as several). */
class Findings {
  readonly #kinds = new Map<string, { kind: LabelKind; value: string }>();
  /** Array job id (lowered) → its task ids. */
  readonly tasks = new Map<string, Set<number>>();
  readonly nodeLists = new Map<string, string[]>();
  readonly #public: Set<string>;

  constructor(publicNames: Iterable<string>) {
    this.#public = new Set([...publicNames].map(lower));
  }

  add(kind: LabelKind, raw: string): void {
    const value = raw.trim();
    const key = lower(value);
    if (!/[A-Za-z0-9]/.test(value) || SAYS_NOTHING.has(key) || KIND_WORDS.has(key) || this.#public.has(key)) return;
    const had = this.#kinds.get(key);
    if (!had || LABEL_KINDS.indexOf(kind) < LABEL_KINDS.indexOf(had.kind)) this.#kinds.set(key, { kind, value });
  }

  /** A job, and its array task when there is one. */
  task(jobId: string | undefined, task: number | string | undefined): void {
    if (jobId === undefined) return;
    this.add('job', jobId);
    if (task === undefined || !/^\d+$/.test(String(task))) return;
    const key = lower(jobId.trim());
    const set = this.tasks.get(key) ?? new Set<number>();
    this.tasks.set(key, set.add(Number(task)));
  }

  byKind(): Map<LabelKind, string[]> {
    const out = new Map<LabelKind, string[]>();
    for (const { kind, value } of this.#kinds.values()) {
      const values = out.get(kind);
      if (values) values.push(value);
      else out.set(kind, [value]);
    }
    return out;
  }

  entries(): Iterable<{ kind: LabelKind; value: string }> {
    return this.#kinds.values();
  }
}

function collect<E>(records: readonly RunRecord[], opts: RedactOptions<E>, publicNames: Set<string>): Findings {
  const found = new Findings(publicNames);
  for (const u of opts.known?.users ?? []) found.add('user', u);
  for (const h of opts.known?.hosts ?? []) found.add('host', h);
  for (const n of opts.known?.nodes ?? []) found.add('node', n);
  for (const a of opts.known?.accounts ?? []) found.add('account', a);
  for (const p of opts.known?.partitions ?? []) found.add('partition', p);
  for (const v of opts.known?.values ?? []) found.add('value', v);
  const seen = new Set<string>();
  const scan = (s: string, role: TextRole) => {
    if (role === 'known') return s;
    if (role !== 'scan') {
      found.add(role, s);
      return s;
    }
    if (seen.has(s)) return s;
    seen.add(s);
    findInText(s, (f) => (f.kind === 'job' ? found.task(f.value, f.task) : found.add(f.kind, f.value)));
    // labels of kinds found only by their shape, met again: counted, so a second redaction reports the same
    if (s.includes('-')) for (const m of s.matchAll(SHAPE_ONLY_LABEL)) found.add(m[1] as LabelKind, m[0]);
    return s;
  };
  const visit = compileWalk(RECORD_PLAN, scan, false);
  for (const r of records) {
    found.add('host', r.system.host);
    if (r.slurm?.node) found.add('node', r.slurm.node);
    if (r.slurm?.jobId !== undefined) found.add('job', r.slurm.jobId);
    found.task(r.slurm?.jobId, r.slurm?.arrayTaskId);
    const env = r.system.env;
    const job = slurmJob(env);
    if (job.nodeName) found.add('node', job.nodeName);
    for (const k of JOB_ENV) if (env[k]) found.add('job', env[k]);
    found.task(job.arrayJobId, job.arrayTaskId);
    const list = job.nodeList;
    if (list && !found.nodeLists.has(list)) {
      const nodes = expandHostList(list);
      if (nodes) for (const n of nodes) found.add('node', n);
      else found.add('node', list); // not a list Slurm writes: the whole value is the name
      found.nodeLists.set(list, nodes ?? [list]);
    }
    for (const g of r.system.gpus)
      if (g.uuid) found.add(g.uuid.toUpperCase().startsWith('MIG-') ? 'mig-uuid' : 'gpu-uuid', g.uuid);
    if (r.energy.status === 'measured')
      for (const t of r.energy.telemetry ?? [])
        if (t.uuid) found.add(t.uuid.toUpperCase().startsWith('MIG-') ? 'mig-uuid' : 'gpu-uuid', t.uuid);
    visit(r);
  }
  compileWalk(DATA, scan, false)(opts.extra);
  // the domains of hosts and e-mail addresses (`example.lu` of `login.hpc.example.lu`): they name the centre too
  // (those that appear on their own, not only inside the host names, which get labels of their own)
  const domains = new Set<string>();
  for (const { kind, value } of [...found.entries()])
    if ((kind === 'host' || kind === 'node') && !isIP(value)) for (const d of domainsOf(value)) domains.add(lower(d));
  if (domains.size)
    for (const text of seen) {
      const low = lower(text);
      for (const d of domains)
        for (let at = low.indexOf(d); at >= 0; at = low.indexOf(d, at + 1))
          if (!/[A-Za-z0-9.-]/.test(low[at - 1] ?? '')) {
            found.add('domain', text.slice(at, at + d.length));
            domains.delete(d);
            break;
          }
    }
  return found;
}

/** A host name's parent domains of two labels or more (`hpc.example.lu`, `example.lu`). */
function domainsOf(host: string): string[] {
  const parts = host.split('.');
  const out: string[] = [];
  for (let i = 1; i <= parts.length - 2; i++)
    if (/^[A-Za-z]{2,}$/.test(parts.at(-1)!) && parts.slice(i).every((p) => /^[A-Za-z0-9-]+$/.test(p)))
      out.push(parts.slice(i).join('.'));
  return out;
}

/** Partition and cluster names are often words (`gpu`, `batch`): in text only when they cannot be one. */
const DISTINCTIVE = /[0-9_.-]|^[A-Za-z]{8,}$/;

const escapedForms = (v: string): string[] => [
  encodeURIComponent(v),
  encodeURI(v),
  JSON.stringify(v).slice(1, -1),
  v.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`),
];

/** Matched inside longer text from this length on; shorter values only where a whole string is one. */
const IN_TEXT_FROM = 3;
/** Job ids shorter than this (a test cluster's `12`) look like counts (`OMP_NUM_THREADS=12`, `12 samples`): they
 *  are replaced in the fields that hold job ids, and as `JOB_TASK`, not wherever the digits appear. */
const JOB_IN_TEXT_FROM = 5;

/**
 * Redacts records (and `opts.extra`) with one set of labels. The input is not changed. Redacting redacted records
 * changes nothing: a label met again stands for itself.
 */
export function redactRecords<E = undefined>(records: readonly RunRecord[], opts: RedactOptions<E> = {}): Redacted<E> {
  const sites = new Set<string>([...records.flatMap((r) => (r.site ? [r.site] : [])), ...(opts.keep ?? [])]);
  const found = collect(records, opts, sites);
  const aliases = shortNameAliases(found.entries());
  const labels = assignLabels(
    new Map([...found.byKind()].map(([kind, values]) => [kind, values.filter((v) => !aliases.has(lower(v)))])),
  );
  for (const [short, full] of aliases) labels.set(short, labels.get(full)!);
  const replacer = new Replacer();
  const set = (value: string, label: string, inText: boolean) => {
    replacer.set(value, label, inText);
    for (const form of escapedForms(value)) if (form !== value) replacer.set(form, label, inText);
  };
  const replaced: ReplacedValue[] = [];
  for (const { kind, value } of found.entries()) {
    const label = labels.get(lower(value))!;
    const word = (kind === 'partition' || kind === 'cluster') && !DISTINCTIVE.test(value);
    const inText = value.length >= IN_TEXT_FROM && !word && !(kind === 'job' && value.length < JOB_IN_TEXT_FROM);
    if (lower(value) !== label) replaced.push({ kind, value, label, inText });
    if (kind === 'job' && value.length < JOB_IN_TEXT_FROM) continue;
    set(value, label, inText);
    // a host's short name (`n01` of `n01.cluster.example.org`), where it is distinctive enough to stand for it
    const short = standsForShortName(kind, value);
    if (short && !replacer.has(short)) set(short, label, true);
  }
  const taskRank = new Map<string, Map<number, number>>();
  for (const [job, tasks] of found.tasks) {
    const ranks = new Map([...tasks].sort((a, b) => a - b).map((t, i) => [t, i]));
    taskRank.set(job, ranks);
    const jobLabel = labels.get(job);
    if (!jobLabel) continue; // a job id that says nothing (`unknown`) keeps its tasks' numbers too
    for (const [t, rank] of ranks) set(`${job}_${t}`, `${jobLabel}_${rank}`, true);
  }
  for (const [list, nodes] of found.nodeLists)
    set(list, nodes.map((n) => labels.get(lower(n)) ?? n).join(','), list.length >= 3);
  // public names stay whole wherever they appear; a GPU model only while it holds nothing identifying
  replacer.seal();
  const gpuNames = new Set(records.flatMap((r) => r.system.gpus.map((g) => g.name)));
  const clean = [...gpuNames].filter((n) => replacer.replace(n) === n);
  for (const name of [...sites, ...clean]) replacer.set(name, null, true);
  replacer.seal();

  const text = (s: string, role: TextRole = 'scan') => {
    if (role === 'scan' || role === 'known') return replacer.replace(s);
    const value = s.trim();
    const label = labels.get(lower(value));
    return label ? s.replace(value, () => label) : replacer.replace(s);
  };
  const redact = compileWalk(RECORD_PLAN, text, true);
  const job = (id: string) => labels.get(lower(id.trim())) ?? text(id);
  const rank = (id: string | undefined, task: number) =>
    labels.has(lower((id ?? '').trim())) ? (taskRank.get(lower((id ?? '').trim()))?.get(task) ?? task) : task;
  const out = records.map((r) => {
    const red = redact(r) as RunRecord;
    if (r.slurm && red.slurm) {
      if (r.slurm.jobId !== undefined) red.slurm.jobId = job(r.slurm.jobId);
      if (r.slurm.arrayTaskId !== undefined) red.slurm.arrayTaskId = rank(r.slurm.jobId, r.slurm.arrayTaskId);
    }
    const env = r.system.env;
    for (const k of JOB_ENV) if (env[k]) red.system.env[k] = job(env[k]);
    const { arrayJobId, arrayTaskId: task } = slurmJob(env);
    if (task && /^\d+$/.test(task))
      red.system.env[SLURM_JOB_VARIABLES.arrayTaskId] = String(rank(arrayJobId, Number(task)));
    return red;
  });
  const extra = compileWalk(DATA, text, true)(opts.extra) as E;
  return { records: out, extra, summary: summarise(labels, found.tasks), replaced };
}

/** The short name (`n01` of `n01.cluster.example.org`) of a host or node, where it is distinctive enough to stand for
 *  the machine in text. */
function standsForShortName(kind: LabelKind, value: string): string | null {
  const short = value.split('.')[0]!;
  return (kind === 'host' || kind === 'node') && short !== value && short.length >= 3 && /\d/.test(short)
    ? short
    : null;
}

/**
 * A host or node found by its short name alone (`n01` as the host, `n01.cluster.example.org` as the node) is that
 * machine: it takes the full name's label, in its own fields as in text. Lowered short name → lowered full name; a
 * short name that two full names share stays a value of its own.
 */
function shortNameAliases(found: Iterable<{ kind: LabelKind; value: string }>): Map<string, string> {
  const entries = [...found];
  const values = new Map(entries.map((e) => [lower(e.value), e.kind]));
  const fulls = new Map<string, Set<string>>();
  for (const { kind, value } of entries) {
    const short = standsForShortName(kind, value);
    if (!short) continue;
    const k = lower(short);
    const kindOfShort = values.get(k);
    if (kindOfShort !== 'host' && kindOfShort !== 'node') continue;
    fulls.set(k, (fulls.get(k) ?? new Set()).add(lower(value)));
  }
  return new Map([...fulls].filter(([, f]) => f.size === 1).map(([short, f]) => [short, [...f][0]!]));
}

function summarise(labels: ReadonlyMap<string, string>, tasks: ReadonlyMap<string, Set<number>>): RedactionSummary {
  const counts = new Map<RedactedKind, number>();
  for (const label of new Set(labels.values())) {
    const kind = LABEL_SHAPE.exec(label)?.[1] as LabelKind | undefined;
    if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  counts.set(
    'task',
    [...tasks.values()].reduce((n, t) => n + t.size, 0),
  );
  return {
    replaced: SUMMARY_ORDER.map((kind) => ({
      kind,
      what: WHAT[kind],
      count: counts.get(kind) ?? 0,
      example: kind === 'task' ? 'job-1_0' : `${kind}-1`,
    })),
  };
}
