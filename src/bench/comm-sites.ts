// npm run bench:comm-sites — the 2-node job on a Slurm site against the same script started with srun by hand.
// Brings up the test sites (slurm/testenv/up.sh; root), then in alternating rounds on site alpha's two nodes:
//   fedbench  a campaign of one case (the comm suite's gloo all-reduce, nodes: 2 × 1 rank) submitted and collected
//             with the CLI, as a user runs it; the figures are the record's table (rank 0's)
//   by hand   the same comm.py in a job script a user would write without fedbench: sbatch --nodes=2, the rendezvous
//             set from SLURM_* by hand, one `srun` step; the figures are rank 0's lines of its output
// Per size: the ratio fedbench / by hand of busbw (sizes ≥ 1 MiB; target ≥ 0.97) and of time per call (small sizes;
// target within 5%), each round's ratio one figure, a t interval over rounds on the logarithms.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { tInterval } from '../measure/index.js';
import type { CommRow } from '../results/index.js';
import { downTestenv, type Env, fedbench, REPO, slurm, upTestenv } from '../soak/testenv.js';

const ROUNDS = Number(process.env.FEDBENCH_BENCH_ROUNDS ?? 5);
const MAX_BYTES = Number(process.env.FEDBENCH_BENCH_MAX_BYTES ?? 4 * 1024 * 1024);
const SCRIPTS = path.join(REPO, 'benchmarks/scripts');
// collect's polling (ssh, squeue, sacct) runs on the same two cores as the test sites' "nodes": polled every second
// it ran beside the job, which on a real site it never does (login node and controller are other machines)
const POLL_SECONDS = Number(process.env.FEDBENCH_BENCH_POLL_SECONDS ?? 20);
const ARGS = ['--collective', 'all_reduce', '--backend', 'gloo', '--max-bytes', String(MAX_BYTES), '--seconds', '0.02'];

/** fedbench's round: submit and collect a one-case campaign; rank 0's time per call by size. */
async function fedbenchRound(work: string, round: number): Promise<Map<number, number>> {
  const suite = path.join(work, 'pair.yaml');
  writeFileSync(
    suite,
    stringify({
      name: 'bench-comm-sites',
      stop: { minSamples: 1, maxSamples: 1, minSeconds: 0, maxSeconds: 120 },
      benchmarks: [
        {
          id: 'allreduce',
          workload: 'command',
          params: { nodes: 2, gpusPerNode: 1 },
          cwd: SCRIPTS,
          command: ['/usr/bin/python3', 'comm.py', ...ARGS],
          warmup: 0,
          markers: true,
          timeout: 300,
          metric: { name: 'busbw', unit: 'GB/s', direction: 'higher', json: 'busbw' },
        },
      ],
    }),
  );
  const campaign = `bench${round}`;
  const s = await fedbench(work, ['submit', '--suite', suite, '--sites', 'alpha', '--campaign', campaign]);
  if (s.code !== 0) throw new Error(`fedbench submit: ${s.stderr}`);
  const c = await fedbench(work, [
    'collect',
    campaign,
    '--wait',
    '--interval',
    String(POLL_SECONDS),
    '--timeout',
    '300',
  ]);
  if (c.code !== 0) throw new Error(`fedbench collect: ${c.stderr}`);
  const dir = path.join(work, 'results', campaign, 'alpha');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  const record = JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as {
    status: string;
    error?: string;
    details?: { comm?: { rows: CommRow[] }; ranks?: { nodes: string[] } };
  };
  if (record.status !== 'ok') throw new Error(`fedbench's case ${record.status}: ${record.error}`);
  if (record.details?.ranks?.nodes.length !== 2) throw new Error("fedbench's case did not run on two nodes");
  return new Map(record.details.comm!.rows.map((r) => [r.bytes, r.timeUs]));
}

/** The same program in a job script a user writes by hand: the rendezvous from SLURM_*, one srun step. */
async function byHandRound(env: Env, work: string, round: number): Promise<Map<number, number>> {
  const out = path.join(work, `by-hand-${round}.out`);
  const script = path.join(work, `by-hand-${round}.sbatch`);
  writeFileSync(
    script,
    `#!/bin/bash
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --time=10:00
#SBATCH --output=${out}
first=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_ADDR=$(scontrol show node "$first" | grep -o 'NodeAddr=[^ ]*' | cut -d= -f2)
export MASTER_PORT=$((29600 + ${round}))
cd ${SCRIPTS}
srun --label bash -c 'RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID WORLD_SIZE=$SLURM_NTASKS LOCAL_WORLD_SIZE=1 exec /usr/bin/python3 comm.py ${ARGS.join(' ')}'
`,
  );
  const r = await slurm(env, 'alpha', ['sbatch', '--wait', '--parsable', script], 600_000);
  if (r.code !== 0) throw new Error(`sbatch --wait (by hand): ${r.stderr || r.stdout}\n${safeRead(out)}`);
  const rows = safeRead(out)
    .split('\n')
    .map((l) => /^\s*0: (\{.*"timeUs".*\})\s*$/.exec(l)?.[1])
    .filter((l): l is string => Boolean(l))
    .map((l) => JSON.parse(l) as { bytes: number; timeUs: number });
  if (!rows.length) throw new Error(`the job by hand printed no rows:\n${safeRead(out)}`);
  return new Map(rows.map((x) => [x.bytes, x.timeUs]));
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const ratioText = (xs: number[]): string => {
  const { centre, ci95 } = tInterval(xs);
  return `${centre.toFixed(3)} [${ci95[0].toFixed(3)}, ${ci95[1].toFixed(3)}]`;
};

async function main(): Promise<void> {
  const run = mkdtempSync(path.join(os.tmpdir(), 'fedbench-bench-comm-sites-env-'));
  chmodSync(run, 0o755); // the test sites' MariaDB runs as its own user, inside this folder
  const work = mkdtempSync(path.join(os.tmpdir(), 'fedbench-bench-comm-sites-'));
  console.log(
    `bench:comm-sites: gloo all-reduce on 2 nodes × 1 rank of test site alpha, 8 B … ${MAX_BYTES} B, ${ROUNDS} alternating rounds; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const env = upTestenv(run);
  const ratios = new Map<number, number[]>();
  try {
    mkdirSync(path.join(work, 'sites'));
    writeFileSync(path.join(work, 'sites', 'alpha.yaml'), readFileSync(env.sites.alpha.profile, 'utf8'));
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which goes first, so a drift in the machine's load hits both alike
      let fed: Map<number, number>;
      let hand: Map<number, number>;
      if (r % 2 === 0) {
        fed = await fedbenchRound(work, r);
        hand = await byHandRound(env, work, r);
      } else {
        hand = await byHandRound(env, work, r);
        fed = await fedbenchRound(work, r);
      }
      for (const [bytes, t] of hand) {
        const f = fed.get(bytes);
        if (f !== undefined) ratios.set(bytes, [...(ratios.get(bytes) ?? []), t / f]); // busbw ratio = time ratio⁻¹
      }
      console.log(`  round ${r + 1}: done (load ${os.loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    downTestenv(run);
    rmSync(work, { recursive: true, force: true });
  }
  console.log('bytes     busbw ratio fedbench / by hand [95%]');
  let worstBig = Number.POSITIVE_INFINITY;
  let worstSmall = 0;
  for (const [bytes, xs] of [...ratios].sort((a, b) => a[0] - b[0])) {
    console.log(`${String(bytes).padEnd(9)} ${ratioText(xs)}`);
    const centre = tInterval(xs).centre;
    if (bytes >= 1 << 20) worstBig = Math.min(worstBig, centre);
    else worstSmall = Math.max(worstSmall, Math.abs(1 / centre - 1));
  }
  console.log(
    `sizes ≥ 1 MiB: lowest busbw ratio ${worstBig.toFixed(3)} (target ≥ 0.97); smaller sizes: largest per-call time difference ${(worstSmall * 100).toFixed(1)}% (target within 5%)`,
  );
}

await main();
