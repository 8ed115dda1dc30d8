// 3. CPU-bound scaling: recursive fib(30), about 10 ms a call, 8 items per thread, 1 … cores threads.
import { ClosurePool, capture } from '@closure-pool/core';
import { type Goal, goal, type Row, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

export const cpuScaling: Scenario = {
  id: 'cpu-scaling',
  steps: ({ quick, cores }) => (quick ? 2 : 5) * cores,
  async run({ quick, cores, tick }) {
    const rows: Row[] = [];
    const goals: Goal[] = [];
    const speedups: { threads: number; speedup: number }[] = [];
    for (let threads = 1; threads <= cores; threads++) {
      const items = Array.from({ length: 8 * threads }, () => 30);
      const pool = new ClosurePool({ threads });
      try {
        const results = await interleave(
          {
            [`closure-pool, ${threads} thread${threads > 1 ? 's' : ''}`]: () =>
              time(() =>
                pool.map((n: number) => fib(n), items, capture({ fib }), { chunkSize: 1 }),
              ),
            [`main-thread loop, ${items.length} items`]: () => time(() => items.map((n) => fib(n))),
          },
          { reps: quick ? 2 : 5, warmup: 1, tick },
        );
        const [ours, main] = Object.values(results) as [
          NonNullable<(typeof results)[string]>,
          NonNullable<(typeof results)[string]>,
        ];
        const speedup = main.median / ours.median;
        speedups.push({ threads, speedup });
        rows.push({
          contender: Object.keys(results)[0]!,
          stats: ours,
          unit: 'ms',
          note: `speedup ${speedup.toFixed(2)}× over the main thread`,
        });
        rows.push({ contender: Object.keys(results)[1]!, stats: main, unit: 'ms' });
        goals.push(
          goal(
            `cpu-bound: speedup with ${threads} thread(s)`,
            `≥ ${(0.9 * threads).toFixed(1)}×`,
            speedup,
            speedup >= 0.9 * threads,
          ),
        );
        if (threads === 1) {
          const ratio = ours.median / main.median;
          goals.push(
            goal('cpu-bound: 1 thread against the main thread', '≤ 1.1×', ratio, ratio <= 1.1),
          );
        }
      } finally {
        await pool.close();
      }
    }
    return {
      title: 'CPU-bound scaling: fib(30), 8 items per thread (ms per map)',
      rows,
      goals,
      notes: [`speedups: ${JSON.stringify(speedups)}`],
    };
  },
};
