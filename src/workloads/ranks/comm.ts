// What a collective sweep printed, read into the record: its rows (one JSON line per collective and size, see
// benchmarks/scripts/comm.py), the backend it reported, and the transport — from NCCL's own log where there is one.
import {
  commRowSchema,
  copyRowSchema,
  type Comm,
  type CommRow,
  type CopyRow,
  type Ranks,
} from '../../results/index.js';

type Copies = { rows: CopyRow[] };
import { ncclTestsTable } from './nccl-tests.js';

/** nccl-tests' bus bandwidth factor (doc/PERFORMANCE.md) for a collective over n ranks. */
export function busFactor(collective: string, n: number): number {
  switch (collective) {
    case 'all_reduce':
      return (2 * (n - 1)) / n;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all':
      return (n - 1) / n;
    default: // broadcast, reduce, send/recv
      return 1;
  }
}

function jsonLine(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v = JSON.parse(t) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * NCCL's transport per channel from its NCCL_DEBUG=INFO lines, e.g. "… NCCL INFO Channel 00/0 : 0[0] -> 1[1] via
 * P2P/IPC" or "… via NET/IB/0/GDRDMA": each distinct transport once, in order of appearance.
 */
export function ncclTransports(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(/NCCL INFO .*? via (\S+)/g)) seen.add(m[1]!);
  return [...seen];
}

/** A multi-node run over sockets, or over one InfiniBand rail only: the fabric problem a centre must see. */
export function transportFlag(transports: readonly string[], nodes: number): string | undefined {
  if (nodes < 2) return undefined;
  const net = transports.filter((t) => t.startsWith('NET/'));
  if (net.some((t) => t.startsWith('NET/Socket')) || net.length === 0)
    return `${nodes} nodes connected over sockets (TCP), not InfiniBand`;
  const rails = new Set(net.filter((t) => t.startsWith('NET/IB')).map((t) => t.split('/')[2]));
  if (rails.size === 1) return `${nodes} nodes over a single InfiniBand rail (NET/IB/${[...rails][0]})`;
  return undefined;
}

/** A node's copy matrix from copy_matrix.py's JSON lines (one per cell), or undefined when it printed none. */
export function copiesOf(lines: readonly string[]): Copies | undefined {
  const rows: CopyRow[] = [];
  for (const line of lines) {
    const row = copyRowSchema.safeParse(jsonLine(line));
    if (row.success) rows.push(row.data);
  }
  return rows.length ? { rows } : undefined;
}

/**
 * The comm table of a run (rows, or a data-parallel run's share of a step in communication), or undefined when
 * its program stated no backend and printed no rows — fedbench's JSON lines (comm.py), or nccl-tests' table. `lines`: rank 0's measured lines;
 * `logs`: every rank's stderr (NCCL writes its INFO lines there when NCCL_DEBUG_FILE is unset… or to stdout).
 */
export function commOf(lines: readonly string[], logs: string, ranks: Ranks | undefined): Comm | undefined {
  const rows: CommRow[] = [];
  const shares: number[] = [];
  let backend: string | null = null;
  let stated: string | null = null;
  let size: Pick<Comm, 'world' | 'nodes'> = {};
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
  for (const line of lines) {
    const j = jsonLine(line);
    if (!j) continue;
    if (typeof j.backend === 'string' && 'transport' in j) {
      backend = j.backend;
      stated = typeof j.transport === 'string' ? j.transport : null;
      // a program started by its own launcher (mpirun) says how many ranks and nodes took part
      const [world, nodes] = [count(j.world), count(j.nodes)];
      size = { ...(world ? { world } : {}), ...(nodes ? { nodes } : {}) };
      continue;
    }
    if (typeof j.comm_share === 'number' && Number.isFinite(j.comm_share)) shares.push(j.comm_share);
    const row = commRowSchema.safeParse(j);
    if (row.success) rows.push(row.data);
  }
  if (!rows.length && backend === null) {
    // not fedbench's sweep: nccl-tests' own table, if the program was one of its binaries
    const table = ncclTestsTable(lines);
    if (!table) return undefined;
    rows.push(...table.rows);
    backend = 'nccl';
    size = { ...(table.world ? { world: table.world } : {}), ...(table.nodes ? { nodes: table.nodes } : {}) };
  }
  const nccl = ncclTransports(`${lines.join('\n')}\n${logs}`);
  const transport = nccl.length ? nccl : stated ? [stated] : [];
  const nodes = ranks?.nodes.length ?? size.nodes ?? 1;
  const flag = backend === 'nccl' || nccl.length ? transportFlag(transport, nodes) : undefined;
  shares.sort((x, y) => x - y);
  const commShare = shares.length ? Math.min(1, shares[shares.length >> 1]!) : undefined;
  return {
    backend: backend ?? 'unknown',
    transport,
    ...(flag ? { flag } : {}),
    rows,
    ...(ranks ? {} : size),
    ...(commShare !== undefined ? { commShare } : {}),
  };
}
