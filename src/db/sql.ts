// One PostgreSQL dialect, two ways to reach it: PGlite (Postgres compiled to WebAssembly, embedded in this
// process, data in a folder) and `pg` (a PostgreSQL server). Everything above this file speaks SQL through
// `Sql`, with parameters ($1, $2, …) only: no value is ever spliced into a statement's text.
// Both drivers are imported when a database is opened, so that every other command starts as fast as before.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';

export interface Queryable {
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[]; affected: number }>;
  /** Several statements without parameters (a migration). */
  script(text: string): Promise<void>;
  /**
   * Rows in COPY's text format (tab-separated, `\\N` for NULL, one per line) into `target`, a table and its columns
   * as constants of this program (`records (id, campaign, …)`): the bulk path, several times an INSERT's speed.
   */
  copyIn(target: string, rows: string): Promise<void>;
}

export interface Sql extends Queryable {
  /**
   * After rows were added to `table` (a constant of this program): marks the new pages all-visible, so index-only
   * scans need not visit them — what autovacuum does on a server only after a fifth of the table is new, and PGlite
   * never (~60 ms after 4,000 records at 1,000,000). Not in a transaction. On a server, a role that does not own the
   * table has it skipped (PostgreSQL's warning, a notice, is not shown): autovacuum still does it later.
   */
  vacuum(table: string): Promise<void>;
  /** Runs fn in one transaction: committed when it returns, rolled back when it throws. */
  transaction<R>(fn: (q: Queryable) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/**
 * The embedded database in `dir` (created on first use). One process at a time: see `lock.ts`. `cacheMB`: its page
 * cache (shared_buffers; PGlite's default 128), which it allocates and clears at every start — 32 MB opens a 1M-record
 * database ~0.25 s sooner (0.64 against 0.89 s) and still holds a history's index pages (5,000 points: 35 against 32 ms),
 * but not an ingest's (1,000,000 records: 157 against 142 s).
 */
export async function openPglite(dir: string, cacheMB?: number): Promise<Sql> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(
    dir,
    cacheMB ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${cacheMB}MB`] } : {},
  );
  await db.waitReady;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const r = await q.query<T>(text, [...params]);
      return { rows: r.rows, affected: r.affectedRows ?? 0 };
    },
    async script(text: string) {
      await q.exec(text);
    },
    async copyIn(target: string, rows: string) {
      // PGlite reads a COPY's data from the Blob it is handed, under this name
      await q.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([rows]) });
    },
  });
  return {
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    vacuum: (table) => db.exec(`VACUUM ${table}`).then(() => {}),
    close: () => db.close(),
  };
}

/** A PostgreSQL server, by connection URL (postgres://user@host:port/database, ?host=/socket/dir for a socket). */
export async function openPostgres(url: string): Promise<Sql> {
  const [{ default: pg }, { from: copyFrom }] = await Promise.all([import('pg'), import('pg-copy-streams')]);
  type Client = InstanceType<typeof pg.Client>;
  // A connection the server drops while idle (a restart, an administrator) is an 'error' event: unheard, it would
  // end the whole process (`fedbench serve` included). Heard, the next query opens a new connection (nothing was
  // in flight), except inside a transaction, which fails with what happened; so does a query the loss cut.
  let lost: Error | null = null;
  let inTransaction = false;
  let client: Client | null = null;
  const connect = async (): Promise<Client> => {
    const c = new pg.Client({ connectionString: url });
    // Server-side notices (e.g. "relation already exists, skipping") are not the user's business.
    c.on('notice', () => {});
    c.on('error', (err) => {
      if (c === client) lost ??= err; // the first word is the server's reason; pg's own follows it
    });
    await c.connect();
    return c;
  };
  client = await connect();
  let reconnecting: Promise<void> | null = null;
  const reconnect = () =>
    (reconnecting ??= (async () => {
      const old = client!;
      try {
        client = await connect();
        lost = null;
        old.end().catch(() => {});
      } finally {
        reconnecting = null;
      }
    })());
  const sent = async <R>(send: (c: Client) => Promise<R>): Promise<R> => {
    if (lost && inTransaction) throw connectionLost(lost);
    if (lost) {
      try {
        await reconnect();
      } catch (err) {
        throw connectionLost(err as Error);
      }
    }
    try {
      return await send(client!);
    } catch (err) {
      if (lost || isConnectionEnd(err)) throw connectionLost(lost ?? (err as Error));
      throw err;
    }
  };
  const q: Queryable = {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const r = await sent((c) => c.query(text, [...params]));
      return { rows: r.rows as T[], affected: r.rowCount ?? 0 };
    },
    async script(text: string) {
      await sent((c) => c.query(text));
    },
    async copyIn(target: string, rows: string) {
      await sent((c) => pipeline(Readable.from([rows]), c.query(copyFrom(`COPY ${target} FROM STDIN`))));
    },
  };
  return {
    ...q,
    async transaction(fn) {
      await sent((c) => c.query('BEGIN'));
      inTransaction = true;
      try {
        const result = await fn(q);
        await sent((c) => c.query('COMMIT'));
        return result;
      } catch (err) {
        await client!.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        inTransaction = false;
      }
    },
    vacuum: async (table) => {
      await sent((c) => c.query(`VACUUM ${table}`));
    },
    // pg's end() resolves at once for a connection that is already gone
    close: () => client!.end().catch(() => {}),
  };
}

/** The server ended the session (an administrator, a shutdown) or the connection broke under a query. */
function isConnectionEnd(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    (typeof e.code === 'string' && /^57P0[123]$/.test(e.code)) ||
    (typeof e.message === 'string' && /Connection terminated|not queryable/i.test(e.message))
  );
}

/** The server's connection went while a query or transaction needed it: what the server said. */
function connectionLost(err: Error): Error {
  return new Error(
    `the connection to the PostgreSQL server was lost (${err.message}): what was committed before is kept; run the command again`,
  );
}
