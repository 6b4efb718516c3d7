// npm run bench:comm — fedbench's gloo all-reduce sweep (the comm suite's case, 2 ranks started by `fedbench run`)
// against the same collective in a bare torch.distributed loop started by hand (comm_bare.py, two processes with
// the rendezvous set), and fedbench's own comm.py started by hand the same way (what the launcher costs apart from
// the script), in alternating rounds so drift hits all alike. Per size: the ratio fedbench / bare of
// busbw (sizes ≥ 1 MiB; target ≥ 0.97) and of time per call (small sizes; target within 5%), each round's ratio
// one figure, a t interval over rounds on the logarithms.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { tInterval } from '../measure/index.js';
import type { CommRow } from '../results/index.js';
import { freePort } from '../workloads/ranks/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const ROUNDS = Number(process.env.FEDBENCH_BENCH_ROUNDS ?? 5);
const MIN_BYTES = Number(process.env.FEDBENCH_BENCH_MIN_BYTES ?? 8);
const MAX_BYTES = Number(process.env.FEDBENCH_BENCH_MAX_BYTES ?? 4 * 1024 * 1024);
const SECONDS = '0.02';
const BATCHES = 5;
const PYTHON = process.env.FEDBENCH_PYTHON ?? 'python3';

async function fedbenchRound(dir: string, round: number): Promise<Map<number, number>> {
  const suite = path.join(dir, 'comm.yaml');
  writeFileSync(
    suite,
    stringify({
      name: 'bench-comm',
      stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 120 },
      benchmarks: [
        {
          id: 'allreduce',
          workload: 'command',
          params: { nodes: 1, gpusPerNode: 2 },
          cwd: path.join(ROOT, 'benchmarks/scripts'),
          command: [
            PYTHON,
            'comm.py',
            '--collective',
            'all_reduce',
            '--min-bytes',
            String(MIN_BYTES),
            '--backend',
            'gloo',
            '--max-bytes',
            String(MAX_BYTES),
            '--seconds',
            SECONDS,
            '--batches',
            String(BATCHES),
          ],
          warmup: 0,
          markers: true,
          timeout: 300,
          metric: { name: 'busbw', unit: 'GB/s', direction: 'higher', json: 'busbw' },
        },
      ],
    }),
  );
  const out = path.join(dir, `r${round}`);
  await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'dist/cli/main.js'), 'run', '--suite', suite, '--out', out],
    {
      env: { ...process.env, FEDBENCH_DB: 'off' },
    },
  );
  const file = readdirSync(out).find((f) => f.endsWith('.json'))!;
  const record = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as {
    status: string;
    error?: string;
    details?: { comm?: { rows: CommRow[] } };
  };
  if (record.status !== 'ok') throw new Error(`fedbench's case ${record.status}: ${record.error}`);
  return new Map(record.details!.comm!.rows.map((r) => [r.bytes, r.timeUs]));
}

/** Two processes started by hand with the rendezvous set (no fedbench): rank 0's {bytes, timeUs} lines. */
async function byHand(args: string[]): Promise<Map<number, number>> {
  const port = await freePort();
  const runs = [0, 1].map(
    (rank) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(PYTHON, args, {
          env: {
            ...process.env,
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
            WORLD_SIZE: '2',
            RANK: String(rank),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
          // FEDBENCH_BENCH_DETACH=1: each rank in its own session, as fedbench starts them (a scheduler autogroup each)
          detached: process.env.FEDBENCH_BENCH_DETACH === '1',
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`${args[0]} rank ${rank} exited ${code}`)),
        );
      }),
  );
  const [out] = await Promise.all(runs);
  const rows = out!
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"timeUs"'))
    .map((l) => JSON.parse(l) as { bytes: number; timeUs: number });
  return new Map(rows.map((r) => [r.bytes, r.timeUs]));
}

const bareRound = () =>
  byHand([path.join(ROOT, 'src/bench/comm_bare.py'), String(MIN_BYTES), String(MAX_BYTES), SECONDS, String(BATCHES)]);
// fedbench's own script without fedbench: tells the launcher's cost from the script's
const scriptRound = () =>
  byHand([
    path.join(ROOT, 'benchmarks/scripts/comm.py'),
    ...['--collective', 'all_reduce', '--backend', 'gloo', '--min-bytes', String(MIN_BYTES)],
    ...['--max-bytes', String(MAX_BYTES), '--seconds', SECONDS, '--batches', String(BATCHES)],
  ]);

const ratioText = (xs: number[]): string => {
  const { centre, ci95 } = tInterval(xs);
  return `${centre.toFixed(3)} [${ci95[0].toFixed(3)}, ${ci95[1].toFixed(3)}]`;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedbench-bench-comm-'));
  // per size: each round's busbw ratio against the bare loop (busbw ratio = bare time / time)
  const fedRatio = new Map<number, number[]>();
  const scriptRatio = new Map<number, number[]>();
  const busbw = new Map<number, { fed: number[]; bare: number[] }>();
  const push = (m: Map<number, number[]>, k: number, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  console.log(
    `bench:comm: gloo all-reduce, 2 ranks, ${MIN_BYTES} B … ${MAX_BYTES} B, ${ROUNDS} alternating rounds; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const fed = await fedbenchRound(dir, r);
      const bare = await bareRound();
      const script = await scriptRound();
      for (const [bytes, t] of bare) {
        const f = fed.get(bytes);
        const s = script.get(bytes);
        if (f === undefined || s === undefined) continue;
        push(fedRatio, bytes, t / f);
        push(scriptRatio, bytes, t / s);
        const b = busbw.get(bytes) ?? { fed: [], bare: [] };
        b.fed.push(bytes / f / 1e3); // all-reduce over 2 ranks: busbw = algbw (GB/s) = bytes / µs / 1e3
        b.bare.push(bytes / t / 1e3);
        busbw.set(bytes, b);
      }
      console.log(`  round ${r + 1}: done (load ${os.loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    'bytes     busbw GB/s: fedbench / bare (median)   busbw ratio fedbench/bare [95%]   comm.py by hand/bare [95%]',
  );
  let worstBig = Number.POSITIVE_INFINITY;
  let worstSmall = 0;
  for (const [bytes, ratios] of [...fedRatio].sort((a, b) => a[0] - b[0])) {
    const b = busbw.get(bytes)!;
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    console.log(
      `${String(bytes).padEnd(9)} ${med(b.fed).toPrecision(3).padStart(10)} / ${med(b.bare).toPrecision(3).padEnd(10)}             ${ratioText(ratios).padEnd(26)}       ${ratioText(scriptRatio.get(bytes)!)}`,
    );
    const centre = tInterval(ratios).centre;
    if (bytes >= 1 << 20) worstBig = Math.min(worstBig, centre);
    else worstSmall = Math.max(worstSmall, Math.abs(1 / centre - 1));
  }
  console.log(
    `sizes ≥ 1 MiB: lowest busbw ratio ${worstBig.toFixed(3)} (target ≥ 0.97); smaller sizes: largest per-call time difference ${(worstSmall * 100).toFixed(1)}% (target within 5%)`,
  );
}

await main();
