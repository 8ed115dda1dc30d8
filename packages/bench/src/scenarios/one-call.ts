// 2. One call: the latency of apply against raw piscina's run and workerpool's exec.
import { ClosurePool } from '@closure-pool/core';
import { Piscina } from 'piscina';
import { newPiscina, newWorkerpool, piscinaWorker } from '../peers/peers.js';
import { goal, type Scenario, spread } from '../scenario.js';
import { interleave, pairedRatio, usPerCall } from '../stats.js';

export const oneCall: Scenario = {
  id: 'one-call',
  steps: ({ quick }) => (quick ? 31 : 301),
  async run({ quick, cores, tick }) {
    // many short rounds rather than a few long ones: a slow spell of this shared machine then
    // falls inside one round, where both sides share it (six runs of the goal's ratio spread over
    // 1.33–1.53 with 151 rounds of 20 calls, over 1.24–1.77 with 31 rounds of 100)
    const calls = 20;
    const pool = new ClosurePool({ threads: cores });
    const piscina = newPiscina(cores);
    // Piscina as closure-pool runs it: a thread's event loop keeps running between tasks
    const piscinaLoop = new Piscina({
      filename: piscinaWorker,
      minThreads: cores,
      maxThreads: cores,
      atomics: 'disabled',
    });
    const workerpool = newWorkerpool(cores);
    const sequential = (call: () => Promise<unknown>) => usPerCall(calls, call)();
    try {
      const results = await interleave(
        {
          'closure-pool apply': () =>
            sequential(() => pool.apply((a: number, b: number) => a * b, [6, 7])),
          'piscina run': () => sequential(() => piscina.run({ op: 'mul', x: 6, y: 7 })),
          'piscina run, event loop kept (atomics disabled)': () =>
            sequential(() => piscinaLoop.run({ op: 'mul', x: 6, y: 7 })),
          'workerpool exec': () =>
            sequential(async () => await workerpool.exec((a: number, b: number) => a * b, [6, 7])),
        },
        { reps: quick ? 31 : 301, warmup: 5, tick },
      );
      const ours = results['closure-pool apply']!;
      const peer = results['piscina run']!;
      const loopKept = results['piscina run, event loop kept (atomics disabled)']!;
      const ratio = pairedRatio(ours, peer);
      const sameMode = pairedRatio(ours, loopKept);
      const modeCost = pairedRatio(loopKept, peer);
      return {
        title: `One call: latency of one call, ${calls} in a row (µs per call)`,
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'µs/call',
          note: `${(stats.median / peer.median).toFixed(2)}× piscina`,
        })),
        goals: [goal('one call: apply latency against piscina run', '≤', 1.2, ratio.median, '×')],
        notes: [
          `Ratios are medians of the ratio in each round (both sides measured back to back): apply against piscina ${spread(ratio)}; against piscina with the same thread mode (event loop kept between tasks) ${spread(sameMode)}; that thread mode alone costs piscina ${spread(modeCost)}.`,
        ],
      };
    } finally {
      await Promise.all([
        pool.close(),
        piscina.destroy(),
        piscinaLoop.destroy(),
        workerpool.terminate(),
      ]);
    }
  },
};
