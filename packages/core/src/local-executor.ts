// [main] The default executor, built from pool options: what a ClosurePool uses on its own, and what
// a remote worker process (such as @closure-pool/bullmq's) runs its chunks on.
import { PiscinaExecutor } from './executor.js';
import { type PoolOptions, resolvePoolOptions } from './options.js';
import type { PayloadHandle } from './protocol.js';
import { findWorkerFile } from './worker-url.js';

export function createLocalExecutor(
  options: Omit<PoolOptions<unknown>, 'executor' | 'init'> = {},
  /** The pool's `init`, encoded: each thread rebuilds and runs it before its first item. */
  init?: PayloadHandle,
): PiscinaExecutor {
  return new PiscinaExecutor({
    ...resolvePoolOptions(options),
    workerFile: findWorkerFile(options.workerFile),
    init,
  });
}
