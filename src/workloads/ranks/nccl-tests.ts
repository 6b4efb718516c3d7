// nccl-tests' own table (all_reduce_perf and its siblings), read into the same rows as fedbench's comm sweep, so a
// user can hold fedbench's figures against the standard tool on the same nodes. The layout is the one its
// writeResultHeader / writeBenchmarkLine print: a header naming the columns, then one line per size with the
// out-of-place figures first and the in-place ones after; the out-of-place ones are read, as comm.py measures.
import type { CommRow } from '../../results/index.js';

/** nccl-tests' type names → the dtype names of fedbench's comm rows. */
const DTYPES: Record<string, string> = {
  float: 'fp32',
  half: 'fp16',
  bfloat16: 'bf16',
  double: 'fp64',
  int8: 'int8',
  uint8: 'uint8',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
};

/** Program names (without _perf) whose collective fedbench names otherwise. */
const COLLECTIVES: Record<string, string> = { alltoall: 'all_to_all', sendrecv: 'send_recv' };

export interface NcclTestsTable {
  /** From its "# Collective test starting: all_reduce_perf" line; null when it printed none. */
  collective: string | null;
  rows: CommRow[];
  /** Sizes whose result nccl-tests found wrong (#wrong > 0): the collective corrupted data there. */
  wrong: Array<{ bytes: number; elements: number }>;
  /** Its "#  Rank  N Group … on HOST device …" lines: one per GPU of the run, every process's listed by the first. */
  world: number | null;
  nodes: number | null;
}

/** The table nccl-tests printed in `lines`, or null when there is none. */
export function ncclTestsTable(lines: readonly string[]): NcclTestsTable | null {
  let header: string[] | null = null;
  let collective: string | null = null;
  const rows: CommRow[] = [];
  const wrong: NcclTestsTable['wrong'] = [];
  const devices: string[] = [];
  for (const line of lines) {
    const device = /^#\s*Rank\s+(\d+)\s+Group\s+\d+\s+Pid\s+\d+\s+on\s+(\S+)/.exec(line);
    if (device) {
      devices.push(device[2]!);
      continue;
    }
    const started = /^#\s*Collective test starting:\s*(\S+)/.exec(line);
    if (started) {
      const name = started[1]!.replace(/^.*\//, '').replace(/_perf(_mpi)?$/, '');
      collective = COLLECTIVES[name] ?? name;
      continue;
    }
    const cols = line.replace(/^#/, '').trim().split(/\s+/);
    if (line.startsWith('#') && cols[0] === 'size' && cols[1] === 'count' && cols.includes('busbw')) {
      header = cols;
      continue;
    }
    if (!header || line.startsWith('#') || !/^\s*\d/.test(line)) continue;
    // first occurrence of each name: the out-of-place columns
    const at = (name: string) => header!.indexOf(name);
    const time = at('time') >= 0 ? at('time') : at('cputime');
    const [bytes, elements, type] = [Number(cols[at('size')]), Number(cols[at('count')]), cols[at('type')] ?? ''];
    const [timeUs, algbw, busbw] = [Number(cols[time]), Number(cols[at('algbw')]), Number(cols[at('busbw')])];
    const errors = cols[at('#wrong')];
    if (![bytes, elements, timeUs, algbw, busbw].every(Number.isFinite) || timeUs <= 0 || errors === undefined)
      continue;
    if (errors !== 'N/A' && Number(errors) > 0) wrong.push({ bytes, elements: Number(errors) });
    rows.push({
      collective: collective ?? 'unknown',
      dtype: DTYPES[type] ?? type,
      bytes,
      timeUs,
      algbw,
      busbw,
      // -c 0 prints N/A: nccl-tests did not check this size
      checked: errors !== 'N/A',
    });
  }
  const world = devices.length || null;
  return header && rows.length ? { collective, rows, wrong, world, nodes: world && new Set(devices).size } : null;
}
