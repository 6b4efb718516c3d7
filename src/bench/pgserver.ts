// A private PostgreSQL server for the database tests and `npm run bench:db` (Debian's `postgresql` package, test/setup.sh): its own
// cluster made by initdb in a folder under /tmp, listening on a free loopback port and a socket in that folder,
// run as the `postgres` user when the tests run as root, and stopped by its PID. Outside CI a machine without
// the package skips these tests, saying why; with CI=true that is a failure.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** The folder holding initdb and postgres: $FEDBENCH_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin. */
export function postgresBin(): string | null {
  const candidates = process.env.FEDBENCH_PG_BIN
    ? [process.env.FEDBENCH_PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  return candidates.find((d) => existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'postgres'))) ?? null;
}

export function missingPostgres(): string | null {
  if (!postgresBin()) return "PostgreSQL is not installed (initdb, postgres): run 'bash test/setup.sh'";
  if (process.getuid?.() === 0 && !passwdIds('postgres'))
    return "running as root, and there is no 'postgres' user to run the server as";
  return null;
}

function passwdIds(user: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) return null;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PgServer {
  /** Connection URL of the server's `postgres` database, as superuser `fedbench` (trust on loopback). */
  url: string;
  pid: number;
  /** A fresh, empty database on the server: its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** `durable: false` (the tests) turns fsync off; a benchmark keeps the server's default (on). */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PgServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(missingPostgres() ?? 'no PostgreSQL');
  const base = mkdtempSync('/tmp/fedbench-pg-');
  const data = path.join(base, 'data');
  const sock = path.join(base, 'sock');
  mkdirSync(sock);
  // As root, the server must run as an ordinary user: postgres owns the cluster's folder.
  const ids = process.getuid?.() === 0 ? passwdIds('postgres') : null;
  if (ids) for (const p of [base, sock]) chownSync(p, ids.uid, ids.gid);
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'fedbench', '-E', 'UTF8', '--no-locale', '--no-sync'],
    { ...as, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
  );
  const port = await freePort();
  const log = openSync(path.join(base, 'server.log'), 'a');
  if (ids) chownSync(path.join(base, 'server.log'), ids.uid, ids.gid);
  const child: ChildProcess = spawn(
    path.join(bin, 'postgres'),
    [
      ...['-D', data, '-p', String(port), '-k', sock, '-c', 'listen_addresses=127.0.0.1'],
      ...(opts.durable ? [] : ['-c', 'fsync=off']),
    ],
    { ...as, stdio: ['ignore', log, log] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://fedbench@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const query = async (text: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(base, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      await query('SELECT 1');
      break;
    } catch (err) {
      if (child.exitCode !== null || i > 300) {
        const text = readFileSync(path.join(base, 'server.log'), 'utf8');
        await stop();
        throw new Error(`the test PostgreSQL server did not start: ${String(err)}\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: child.pid!,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await query(`CREATE DATABASE ${name}`);
      return `postgres://fedbench@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
