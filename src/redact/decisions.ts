// What redaction does with each field of the record: an allow-list, one decision per string field of the record's
// zod schema (numbers, booleans, enums and literals are figures and fedbench's own vocabulary: kept). A string field
// the schema grows without a decision here fails test/redact/decisions.test.ts, and README's redaction table is
// generated from these (`fedbench redact fields`), so the documentation cannot drift from the code.
import type { LabelKind } from './labels.js';

export type Decision =
  /** Kept as written (units, versions, model names): not searched for shapes, but a value identified elsewhere in
   *  the records is still replaced where it appears. */
  | { keep: string }
  /** The whole value becomes a label of this kind, the same label wherever the value appears. */
  | { label: LabelKind; why: string }
  /** Free text: every identifying value found anywhere, and every value of an identifying shape, is replaced. */
  | { scan: string }
  /** Left out of the shared records. */
  | { drop: string };

const scan = (why: string): Decision => ({ scan: why });
const keep = (why: string): Decision => ({ keep: why });
const label = (kind: LabelKind, why: string): Decision => ({ label: kind, why });

const TYPED = 'typed by the user or a suite: may hold paths and names';
const MESSAGE = 'message text: may quote hosts, paths, addresses';
const VOCAB = "fedbench's or an engine's vocabulary";
const SYSFS = "the kernel's words in sysfs";
const VERSION = 'a version: needed to compare runs';

/** Every string field of the record (a path in the schema: `[]` an array's elements, `*` a record's values). */
export const FIELD_DECISIONS: Readonly<Record<string, Decision>> = {
  id: scan('made of the case and the job'),
  campaign: scan(TYPED),
  suite: scan(TYPED),
  case: scan(TYPED),
  startedAt: keep('a time'),
  finishedAt: keep('a time'),
  error: scan(MESSAGE),
  'benchmark.id': scan(TYPED),
  'benchmark.workload': keep(VOCAB),
  'benchmark.params.*': scan(TYPED),
  'engine.backend': keep(VOCAB),
  'engine.package': keep('an npm or Python package name'),
  'engine.version': keep(VERSION),
  'engine.device': scan("the engine's or program's own words: a GPU's name, a CPU's thread count"),
  'engine.requested[]': keep(VOCAB),
  'engine.fallbacks[].backend': keep(VOCAB),
  'engine.fallbacks[].reason': scan(MESSAGE),
  'metric.name': keep(VOCAB),
  'metric.unit': keep('a unit'),
  'work.note': scan(MESSAGE),
  'verification.params.*': scan(TYPED),
  'secondary[].name': keep(VOCAB),
  'secondary[].unit': keep('a unit'),
  'measurement.harness.allocator': keep(VOCAB),
  'warnings[]': scan(MESSAGE),
  'details.model.*': scan(TYPED),
  'details.optimizer': keep(VOCAB),
  'details.wasmKernels[]': keep(VOCAB),
  'details.modelFile': scan('a path: holds the user in a home folder'),
  'details.latencyPercentiles': keep(VOCAB),
  'details.latencyFrom': keep(VOCAB),
  'details.argv[]': scan(TYPED),
  'details.cwd': scan('a path: holds the user in a home folder'),
  'details.extraction': keep(VOCAB),
  'details.stderrTail': scan("a program's own output"),
  'details.stdoutTail': scan("a program's own output"),
  'details.leftBehind': scan(MESSAGE),
  'details.ranks.nodes[]': label('node', 'the compute nodes of a job of several ranks'),
  'details.ranks.perRank[].node': label('node', "a rank's compute node"),
  'details.ranks.launcher': scan(MESSAGE),
  'details.ranks.rendezvous.masterAddr': scan('an address or a node name: replaced where it is known'),
  'details.ranks.fabric[].node': label('node', 'a node of the job, whose ports its first rank read'),
  'details.ranks.fabric[].infiniband[].device': keep('an HCA name (mlx5_0)'),
  'details.ranks.fabric[].infiniband[].state': keep(SYSFS),
  'details.ranks.fabric[].infiniband[].rate': keep(SYSFS),
  'details.ranks.fabric[].infiniband[].linkLayer': keep(SYSFS),
  'details.comm.backend': keep(VOCAB),
  'details.copies.rows[].src': keep('host, gpu0, gpu1, … (copy_matrix.py)'),
  'details.copies.rows[].dst': keep('host, gpu0, gpu1, … (copy_matrix.py)'),
  'details.comm.transport[]': scan(MESSAGE),
  'details.comm.flag': scan(MESSAGE),
  'details.comm.rows[].collective': keep(VOCAB),
  'details.comm.rows[].dtype': keep(VOCAB),
  'details.sameAs.benchmark': scan(TYPED),
  'details.sameAs.params.*': scan(TYPED),
  'energy.source': keep(VOCAB),
  'energy.efficiency[].name': keep(VOCAB),
  'energy.efficiency[].unit': keep('a unit'),
  'energy.readings[].source': keep(VOCAB),
  'energy.readings[].device': scan('names the GPU by its UUID'),
  'energy.readings[].note': scan(MESSAGE),
  'energy.telemetry[].name': keep('a GPU model'),
  'energy.telemetry[].uuid': label('gpu-uuid', "the GPU's identity"),
  'energy.telemetry[].throttleReasons[]': keep("NVML's vocabulary"),
  'energy.unavailable[].source': keep(VOCAB),
  'energy.unavailable[].reason': scan(MESSAGE),
  'energy.reason': scan(MESSAGE),
  'energy.sources[].source': keep(VOCAB),
  'energy.sources[].reason': scan(MESSAGE),
  'system.host': label('host', 'the machine'),
  'system.os.platform': keep(VOCAB),
  'system.os.release': keep(VERSION),
  'system.os.distro': keep('a distribution and its version'),
  'system.os.arch': keep(VOCAB),
  'system.cpu.model': keep('a CPU model'),
  'system.cpu.flags[]': keep("the CPU's features"),
  'system.gpus[].name': keep('a GPU model'),
  'system.gpus[].uuid': label('gpu-uuid', "the GPU's identity"),
  'system.gpus[].driver': keep(VERSION),
  'system.gpus[].cuda': keep(VERSION),
  'system.gpus[].mig': keep("nvidia-smi's vocabulary"),
  'system.gpus[].ecc': keep("nvidia-smi's vocabulary"),
  'system.gpuSource': keep(VOCAB),
  'system.node': keep(VERSION),
  'system.packages.*': keep(VERSION),
  'system.fabric.infiniband[].device': keep('an HCA name (mlx5_0)'),
  'system.fabric.infiniband[].state': keep(SYSFS),
  'system.fabric.infiniband[].rate': keep(SYSFS),
  'system.fabric.infiniband[].linkLayer': keep(SYSFS),
  'system.fabric.gpuTopology': scan("nvidia-smi's matrix: GPU and NIC names, links, CPU and NUMA affinity"),
  'system.env.*': scan('environment values: see the variables below; any other variable is dropped'),
  site: keep("the site's public name"),
  'slurm.cluster': label('cluster', "the centre's name for the machine"),
  'slurm.partition': label('partition', 'names a queue of the centre'),
  'slurm.jobId': label('job', 'the Slurm job'),
  'slurm.node': label('node', 'the compute node'),
  'slurm.state': keep("Slurm's vocabulary"),
  'slurm.exitCode': keep('an exit code'),
  'slurm.start': keep('a time'),
  'slurm.end': keep('a time'),
  'slurm.energyScope': keep(VOCAB),
  'slurm.energyNote': scan(MESSAGE),
};

/** The recorded environment, by variable: an allow-list; a variable not named here is dropped from shared records. */
export const ENV_DECISIONS: Readonly<Record<string, Decision>> = {
  OMP_NUM_THREADS: keep('a count'),
  OPENBLAS_CORETYPE: keep(VOCAB),
  OPENBLAS_L2_SIZE: keep('a size'),
  OPENBLAS_NUM_THREADS: keep('a count'),
  MKL_NUM_THREADS: keep('a count'),
  CUDA_VISIBLE_DEVICES: scan('indices, or GPU and MIG UUIDs'),
  NVIDIA_VISIBLE_DEVICES: scan('indices, or GPU and MIG UUIDs'),
  ONNXRUNTIME_NODE_INSTALL: keep(VOCAB),
  TF_CPP_MIN_LOG_LEVEL: keep('a level'),
  UV_THREADPOOL_SIZE: keep('a count'),
  GLIBC_TUNABLES: keep("glibc's settings"),
  FEDBENCH_WORKER: keep('an index'),
  FEDBENCH_WORKERS: keep('a count'),
  FEDBENCH_ENERGY_EXCLUDE: keep(VOCAB),
  FEDBENCH_HEAP: keep(VOCAB),
  SLURM_JOB_ID: label('job', 'the Slurm job'),
  SLURM_ARRAY_JOB_ID: label('job', 'the Slurm job'),
  SLURM_ARRAY_TASK_ID: keep('renumbered from 0 within each job'),
  SLURM_STEP_ID: keep('a step number'),
  SLURM_JOB_NAME: scan(TYPED),
  SLURM_CLUSTER_NAME: label('cluster', "the centre's name for the machine"),
  SLURM_JOB_PARTITION: label('partition', 'names a queue of the centre'),
  SLURM_JOB_ACCOUNT: label('account', 'the project billed'),
  SLURM_JOB_USER: label('user', 'the user'),
  SLURM_JOB_NODELIST: scan('node names, each replaced by its label'),
  SLURMD_NODENAME: label('node', 'the compute node'),
  SLURM_JOB_GPUS: keep('GPU indices'),
  SLURM_GPUS_ON_NODE: keep('a count'),
  SLURM_NTASKS: keep('a count'),
  SLURM_PROCID: keep('an index'),
  SLURM_LOCALID: keep('an index'),
  SLURM_CPUS_PER_TASK: keep('a count'),
};

export const DROP_OTHER_ENV: Decision = { drop: 'not on the list above: nothing says what it holds' };

function describe(d: Decision): [string, string] {
  if ('keep' in d) return ['kept', d.keep];
  if ('label' in d) return [`replaced by \`${d.label}-N\``, d.why];
  if ('scan' in d) return ['scanned: identifying values replaced', d.scan];
  return ['dropped', d.drop];
}

/** The decisions as README's Markdown tables (`fedbench redact fields`). */
export function decisionsMarkdown(): string {
  const rows = (entries: Array<[string, Decision]>) =>
    entries.map(([k, d]) => {
      const [what, why] = describe(d);
      return `| \`${k}\` | ${what} | ${why} |`;
    });
  return [
    '| field | shared as | why |',
    '| --- | --- | --- |',
    ...rows(Object.entries(FIELD_DECISIONS)),
    "| every number, boolean, enum and literal | kept | figures and fedbench's vocabulary |",
    '',
    '| `system.env` variable | shared as | why |',
    '| --- | --- | --- |',
    ...rows([...Object.entries(ENV_DECISIONS), ['any other', DROP_OTHER_ENV]]),
    '',
  ].join('\n');
}
