// 5. Startup: a new pool to its first result, against raw piscina; and what of it is the worker
// file's own loading (a new thread requiring it), the stage the worker's size decides.
import { ClosurePool } from '@closure-pool/core';
import { closurePoolWorker, newPiscina, piscinaWorker } from '../peers/peers.js';
import { goal, type Scenario, spread } from '../scenario.js';
import { interleave, pairedRatio, time } from '../stats.js';
import { measureInThread } from '../thread.js';

/** Milliseconds a new thread takes to require `file` (after Piscina's own thread code). */
function loadTime(file: string): Promise<number> {
  return measureInThread(
    `const { parentPort, workerData } = require('node:worker_threads');
    const started = performance.now();
    require(workerData);
    parentPort.postMessage(performance.now() - started);`,
    file,
  );
}

export const startup: Scenario = {
  id: 'startup',
  steps: ({ quick }) => (quick ? 5 : 31),
  async run({ quick, cores, tick }) {
    const results = await interleave(
      {
        'closure-pool: new pool → first result': async () => {
          const pool = new ClosurePool({ threads: cores });
          const ms = await time(() => pool.apply((a: number) => a + 1, [1]));
          await pool.terminate();
          return ms;
        },
        'piscina: new pool → first result': async () => {
          const piscina = newPiscina(cores);
          const ms = await time(() => piscina.run({ op: 'mul', x: 1, y: 1 }));
          await piscina.destroy();
          return ms;
        },
        'stage: a new thread loads closure-pool’s worker file': () =>
          loadTime(closurePoolWorker.pathname),
        'stage: a new thread loads the peer’s worker file': () =>
          loadTime(new URL(piscinaWorker).pathname),
      },
      { reps: quick ? 5 : 31, warmup: 1, tick },
    );
    const ratio = pairedRatio(
      results['closure-pool: new pool → first result']!,
      results['piscina: new pool → first result']!,
    );
    return {
      title: `Startup: new pool (${cores} threads) to the first result (ms)`,
      rows: Object.entries(results).map(([contender, stats]) => ({ contender, stats, unit: 'ms' })),
      goals: [goal('startup against raw piscina', '≤', 1.2, ratio.median, '×')],
      notes: [`Against piscina, round by round: ${spread(ratio)}.`],
    };
  },
};
