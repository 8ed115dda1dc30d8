// 3. CPU-bound scaling: recursive fib(30), about 10 ms a call, 8 items per thread, 1 … cores
// threads, against the main-thread loop and raw piscina with the same function in a static file.
import { ClosurePool, capture } from '@closure-pool/core';
import { newPiscina } from '../peers/peers.js';
import { type Goal, goal, type Row, type Scenario, spread } from '../scenario.js';
import { interleave, pairedRatio, time } from '../stats.js';

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

export const cpuScaling: Scenario = {
  id: 'cpu-scaling',
  steps: ({ quick, cores }) => (quick ? 5 : 31) * cores,
  async run({ quick, cores, tick }) {
    const rows: Row[] = [];
    const goals: Goal[] = [];
    const speedups: { threads: number; speedup: number }[] = [];
    const notes: string[] = [];
    for (let threads = 1; threads <= cores; threads++) {
      const items = Array.from({ length: 8 * threads }, () => 30);
      const pool = new ClosurePool({ threads });
      const piscina = newPiscina(threads);
      const plural = threads > 1 ? 's' : '';
      try {
        const results = await interleave(
          {
            ours: () =>
              time(() =>
                pool.map((n: number) => fib(n), items, capture({ fib }), { chunkSize: 1 }),
              ),
            piscina: () => time(() => Promise.all(items.map((n) => piscina.run({ op: 'fib', n })))),
            main: () => time(() => items.map((n) => fib(n))),
          },
          { reps: quick ? 5 : 31, warmup: 1, tick },
        );
        const ours = results.ours!;
        const peer = results.piscina!;
        const main = results.main!;
        const speedup = main.median / ours.median;
        speedups.push({ threads, speedup });
        rows.push({
          contender: `closure-pool, ${threads} thread${plural}`,
          stats: ours,
          unit: 'ms',
          note: `speedup ${speedup.toFixed(2)}× over the main thread`,
        });
        rows.push({
          contender: `piscina (static worker file), ${threads} thread${plural}`,
          stats: peer,
          unit: 'ms',
          note: `speedup ${(main.median / peer.median).toFixed(2)}×`,
        });
        rows.push({
          contender: `main-thread loop, ${items.length} items`,
          stats: main,
          unit: 'ms',
        });
        // our speedup over piscina's, (main / ours) / (main / peer), is peer / ours: round by round
        const relative = pairedRatio(peer, ours);
        notes.push(`${threads} thread${plural}: speedup against piscina's ${spread(relative)}`);
        goals.push(
          goal(
            `cpu-bound: speedup with ${threads} thread${plural} against piscina's`,
            '≥',
            0.95,
            relative.median,
            '×',
          ),
        );
        if (threads === 1) {
          const ratio = pairedRatio(ours, main);
          // the same ratio for piscina: what a worker thread itself costs this machine
          const peerRatio = pairedRatio(peer, main);
          notes.push(
            `1 thread against the main thread ${spread(ratio)}; piscina's 1 thread against the main thread ${spread(peerRatio)}`,
          );
          goals.push(
            goal('cpu-bound: 1 thread against the main thread', '≤', 1.05, ratio.median, '×'),
          );
        }
      } finally {
        await Promise.all([pool.close(), piscina.destroy()]);
      }
    }
    return {
      title: 'CPU-bound scaling: fib(30), 8 items per thread (ms per map)',
      rows,
      goals,
      notes: [
        'Ratios are medians of the ratio in each round (the contenders measured back to back).',
        ...notes,
        `speedups: ${JSON.stringify(speedups)}`,
      ],
    };
  },
};
