// A case run as several ranks (nodes × ranks per node): where each rank ran and its figure, and, for a
// communication benchmark, its table per message size and the transport the library really used.
import { z } from 'zod';

/** One InfiniBand (or RoCE) port as sysfs says it, as `ibstat` shows it. */
export const infinibandPortSchema = z.object({
  device: z.string(),
  port: z.number().int(),
  state: z.string(),
  rate: z.string(),
  gbitPerSec: z.number().nullable(),
  linkLayer: z.string(),
});

export const rankFigureSchema = z.object({
  rank: z.number().int().nonnegative(),
  node: z.string(),
  localRank: z.number().int().nonnegative(),
  /** The rank's own figure from its last invocation (its last match), null when it printed none. */
  figure: z.number().nullable(),
  exitCode: z.number().int().nullable(),
});

export const ranksSchema = z.object({
  world: z.number().int().positive(),
  nodes: z.array(z.string()),
  perNode: z.number().int().positive(),
  /** What started the ranks: fedbench's local processes, or the job's launcher step (srun …). */
  launcher: z.string(),
  rendezvous: z.object({ masterAddr: z.string(), masterPort: z.number().int().nullable() }),
  perRank: z.array(rankFigureSchema),
  /** Over the ranks' figures; the slowest rank by the metric's direction. Null when no rank gave a figure. */
  summary: z.object({ min: z.number(), median: z.number(), max: z.number(), slowestRank: z.number().int() }).nullable(),
  /**
   * Every node's InfiniBand ports, as the node's first rank read them in the job's launcher step (rank 0's node is
   * also in system.fabric); absent where fedbench started the ranks itself (one node: system.fabric).
   */
  fabric: z.array(z.object({ node: z.string(), infiniband: z.array(infinibandPortSchema) })).optional(),
});

/** One row of a collective sweep, nccl-tests' columns: bytes per rank as nccl-tests counts them, time per call. */
export const commRowSchema = z.object({
  collective: z.string(),
  dtype: z.string(),
  bytes: z.number().nonnegative(),
  /** Median time per call, microseconds. */
  timeUs: z.number().positive(),
  /** bytes / time, GB/s (1e9). */
  algbw: z.number().nonnegative(),
  /** algbw × nccl-tests' factor for this collective and world size, GB/s. */
  busbw: z.number().nonnegative(),
  /** The result was compared with its expected value before timing. */
  checked: z.boolean(),
});

export const commSchema = z.object({
  /** torch.distributed's backend as the program reported it (gloo, nccl, mpi). */
  backend: z.string(),
  /** How the bytes travelled, in the library's words (NCCL's log) or as known for the backend (gloo: TCP). */
  transport: z.array(z.string()),
  /** Set when a multi-node run fell back to sockets or used a single network rail. */
  flag: z.string().optional(),
  rows: z.array(commRowSchema),
  /** Ranks and nodes of the collective as the program reported them, when fedbench did not start the ranks itself
   * (nccl-tests driving every GPU from one process, `mpirun -np N`); a ranked case's are in details.ranks. */
  world: z.number().int().positive().optional(),
  nodes: z.number().int().positive().optional(),
  /** Median share of a training step spent communicating, as the program measured it (data-parallel training). */
  commShare: z.number().min(0).max(1).optional(),
});

/**
 * One cell of a node's copy matrix (copy_matrix.py, what nvbandwidth shows): bytes copied from `src` to `dst`
 * ("host", "gpu0", …), one direction, GB/s (1e9); `peer`: whether the driver allows peer access between the two GPUs
 * (null when one end is the host).
 */
export const copyRowSchema = z.object({
  src: z.string(),
  dst: z.string(),
  bytes: z.number().positive(),
  gbPerSec: z.number().nonnegative(),
  peer: z.boolean().nullable(),
  checked: z.boolean(),
});

export const copiesSchema = z.object({ rows: z.array(copyRowSchema) });

export type Ranks = z.infer<typeof ranksSchema>;
export type CopyRow = z.infer<typeof copyRowSchema>;
export type CommRow = z.infer<typeof commRowSchema>;
export type Comm = z.infer<typeof commSchema>;
