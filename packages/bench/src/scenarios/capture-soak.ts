// Capture soak (memory): 500 calls, each capturing a different 1 MB value. Every cache on both
// sides of the thread boundary is bounded in bytes, so the heap after the run (after a garbage
// collection) stays within a fixed margin of the heap before it, on the main thread and in each
// worker thread.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClosurePool, capture, closure, moduleRef } from '@closure-pool/core';
import { goal, type Scenario } from '../scenario.js';
import { stats } from '../stats.js';

const MB = 2 ** 20;

/**
 * A full collection, then the bytes in use: heap plus external memory (array buffers, and the
 * shared buffers that hold payload frames).
 */
function usedAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export const captureSoak: Scenario = {
  id: 'capture-soak',
  steps: () => 1,
  async run({ quick, cores, tick }) {
    const calls = quick ? 200 : 500;
    const pool = new ClosurePool({ threads: cores });
    const v8 = moduleRef<typeof import('node:v8')>('node:v8');
    const vm = moduleRef<typeof import('node:vm')>('node:vm');
    const workerThreads = moduleRef<typeof import('node:worker_threads')>('node:worker_threads');
    // the same measurement, in a worker thread, with the thread's id
    const workerUsed = closure(
      () => {
        v8.setFlagsFromString('--expose-gc');
        (vm.runInNewContext('gc') as () => void)();
        const usage = process.memoryUsage();
        return [workerThreads.threadId, usage.heapUsed + usage.arrayBuffers] as const;
      },
      { v8, vm, workerThreads },
    );
    /**
     * The most any thread holds. Each thread is read several times and its least reading kept:
     * buffers a collection frees are returned a little later, off the thread.
     */
    const perThread = async () => {
      const readings = await pool.map(
        () => workerUsed(),
        Array.from({ length: cores * 6 }, (_, i) => i),
        capture({ workerUsed }),
        {
          chunkSize: 1,
        },
      );
      const least = new Map<number, number>();
      for (const [thread, bytes] of readings)
        least.set(thread, Math.min(bytes, least.get(thread) ?? bytes));
      return Math.max(...least.values());
    };
    try {
      await pool.map((x: number) => x, [1, 2, 3, 4]);
      const mainBefore = usedAfterGc();
      const workersBefore = await perThread();
      for (let i = 0; i < calls; i++) {
        const block = new Float64Array(MB / 8).fill(i);
        await pool.map((x: number) => x + block[x]!, [0, 1, 2, 3], capture({ block }));
      }
      const mainGrowth = (usedAfterGc() - mainBefore) / MB;
      const workersGrowth = ((await perThread()) - workersBefore) / MB;
      tick();
      return {
        title: `Capture soak: ${calls} calls, each with a different 1 MB capture (MB held after a full GC, over before)`,
        rows: [
          { contender: 'main thread: growth', stats: stats([mainGrowth]), unit: 'MB' },
          {
            contender: 'worker threads: largest growth',
            stats: stats([workersGrowth]),
            unit: 'MB',
          },
        ],
        goals: [
          goal('capture soak: main thread growth', '≤', 64, mainGrowth, 'MB'),
          goal('capture soak: worker thread growth', '≤', 64, workersGrowth, 'MB'),
        ],
        notes: [
          'after a full collection on each side: heap plus external memory on the main thread (payload frames are shared buffers), heap plus array buffers in a worker (its rebuilt captures); the default cacheBytes (32 MiB) bounds both caches',
        ],
      };
    } finally {
      await pool.close();
    }
  },
};
