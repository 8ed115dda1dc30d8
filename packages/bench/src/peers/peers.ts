// The peers, created the way their docs show.
import { Piscina } from 'piscina';
import workerpool from 'workerpool';

export const piscinaWorker = new URL('./piscina-worker.cjs', import.meta.url).href;

/** closure-pool's own worker file (dist/worker.cjs beside the package's entry), for stage rows. */
export const closurePoolWorker = new URL('./worker.cjs', import.meta.resolve('@closure-pool/core'));

/** closure-pool's worker file wrapped to report when each chunk's handler ran (see timed-worker.cts). */
export const timedWorker = new URL('./timed-worker.cjs', import.meta.url);

export function newPiscina(threads: number): Piscina {
  return new Piscina({ filename: piscinaWorker, minThreads: threads, maxThreads: threads });
}

export function newWorkerpool(threads: number) {
  return workerpool.pool({ minWorkers: threads, maxWorkers: threads, workerType: 'thread' });
}
