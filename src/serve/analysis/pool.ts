// Heavy analysis off the event loop: the server's large selections (the results page, its ranking fragment, the
// exports), histories with their change points and the regressions of every series run on worker threads, so that
// while one user asks for a year of everything another user's page still answers. Each kind of job has workers of
// its own (made when first needed), so a report of everything never delays a history, nor regressions a report. A job holds its records' text only while it runs (they are read
// from the database when a worker is free), so memory is bounded by the workers, not by the requests waiting; the
// same request made again while it runs (the same selection, output and state of the database) shares its answer.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../errors.js';
import type { Job, JobResults } from './job.js';

export type { AnalysisJob, AnalysisResult, HistoryDrawn, JobOutput, RecordRow, RegressionsFound } from './job.js';

/** The worker's script: beside this module when built; from the build when this module runs as TypeScript (tests). */
function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../../dist/serve/analysis/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`the analysis worker is not built (${fileURLToPath(built)}): run npm run build`);
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Lane {
  size: number;
  slots: Slot[];
  waiting: Array<() => void>;
}

type Kind = Job['kind'];

export interface AnalysisPool {
  /**
   * Runs the job made by `prepare` (called when a worker of its kind is free) on a worker thread. Calls with the
   * same `key` while one runs share its result.
   */
  run<K extends Kind>(kind: K, key: string, prepare: () => Promise<Extract<Job, { kind: K }>>): Promise<JobResults[K]>;
  close(): Promise<void>;
}

/**
 * Reports get one worker per spare core (at least one, at most four: the event loop keeps a core of its own); a
 * history and the regressions one worker each. Memory is bounded by the workers: a job's input is read only when
 * its worker is free.
 */
export function analysisPool(reports = Math.max(1, Math.min(4, os.availableParallelism() - 1))): AnalysisPool {
  const lanes = new Map<Kind, Lane>();
  const shared = new Map<string, Promise<unknown>>();
  let seq = 0;
  let closed = false;

  const laneOf = (kind: Kind): Lane => {
    let lane = lanes.get(kind);
    if (!lane) {
      lane = { size: kind === 'report' ? reports : 1, slots: [], waiting: [] };
      lanes.set(kind, lane);
    }
    return lane;
  };

  const acquire = async (lane: Lane): Promise<Slot> => {
    for (;;) {
      if (closed) throw new Error('the server is closing');
      const free = lane.slots.find((s) => !s.busy);
      if (free) return free;
      if (lane.slots.length < lane.size) {
        const worker = new Worker(workerScript());
        worker.unref();
        const slot = { worker, busy: false };
        lane.slots.push(slot);
        return slot;
      }
      await new Promise<void>((resolve) => lane.waiting.push(resolve));
    }
  };

  const onWorker = (lane: Lane, slot: Slot, job: Job): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const done = () => {
        slot.worker.off('message', onMessage);
        slot.worker.off('error', onError);
      };
      const onMessage = (m: { id: number; result?: unknown; error?: string; input?: boolean }) => {
        if (m.id !== id) return;
        done();
        if (m.error !== undefined) reject(m.input ? new InputError(m.error) : new Error(m.error));
        else resolve(m.result);
      };
      const onError = (err: Error) => {
        done();
        lane.slots.splice(lane.slots.indexOf(slot), 1); // a worker that failed is not used again
        reject(err);
      };
      slot.worker.on('message', onMessage);
      slot.worker.on('error', onError);
      // a report's pages are moved to the worker, not copied (they are not used here again)
      slot.worker.postMessage({ id, job }, job.kind === 'report' ? job.pages.map((p) => p.buffer as ArrayBuffer) : []);
    });

  const execute = async (kind: Kind, prepare: () => Promise<Job>): Promise<unknown> => {
    const lane = laneOf(kind);
    const slot = await acquire(lane);
    slot.busy = true;
    try {
      return await onWorker(lane, slot, await prepare());
    } finally {
      slot.busy = false;
      lane.waiting.shift()?.();
    }
  };

  return {
    run<K extends Kind>(kind: K, key: string, prepare: () => Promise<Extract<Job, { kind: K }>>) {
      const k = JSON.stringify([kind, key]);
      const running = shared.get(k);
      if (running) return running as Promise<JobResults[K]>;
      const p = execute(kind, prepare).finally(() => shared.delete(k));
      shared.set(k, p);
      return p as Promise<JobResults[K]>;
    },
    async close() {
      closed = true;
      for (const lane of lanes.values()) for (const w of lane.waiting.splice(0)) w();
      await Promise.all([...lanes.values()].flatMap((lane) => lane.slots.splice(0).map((s) => s.worker.terminate())));
    },
  };
}
