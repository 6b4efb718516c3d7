// fedbench serve: the federation on one screen, in a browser. Prints the address with its access token (as Jupyter
// does) and warnings a user can act on; nothing else.
import { errorText, InputError } from '../errors.js';
import { DB_HELP, openUserDb } from './db.js';
import { Command, InvalidArgumentError } from 'commander';

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a port 0-65535, got '${value}'`);
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'one screen for the federation in a browser: sites, campaigns (launch and follow), results, history, regressions, acceptance',
    )
    .option('--port <n>', 'port (default: 8765; 0 for any free one)', portOption, 8765)
    .option(
      '--host <address>',
      'address to listen on (default 127.0.0.1); another needs --tls-cert/--tls-key or --insecure',
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--insecure', 'allow plain HTTP on a non-loopback address (behind a proxy that adds TLS)')
    .option(
      '--allowed-origin <url...>',
      "origins besides the server's own that may change state (a reverse proxy's public URL)",
    )
    .option('--sites-dir <dir>', 'folder of site profiles (default: $FEDBENCH_SITES or slurm/sites)')
    .option('--campaigns-dir <dir>', 'folder of campaign journals (default: $FEDBENCH_CAMPAIGNS or ./campaigns)')
    .option('--results <dir>', 'where records of campaigns launched here land (default: results)', 'results')
    .option('--benchmarks-dir <dir>', 'folder of suites offered for launching, besides the built-in ones')
    .option('--db <url|dir>', DB_HELP)
    .action(
      async (opts: {
        port: number;
        host?: string;
        tlsCert?: string;
        tlsKey?: string;
        insecure?: boolean;
        allowedOrigin?: string[];
        sitesDir?: string;
        campaignsDir?: string;
        results: string;
        benchmarksDir?: string;
        db?: string;
      }) => {
        if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new InputError('give both --tls-cert and --tls-key');
        // loaded only here: the server and its libraries cost every other command nothing
        const { checkBind, startServer } = await import('../serve/index.js');
        checkBind(opts.host ?? '127.0.0.1', Boolean(opts.tlsCert), Boolean(opts.insecure));
        const db = await openUserDb(opts.db);
        let server: import('../serve/index.js').RunningServer;
        try {
          server = await startServer({
            db,
            port: opts.port,
            ...(opts.host ? { host: opts.host } : {}),
            ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: opts.tlsCert, key: opts.tlsKey } } : {}),
            insecure: Boolean(opts.insecure),
            allowedOrigins: opts.allowedOrigin ?? [],
            ...(opts.sitesDir ? { sitesDir: opts.sitesDir } : {}),
            ...(opts.campaignsDir ? { campaignsDir: opts.campaignsDir } : {}),
            resultsDir: opts.results,
            ...(opts.benchmarksDir ? { benchmarksDir: opts.benchmarksDir } : {}),
          });
        } catch (err) {
          await db.close();
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
            throw new InputError(`port ${opts.port} is in use: choose another with --port (0: any free one)`);
          throw err;
        }
        process.stdout.write(`${server.url}?token=${server.token}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        try {
          await server.close();
        } catch (err) {
          process.stderr.write(`fedbench: ${errorText(err)}\n`);
        } finally {
          await db.close();
        }
      },
    );
}
