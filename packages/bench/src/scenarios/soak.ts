// Soak (reliability): 2,000 distinct closures (a factory called 2,000 times) mapped in turn on one
// thread; the worker's heap after the run against before it, after a garbage collection.
import { ClosurePool, closure } from '@closure-pool/core';
import { goal, type Scenario } from '../scenario.js';
import { stats } from '../stats.js';

export const soak: Scenario = {
  id: 'soak',
  steps: () => 1,
  async run({ quick, tick }) {
    const count = quick ? 500 : 2_000;
    const pool = new ClosurePool({ threads: 1 });
    const heapMb = () =>
      pool.apply(() => {
        (globalThis as { gc?: () => void }).gc?.();
        return process.memoryUsage().heapUsed / 2 ** 20;
      }, []);
    try {
      const offsetBy = (k: number) => closure((x: number) => x + k, { k });
      await pool.map(offsetBy(-1), [1]); // the thread is up and has compiled once
      const before = await heapMb();
      const started = performance.now();
      for (let k = 0; k < count; k++) await pool.map(offsetBy(k), [1, 2, 3]);
      const seconds = (performance.now() - started) / 1000;
      const after = await heapMb();
      tick();
      return {
        title: `Soak: ${count.toLocaleString()} distinct closures mapped in turn on one thread (worker heap, MB)`,
        rows: [
          { contender: 'worker heap before', stats: stats([before]), unit: 'MB' },
          {
            contender: 'worker heap after',
            stats: stats([after]),
            unit: 'MB',
            note: `${((after / before - 1) * 100).toFixed(0)}% over before; ${((seconds * 1e6) / count).toFixed(0)} µs per map`,
          },
        ],
        goals: [
          goal(
            'soak: worker heap after 2,000 distinct closures against before',
            '≤',
            1.25,
            after / before,
            '×',
          ),
        ],
        notes: [
          'the heap is read without a forced collection (gc is not exposed in pool threads), so it includes garbage not yet collected',
        ],
      };
    } finally {
      await pool.close();
    }
  },
};
