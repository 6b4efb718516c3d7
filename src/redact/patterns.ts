// Identifying values found by their shape in free text (error messages, stderr tails, paths, argv): addresses,
// GPU UUIDs, serial numbers, and the user names that home and scratch paths and `user@host` give away. Values
// found here are then replaced everywhere in the records, not only where their shape gave them away.
import { isIPv4, isIPv6 } from 'node:net';

export type FoundKind = 'ip' | 'mac' | 'gpu-uuid' | 'mig-uuid' | 'uuid' | 'key' | 'serial' | 'user' | 'host' | 'job';

export interface Found {
  kind: FoundKind;
  value: string;
  /** A job's array task, where the text gives one (`JOB_TASK`). */
  task?: number;
}

const IPV4 = /(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.\d)/g;
// Candidates only: a run of hex groups and colons (an IPv4 tail allowed), checked with node:net. The look-arounds
// keep `std::vector` and `12:30:45` out; isIPv6 rejects what is not an address.
const IPV6 =
  /(?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Za-z_:])/g;
const MAC = /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])/g;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// nvidia-smi's GPU-… and MIG-… identifiers (a MIG device of an old driver is MIG-GPU-<uuid>/gi/ci: its GPU part is found)
const GPU_UUID = new RegExp(`(?<![0-9a-z])(GPU|MIG)-${UUID}(?![0-9a-z])`, 'gi');
// Any other UUID (a GPU's without its `GPU-`, a file system's, a container's): it names one thing somewhere
const BARE_UUID = new RegExp(`(?<![0-9a-z-])${UUID}(?![0-9a-z])`, 'gi');
// SSH key fingerprints as ssh prints them: SHA256:<43 base64 characters>, MD5:<16 hex pairs> or the pairs alone
// (the digest is the value: `SHA256:` stays, before its label)
const KEY_FINGERPRINT =
  /(?<=SHA256:)[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/])|(?<![0-9A-Fa-f:])(?:[0-9a-f]{2}:){15}[0-9a-f]{2}(?![0-9A-Fa-f:])/gi;
// "Serial Number : 1324…" (nvidia-smi -q), "serial=…", "\"serial\": \"…\""
const SERIAL = /serial(?:[ _-]?(?:number|no\.?))?["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9-]{3,})/gi;
// The segment after one of these is a user's folder: /home/alice, /Users/alice, C:\Users\alice, /p/home/jusers/alice,
// /leonardo/home/userexternal/alice, /scratch/alice. The look-ahead keeps /home/users/u100 findable after /home.
const USER_ROOT =
  /[\\/](?:home|users|userexternal|jusers|scratch|[a-z]+_scratch)(?=((?:[\\/]+[^\\/\s'"`:;,()<>|&$*?=]+){1,3}))/gi;
// Folders between a user root and the user: /home/users/u100123, /scratch/project_465000123/alice.
const NOT_A_USER = new Set([
  'home',
  'users',
  'userexternal',
  'jusers',
  'scratch',
  'shared',
  'public',
  'project',
  'projects',
  'large',
  'fast',
  'tmp',
  'local',
  'data',
  'default',
  'root',
]);
const PROJECT_LIKE = /^(?:project|proj|p)[_-]?\d+$/i;
const TILDE_USER = /(?<![A-Za-z0-9])~([A-Za-z_][A-Za-z0-9_.-]{0,31})(?=[\\/])/g;
// ssh's user@host (the host starting with a letter and holding a dot or a digit, so `pkg@1.2.3` and `pkg@latest`
// are not taken for logins); service accounts say nothing about a person.
const USER_AT_HOST =
  /(?<![A-Za-z0-9._%+-])([A-Za-z_][A-Za-z0-9._-]{0,31})@([A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*|(?:\d{1,3}\.){3}\d{1,3}(?![\d.]))/g;
const SERVICE_USERS = new Set(['git', 'root', 'nobody', 'admin']);
// Slurm's array task (`7734219_14`, in collect's record ids and messages) and a job named as one (`job 7734230`,
// `slurm-7734230.out`, `SLURM_JOB_ID=7734230`); five digits at least, so that counts and sizes are not taken for jobs.
const JOB_TASK = /(?<![0-9A-Za-z.])(\d{5,})_(\d+)(?![0-9])/g;
const JOB_NAMED = /(?:\bjob(?:[ _]?id)?[ =:#]+|\bslurm-|SLURM_(?:ARRAY_)?JOB_ID=)(\d{5,})(?![0-9])/gi;
/** Addresses that say nothing about a machine. */
const ANONYMOUS_IPS = new Set(['127.0.0.1', '0.0.0.0', '::1', '::', '255.255.255.255']);

/** The first folder after a user root that is neither a container (`users`, `project_465…`) nor a variable. */
function userOfPath(afterRoot: string): string | null {
  for (const segment of afterRoot.split(/[\\/]+/)) {
    if (!segment) continue;
    if (/^[.~$%{]/.test(segment)) return null; // a variable or a hidden folder: no name here
    if (NOT_A_USER.has(segment.toLowerCase()) || PROJECT_LIKE.test(segment)) continue;
    return segment;
  }
  return null;
}

/** Every identifying value whose shape shows in `text`. */
export function findInText(text: string, found: (f: Found) => void): void {
  if (text.includes('.')) {
    for (const m of text.matchAll(IPV4))
      if (isIPv4(m[0]) && !ANONYMOUS_IPS.has(m[0])) found({ kind: 'ip', value: m[0] });
  }
  if (text.includes(':')) {
    for (const m of text.matchAll(IPV6))
      if (isIPv6(m[0]) && !ANONYMOUS_IPS.has(m[0].toLowerCase())) found({ kind: 'ip', value: m[0] });
  }
  if (text.includes(':') || text.includes('-')) {
    for (const m of text.matchAll(MAC)) found({ kind: 'mac', value: m[0] });
  }
  if (text.includes('-')) {
    for (const m of text.matchAll(GPU_UUID))
      found({ kind: m[1]!.toUpperCase() === 'MIG' ? 'mig-uuid' : 'gpu-uuid', value: m[0] });
  }
  if (text.includes('-')) for (const m of text.matchAll(BARE_UUID)) found({ kind: 'uuid', value: m[0] });
  if (text.includes(':')) for (const m of text.matchAll(KEY_FINGERPRINT)) found({ kind: 'key', value: m[0] });
  if (/serial/i.test(text)) for (const m of text.matchAll(SERIAL)) found({ kind: 'serial', value: m[1]! });
  if (text.includes('/') || text.includes('\\')) {
    for (const m of text.matchAll(USER_ROOT)) {
      const user = userOfPath(m[1]!);
      if (user) found({ kind: 'user', value: user });
    }
    for (const m of text.matchAll(TILDE_USER)) found({ kind: 'user', value: m[1]! });
  }
  if (/\d{5}/.test(text)) {
    for (const m of text.matchAll(JOB_TASK)) found({ kind: 'job', value: m[1]!, task: Number(m[2]) });
    for (const m of text.matchAll(JOB_NAMED)) found({ kind: 'job', value: m[1]! });
  }
  if (text.includes('@')) {
    for (const m of text.matchAll(USER_AT_HOST)) {
      const host = m[2]!;
      if (!/[.\d]/.test(host)) continue;
      if (!SERVICE_USERS.has(m[1]!.toLowerCase())) found({ kind: 'user', value: m[1]! });
      if (!isIPv4(host)) found({ kind: 'host', value: host }); // an address is found as one above
    }
  }
}

/** Most node lists are a few hundred names; past this a list is not expanded (its names still come from elsewhere). */
const MAX_EXPANDED = 100_000;

/**
 * Slurm's compressed host list (`mel[2001-2004,2010],gpu07`) as names, zero padding kept; null when it does not
 * parse as one.
 */
export function expandHostList(list: string): string[] | null {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      items.push(list.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) return null;
  }
  if (depth !== 0) return null;
  items.push(list.slice(start));
  const names: string[] = [];
  for (const item of items) {
    const expanded = expandItem(item.trim());
    if (!expanded) return null;
    names.push(...expanded);
    if (names.length > MAX_EXPANDED) return null;
  }
  return names;
}

function expandItem(item: string): string[] | null {
  if (!item) return null;
  const open = item.indexOf('[');
  if (open < 0) return /^[A-Za-z0-9._-]+$/.test(item) ? [item] : null;
  const close = item.indexOf(']', open);
  const prefix = item.slice(0, open);
  if (close < 0 || !/^[A-Za-z0-9._-]*$/.test(prefix)) return null;
  const tail = item.slice(close + 1);
  const suffixes = tail ? expandItem(tail) : [''];
  if (!suffixes) return null;
  const out: string[] = [];
  for (const part of item.slice(open + 1, close).split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > MAX_EXPANDED) return null;
    for (let n = from; n <= to; n++)
      for (const s of suffixes) out.push(`${prefix}${String(n).padStart(m[1]!.length, '0')}${s}`);
  }
  return out;
}
