// Site profiles: slurm/sites/NAME.yaml (or a path), validated with file:line:col messages before anything connects.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, unknownName } from '../errors.js';
import { LocalExecutor, OpenSshExecutor, resolveHome, SshExecutor, type Executor } from '../remote/index.js';
import { loadYamlAs } from '../yaml.js';
import { siteFacts, type SiteFacts } from './facts.js';
import { isScriptPath, SCRIPT_PATH_RULE, siteSchema, type SiteProfile } from './schema.js';

export const BUILTIN_SITES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../slurm/sites');

export interface Site extends SiteProfile {
  /** The profile file it came from (for messages). */
  file: string;
}

/** `--sites-dir`, else $FEDBENCH_SITES, else the repository's slurm/sites. */
export function sitesDir(dir?: string): string {
  return path.resolve(dir ?? process.env.FEDBENCH_SITES ?? BUILTIN_SITES_DIR);
}

export function siteNames(dir?: string): string[] {
  const d = sitesDir(dir);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function parseSite(text: string, file: string): Site {
  return { ...loadYamlAs(text, file, siteSchema).data, file };
}

/** A site by name (DIR/NAME.yaml) or by path. */
export function loadSite(nameOrFile: string, dir?: string): Site {
  const isPath = /[/\\]|\.ya?ml$/.test(nameOrFile);
  const file = isPath ? path.resolve(nameOrFile) : path.join(sitesDir(dir), `${nameOrFile}.yaml`);
  if (!existsSync(file)) {
    if (isPath) throw new InputError(`site profile not found: ${file}`);
    throw unknownName('site', nameOrFile, siteNames(dir));
  }
  const site = parseSite(readFileSync(file, 'utf8'), file);
  if (!isPath && site.name !== nameOrFile)
    throw new InputError(`${file}: name '${site.name}' does not match the file name '${nameOrFile}'`);
  return site;
}

/** `a,b` or repeated names; duplicates are an error. */
export function loadSites(names: readonly string[], dir?: string): Site[] {
  const list = names
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  if (!list.length) throw new InputError(`no site given. Sites: ${siteNames(dir).join(', ') || '(none)'}`);
  const sites = list.map((n) => loadSite(n, dir));
  const seen = new Set<string>();
  for (const s of sites) {
    if (seen.has(s.name)) throw new InputError(`site '${s.name}' is given twice`);
    seen.add(s.name);
  }
  return sites;
}

/** `~/x` on this machine. */
export function localPath(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p;
}

/** The profile's workdir on the site, `~/` resolved: the schema's rule checked again, since a home may hold any character. */
export async function resolveWorkdir(ex: Executor, site: Site): Promise<string> {
  const dir = (await resolveHome(ex, site.workdir)).replace(/\/+$/, '') || '/';
  if (!isScriptPath(dir))
    throw new InputError(`workdir '${site.workdir}' (${site.file}) is '${dir}' on the site, not ${SCRIPT_PATH_RULE}`);
  return dir;
}

/** The executor for a site: SSH (ssh2 or the system's OpenSSH) when the profile has an endpoint, else this machine. */
export function executorFor(site: Site): Executor {
  if (!site.ssh) return new LocalExecutor({ env: site.env });
  const s = site.ssh;
  const retry = { attempts: s.retries, firstDelayMs: 300, maxDelayMs: 5000 };
  const timeouts = {
    connectTimeoutSeconds: s.connectTimeoutSeconds,
    commandTimeoutSeconds: s.commandTimeoutSeconds,
    keepaliveSeconds: s.keepaliveSeconds,
  };
  if (s.transport === 'openssh')
    return new OpenSshExecutor({
      site: site.name,
      host: s.host,
      ...(s.port !== undefined ? { port: s.port } : {}),
      ...(s.user !== undefined ? { user: s.user } : {}),
      ...(s.identityFile ? { identityFile: localPath(s.identityFile) } : {}),
      ...(s.certificateFile ? { certificateFile: localPath(s.certificateFile) } : {}),
      ...(s.configFile ? { configFile: localPath(s.configFile) } : {}),
      ...(s.jump.length ? { jump: s.jump } : {}),
      agent: s.agent,
      knownHosts: localPath(s.knownHosts),
      persistMinutes: s.persistMinutes,
      ...timeouts,
      retry,
    });
  // the schema requires a user with ssh2
  const user = s.user!;
  return new SshExecutor({
    jump: s.jump.map((j) => ({ host: j.host, port: j.port, user: j.user ?? user })),
    host: s.host,
    port: s.port ?? 22,
    user,
    ...(s.identityFile ? { identityFile: localPath(s.identityFile) } : {}),
    agent: s.agent,
    knownHosts: localPath(s.knownHosts),
    ...timeouts,
    retry,
  });
}

/** Where a site is reached, for tables: `user@host:port via gateways (transport)`. */
export function loginOf(site: Site): string {
  const s = site.ssh;
  if (!s) return 'local';
  const ssh2 = s.transport === 'ssh2';
  const end = (h: { host: string; port?: number; user?: string }) =>
    `${h.user ? `${h.user}@` : ''}${h.host}${h.port !== undefined ? `:${h.port}` : ssh2 ? ':22' : ''}`;
  const via = s.jump.length ? ` via ${s.jump.map((j) => end({ ...j, user: j.user ?? s.user })).join(', ')}` : '';
  return `${end(s)}${via}${ssh2 ? '' : ' (openssh)'}`;
}

/** Facts of every profile in a folder, by site name (for `report --sites-dir`). */
/** Every profile's facts; with `skip`, an invalid profile is handed to it (its name and why) and left out. */
export function allSiteFacts(dir?: string, skip?: (name: string, err: unknown) => void): Record<string, SiteFacts> {
  const out: Record<string, SiteFacts> = {};
  for (const n of siteNames(dir))
    try {
      out[n] = siteFacts(loadSite(n, dir));
    } catch (err) {
      if (!skip || !(err instanceof InputError)) throw err;
      skip(n, err);
    }
  return out;
}
