// The worker thread's side of the pool: one job at a time, answered by its id.
import { parentPort } from 'node:worker_threads';
import { errorText, InputError } from '../../errors.js';
import { type Job, runAny } from './job.js';

parentPort!.on('message', (m: { id: number; job: Job }) => {
  try {
    parentPort!.postMessage({ id: m.id, result: runAny(m.job) });
  } catch (err) {
    // a user's error (e.g. a site profile that cannot be read for redaction) stays one: a 400, not a 500
    parentPort!.postMessage({ id: m.id, error: errorText(err), input: err instanceof InputError });
  }
});
