// Heavy analysis off the event loop: the server's large selections (the results page, its ranking fragment, the
// exports) are parsed, modelled and rendered on worker threads, so that while one user asks for a year of
// everything another user's page still answers. A job holds its records' text only while it runs (they are read
// from the database when a worker is free), so memory is bounded by the workers, not by the requests waiting; the
// same request made again while it runs (the same selection, output and state of the database) shares its answer.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../errors.js';
import type { AnalysisJob, AnalysisResult } from './job.js';

export type { AnalysisJob, AnalysisResult, JobOutput, RecordRow } from './job.js';

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

export interface AnalysisPool {
  /**
   * Runs the job made by `prepare` (called when a worker is free) on a worker thread. Calls with the same `key`
   * while one runs share its result.
   */
  run(key: string, prepare: () => Promise<AnalysisJob>): Promise<AnalysisResult>;
  close(): Promise<void>;
}

/** One worker per spare core (at least one): the event loop keeps a core of its own. */
export function analysisPool(size = Math.max(1, Math.min(4, os.availableParallelism() - 1))): AnalysisPool {
  const slots: Slot[] = [];
  const waiting: Array<() => void> = [];
  const shared = new Map<string, Promise<AnalysisResult>>();
  let seq = 0;
  let closed = false;

  const acquire = async (): Promise<Slot> => {
    for (;;) {
      if (closed) throw new Error('the server is closing');
      const free = slots.find((s) => !s.busy);
      if (free) return free;
      if (slots.length < size) {
        const worker = new Worker(workerScript());
        worker.unref();
        const slot = { worker, busy: false };
        slots.push(slot);
        return slot;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  const onWorker = (slot: Slot, job: AnalysisJob): Promise<AnalysisResult> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const done = () => {
        slot.worker.off('message', onMessage);
        slot.worker.off('error', onError);
      };
      const onMessage = (m: { id: number; result?: AnalysisResult; error?: string; input?: boolean }) => {
        if (m.id !== id) return;
        done();
        if (m.error !== undefined) reject(m.input ? new InputError(m.error) : new Error(m.error));
        else resolve(m.result!);
      };
      const onError = (err: Error) => {
        done();
        slots.splice(slots.indexOf(slot), 1); // a worker that failed is not used again
        reject(err);
      };
      slot.worker.on('message', onMessage);
      slot.worker.on('error', onError);
      slot.worker.postMessage({ id, job });
    });

  const execute = async (prepare: () => Promise<AnalysisJob>): Promise<AnalysisResult> => {
    const slot = await acquire();
    slot.busy = true;
    try {
      return await onWorker(slot, await prepare());
    } finally {
      slot.busy = false;
      waiting.shift()?.();
    }
  };

  return {
    run(key, prepare) {
      const running = shared.get(key);
      if (running) return running;
      const p = execute(prepare).finally(() => shared.delete(key));
      shared.set(key, p);
      return p;
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w();
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
