// A measurement taken inside a fresh worker thread: `source` (CommonJS, with `workerData`) posts one
// message, which is the result; the thread is then stopped, before the promise resolves: a thread's
// teardown takes a core for a while, and would slow whatever the bench measures next.
import { Worker } from 'node:worker_threads';

export function measureInThread<T>(source: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData });
    worker.once('message', (result: T) => {
      worker.terminate().then(() => resolve(result), reject);
    });
    worker.once('error', reject);
  });
}
