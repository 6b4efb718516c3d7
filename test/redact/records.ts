// Records holding identifying values in every place they can appear: real records written by `fedbench run` (the
// v1 fixtures, upgraded on read) with their machine's fields set to the values below, a `workload: command`
// failure, a record collect writes for a task that ended first, synthetic ones for figures at two sites, and a
// local run. Every value is distinctive, so finding it in a report can only be a leak.
import path from 'node:path';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { mdCell } from '../../src/report/export/markdown.js';
import { esc, jsonForScript } from '../../src/report/index.js';
import { chartLibraries } from '../../src/report/assets.js';
import { newRecord, readRecords, runDetailsSchema, type RunRecord, unknownSystem } from '../../src/results/index.js';

export const ID = {
  loginHost: 'login07.hpc-secret.example',
  localHost: 'wkstn-ql4k.lab.secret.example',
  nodes: ['mxq2041', 'mxq2042', 'mxq2043'],
  nodeList: 'mxq[2041-2043]',
  vegaNode: 'gpunode-x17q',
  user: 'zelda77',
  otherUser: 'qbert_99',
  arrayJob: '7734219',
  otherArrayJob: '7734388',
  taskJob: '7734230',
  ipv4: '10.31.7.201',
  ipv6: '2001:db8:4006:812::200e',
  linkLocal: 'fe80::7a2b:cbff:fe11:2233',
  gpuUuid: 'GPU-3f2a9c1e-5b7d-4e2f-9a1b-c3d4e5f60718',
  migUuid: 'MIG-1a2b3c4d-5e6f-4789-8abc-def012345678',
  serial: '1652922014518',
  mac: '3c:ec:ef:12:34:56',
};

/** Values only a site profile (`--sites-dir`: account, gateway) or `--redact-also` says are identifying. */
export const GIVEN = { account: 'p465000123', gateway: 'gw-77q.secret.example', project: 'proj-secret-x9' };

/** Every original that must not survive a redacted report, the home paths included. */
export const ORIGINALS: string[] = [
  ID.loginHost,
  ID.localHost,
  ...ID.nodes,
  ID.nodeList,
  ID.vegaNode,
  ID.user,
  ID.otherUser,
  `/home/${ID.user}`,
  ID.arrayJob,
  ID.otherArrayJob,
  ID.taskJob,
  ID.ipv4,
  ID.ipv6,
  ID.linkLocal,
  ID.gpuUuid,
  ID.gpuUuid.slice('GPU-'.length),
  ID.migUuid,
  ID.serial,
  ID.mac,
];

export const GPU = 'NVIDIA H100 80GB HBM3';
const HOME = `/home/${ID.user}`;

const FIXTURES = path.resolve(import.meta.dirname, '../results/fixtures/run-v1');

function onNode(r: RunRecord, node: string, env: Record<string, string> = {}): RunRecord {
  return {
    ...r,
    system: {
      ...r.system,
      host: node,
      gpus: [{ index: 0, name: GPU, uuid: ID.gpuUuid, memoryMiB: 81559, driver: '550.54.15', cuda: '12.4' }],
      gpuSource: 'nvidia-smi',
      env: { ...r.system.env, ...env },
    },
  };
}

/** The Slurm environment a task of the array job sees on its node. */
const slurmEnv = (task: number, node: string) => ({
  SLURM_JOB_ID: ID.taskJob,
  SLURM_ARRAY_JOB_ID: ID.arrayJob,
  SLURM_ARRAY_TASK_ID: String(task),
  SLURM_JOB_NODELIST: ID.nodeList,
  SLURMD_NODENAME: node,
  SLURM_CLUSTER_NAME: 'meluxina',
  CUDA_VISIBLE_DEVICES: ID.migUuid,
});

export async function identifyingRecords(): Promise<RunRecord[]> {
  const { records: real, problems } = await readRecords(FIXTURES);
  if (problems.length) throw new Error(JSON.stringify(problems));
  const byCase = (c: string) => real.find((r) => r.case.startsWith(c))!;
  const out: RunRecord[] = [];

  // inference at meluxina: a model file under the home folder, the GPU's UUID in telemetry and energy readings
  const infer = byCase('infer-cnn');
  const details = infer.details?.kind === 'inference' ? infer.details : null;
  out.push({
    ...onNode(infer, ID.nodes[0]!, slurmEnv(12, ID.nodes[0]!)),
    site: 'meluxina',
    slurm: { cluster: 'meluxina', partition: 'gpu', jobId: ID.arrayJob, arrayTaskId: 12, node: ID.nodes[0]! },
    ...(details
      ? { details: { ...details, modelFile: `${HOME}/fedbench/.cache/fedbench/models/cnn-527764569f5763b0.onnx` } }
      : {}),
    energy: {
      status: 'measured',
      source: 'nvml',
      method: 'counter',
      joules: 1200,
      avgWatts: 300,
      coverage: 1,
      readings: [
        {
          source: 'nvml',
          method: 'counter',
          domain: 'gpu',
          device: `gpu0 ${GPU} (${ID.gpuUuid})`,
          joules: 1200,
          meanWatts: 300,
          peakWatts: 350,
          samples: 2,
          coverage: 1,
          note: `read on ${ID.nodes[0]} through /sys/cray/pm_counters/accel0_energy`,
        },
      ],
      telemetry: [
        {
          index: 0,
          name: GPU,
          uuid: ID.gpuUuid,
          samples: 40,
          smClockMHz: { min: 1755, mean: 1980, max: 1980 },
          memClockMHz: { min: 2619, max: 2619 },
          maxSmClockMHz: 1980,
          temperatureC: { max: 61 },
          utilisationPercent: { mean: 97 },
          powerLimitWatts: 700,
          throttleReasons: [],
          otherProcesses: 0,
        },
      ],
      unavailable: [{ source: 'rapl', reason: `/sys/class/powercap absent on ${ID.nodes[0]}` }],
    },
    warnings: [`another process shared ${ID.gpuUuid} on ${ID.nodes[0]}.hpc.example (${ID.ipv4})`],
  });

  // the other real records, run on the login host of no site (a local run) and on a meluxina node
  const gemm = byCase('gemm');
  out.push({
    ...onNode(gemm, ID.localHost),
    engine: {
      ...gemm.engine,
      fallbacks: [
        { backend: 'cuda', reason: `libcudart.so.12: cannot open shared object file (looked in ${HOME}/.local/lib)` },
        ...gemm.engine.fallbacks,
      ],
    },
  });
  const train = byCase('train-mlp');
  out.push({
    ...onNode(train, ID.nodes[1]!, slurmEnv(13, ID.nodes[1]!)),
    site: 'meluxina',
    slurm: { cluster: 'meluxina', partition: 'gpu', jobId: ID.arrayJob, arrayTaskId: 13, node: ID.nodes[1]! },
  });

  // a user's program that failed at vega: argv, cwd and stderr with the home path, addresses, a serial number
  out.push(
    newRecord({
      id: 'a7d0c7a6-5d43-4b55-9a53-0d3f5d7c2c11',
      campaign: `acceptance-${ID.user}`,
      suite: 'pytorch',
      case: 'my-train/command/batch=64',
      startedAt: '2026-02-03T10:00:00.000Z',
      finishedAt: '2026-02-03T10:01:00.000Z',
      status: 'failed',
      error: `${HOME}/bench/train.py exited with code 1 on ${ID.vegaNode} (ssh ${ID.user}@${ID.loginHost}, ${ID.otherUser}@${ID.ipv4}) for ${GIVEN.project}`,
      benchmark: { id: 'my-train', kind: 'command', workload: 'command', params: { batch: 64, data: `${HOME}/data` } },
      engine: { name: 'command', requested: [] },
      metric: { name: 'throughput', unit: 'samples/s', direction: 'higher' },
      details: runDetailsSchema.parse({
        kind: 'command',
        argv: [
          'python3',
          `${HOME}/bench/train.py`,
          '--data',
          `/scratch/project_465000123/${ID.user}/data`,
          '--master',
          `${ID.ipv4}:29500`,
        ],
        cwd: `${HOME}/bench`,
        exitCode: 1,
        extraction: "regex 'samples/s: ([0-9.]+)'",
        invocations: 1,
        stderrTail: [
          'Traceback (most recent call last):',
          `  File "${HOME}/bench/train.py", line 12, in <module>`,
          `ConnectionError: [${ID.ipv6}]:29500 and ${ID.linkLocal}%ib0 refused`,
          `nvidia-smi -q: Serial Number : ${ID.serial}; UUID : ${ID.gpuUuid}; MAC ${ID.mac}`,
          `C:\\Users\\${ID.otherUser}\\AppData; {"log": "\\/home\\/${ID.user}\\/x.log"}`,
          `sbatch --account=${GIVEN.account} through ${GIVEN.gateway} for ${GIVEN.project}`,
          `open file:///home/${ID.user}/my%20model.onnx; https://dash.example/job?user=${encodeURIComponent(`${ID.user}`)}&node=${ID.vegaNode}`,
        ].join('\n'),
      }),
      energy: { status: 'unavailable', reason: `no meter on ${ID.vegaNode}` },
      system: {
        ...onNode(gemm, ID.vegaNode).system,
        env: { SLURM_JOB_ID: ID.otherArrayJob, SLURMD_NODENAME: ID.vegaNode },
      },
      site: 'vega',
      slurm: { partition: 'gpu', jobId: ID.otherArrayJob, arrayTaskId: 3, node: ID.vegaNode },
    }),
  );

  // what collect writes for a task that ended before its case wrote a record
  out.push(
    newRecord({
      id: `slurm-meluxina-${ID.arrayJob}_14-4`,
      campaign: 'acceptance',
      suite: 'kernels',
      case: 'gemm/onnxruntime/n=2048,dtype=fp32',
      startedAt: '2026-02-03T10:00:00.000Z',
      finishedAt: '2026-02-03T11:00:00.000Z',
      status: 'timeout',
      error: `Slurm job ${ID.arrayJob}_14 at site meluxina: the job ended TIMEOUT before this case wrote a record. Job log (last lines): srun: error: ${ID.nodes[2]}: task 0: Killed (job ${ID.taskJob})`,
      benchmark: { id: 'gemm', kind: 'kernel', workload: 'gemm', params: { n: 2048, dtype: 'fp32' } },
      engine: { name: 'onnxruntime', requested: [] },
      metric: { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' },
      energy: { status: 'unavailable', reason: 'the case did not run to the end of a measurement' },
      system: unknownSystem('the case wrote no record', ID.nodes[2]!),
      site: 'meluxina',
      slurm: { partition: 'gpu', jobId: ID.arrayJob, arrayTaskId: 14, task: 14, node: ID.nodes[2]!, state: 'TIMEOUT' },
    }),
  );

  // figures to compare: the same GEMM on meluxina's nodes and vega's
  let seed = 1;
  for (const [site, nodes, speed] of [
    ['meluxina', ID.nodes, 1],
    ['vega', [ID.vegaNode], 0.9],
  ] as const)
    for (const node of nodes)
      for (let i = 0; i < 2; i++) {
        const r = syntheticRecord({ site, node, gpu: GPU, median: 15000 * speed, watts: 300, seed: seed++ });
        out.push({
          ...r,
          system: {
            ...r.system,
            gpus: [{ ...r.system.gpus[0]!, uuid: ID.gpuUuid, driver: '550.54.15', cuda: '12.4' }],
          },
          slurm: { ...r.slurm, jobId: site === 'vega' ? ID.otherArrayJob : ID.arrayJob, arrayTaskId: 20 + i },
        });
      }
  return out;
}

/** How an original could show in a written file: as it is, or escaped by HTML, JSON, a script's JSON, a URL,
 *  a Markdown cell or a CSV cell. */
export function writtenForms(original: string): string[] {
  return [
    ...new Set([
      original,
      esc(original),
      JSON.stringify(original).slice(1, -1),
      jsonForScript(original).slice(1, -1),
      encodeURIComponent(original),
      encodeURI(original),
      mdCell(original),
      original.replace(/"/g, '""'),
    ]),
  ];
}

/** The originals found in `text` in any written form (case-insensitive: host names are). A number counts only
 *  standing alone: the digits of a job id inside a longer figure are not that job id. The chart libraries a
 *  report inlines are left out: their code is fedbench's, not the records'. */
export function leaksIn(text: string, originals: readonly string[]): string[] {
  const lowered = text.replace(LIBRARIES, '').toLowerCase();
  return originals.filter((o) =>
    /^\d+$/.test(o)
      ? new RegExp(`(?<![0-9])${o}(?![0-9])`).test(lowered)
      : writtenForms(o).some((f) => lowered.includes(f.toLowerCase())),
  );
}

const LIBRARIES = chartLibraries();

/** The values issue 24's hostile review found surviving a redacted report, each where it was found. */
export const SURVIVED = {
  workloadUser: 'u100234',
  jobUser: 'hq_rk42',
  partition: 'gpu-secret-p7',
  cluster: 'clustrix-q9',
  account: 'p465000999',
  sha256: 'SHA256:Xk3mP9qLr2Tz8WvB5nYc7HdFj4Ga6Ks1Ue0Io2Pl3Qm',
  md5: '3b:7f:c2:19:aa:5e:0d:44:81:96:2c:e7:f0:13:6b:d8',
  bareUuid: '5b0e9d2c-7a41-4f3e-8c6d-1e2f3a4b5c6d',
  siteHost: 'login3.hpc.secretcentre.lu',
  siteDomain: 'secretcentre.lu',
  email: 'zelda.adm@mailhub.uni-secret.lu',
  emailDomain: 'uni-secret.lu',
  taskJob: '8812345',
};

export const SURVIVED_VALUES: string[] = [
  SURVIVED.workloadUser,
  SURVIVED.jobUser,
  SURVIVED.partition,
  SURVIVED.cluster,
  SURVIVED.account,
  SURVIVED.sha256.slice('SHA256:'.length),
  SURVIVED.md5,
  SURVIVED.bareUuid,
  SURVIVED.siteHost,
  SURVIVED.siteDomain,
  'zelda.adm',
  SURVIVED.emailDomain,
  SURVIVED.taskJob,
];

/** Records holding what survived: a `workload: command` benchmark named after the user, the job's Slurm variables,
 *  an SSH refusal with the key's fingerprints, a bare UUID, the site's domain and an e-mail address in text. */
export function survivedRecords(): RunRecord[] {
  const S = SURVIVED;
  return [0, 1].map((i) => {
    const r = syntheticRecord({
      site: i ? 'gamma' : 'delta',
      node: `gnode${i}q7`,
      benchmark: `mycmd/${S.workloadUser}`,
      median: 900 + i,
      gpu: GPU,
      seed: 40 + i,
    });
    return {
      ...r,
      campaign: 'c-survived',
      ...(i
        ? {
            status: 'failed' as const,
            error: `ssh: Host key ${S.sha256} (${S.md5}) refused by ${S.siteHost}; disk ${S.bareUuid}; mail ${S.email} or see ${S.siteDomain}; job ${S.taskJob}`,
          }
        : {}),
      warnings: [`home /home/${S.workloadUser}/bench; contact ${S.email}; volume ${S.bareUuid.toUpperCase()}`],
      system: {
        ...r.system,
        ...(i ? {} : { host: S.siteHost }), // a run on the login node
        env: {
          SLURM_JOB_USER: S.jobUser,
          SLURM_JOB_PARTITION: S.partition,
          SLURM_CLUSTER_NAME: S.cluster,
          SLURM_JOB_ACCOUNT: S.account,
          SLURM_JOB_ID: S.taskJob,
          HOSTNAME_OF_PROXY: S.siteHost,
        },
      },
      slurm: { cluster: S.cluster, partition: S.partition, jobId: S.taskJob, node: `gnode${i}q7` },
    };
  });
}
