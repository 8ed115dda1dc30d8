// Idle memory: what each idle thread of a warmed pool costs the process (its resident memory),
// against raw piscina with its static worker file.
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClosurePool } from '@closure-pool/core';
import { newPiscina } from '../peers/peers.js';
import { goal, type Scenario } from '../scenario.js';
import { interleave } from '../stats.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The process's resident memory once garbage is collected and the threads have settled. */
async function settledRss(): Promise<number> {
  await sleep(300);
  gc();
  return process.memoryUsage().rss;
}

/** MB of resident memory per thread that a pool of `threads` adds, each thread having run a call. */
async function perThread(
  threads: number,
  start: () => { warm: () => Promise<unknown>; stop: () => Promise<unknown> },
): Promise<number> {
  const before = await settledRss();
  const pool = start();
  try {
    await Promise.all(Array.from({ length: threads * 4 }, () => pool.warm()));
    return ((await settledRss()) - before) / threads / 2 ** 20;
  } finally {
    await pool.stop();
  }
}

export const idleMemory: Scenario = {
  id: 'idle-memory',
  steps: ({ quick }) => (quick ? 5 : 9),
  async run({ quick, cores, tick }) {
    const results = await interleave(
      {
        'closure-pool, per idle thread': () =>
          perThread(cores, () => {
            const pool = new ClosurePool({ threads: cores });
            return {
              warm: () => pool.apply((a: number) => a + 1, [1]),
              stop: () => pool.close(),
            };
          }),
        'piscina, per idle thread': () =>
          perThread(cores, () => {
            const piscina = newPiscina(cores);
            return {
              warm: () => piscina.run({ op: 'mul', x: 1, y: 1 }),
              stop: () => piscina.destroy(),
            };
          }),
      },
      { reps: quick ? 5 : 9, warmup: 1, tick },
    );
    const ours = results['closure-pool, per idle thread']!.median;
    const peer = results['piscina, per idle thread']!.median;
    return {
      title: `Idle memory: resident memory per idle thread of a warmed pool of ${cores} (MB)`,
      rows: Object.entries(results).map(([contender, stats]) => ({
        contender,
        stats,
        unit: 'MB',
        note: `${(stats.median / peer).toFixed(2)}× piscina`,
      })),
      goals: [goal('idle memory per thread against piscina', '≤', 1.2, ours / peer, '×')],
    };
  },
};
