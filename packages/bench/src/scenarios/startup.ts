// 5. Startup: a new pool to its first result, against raw piscina.
import { ClosurePool } from '@closure-pool/core';
import { newPiscina } from '../peers/peers.js';
import { goal, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const startup: Scenario = {
  id: 'startup',
  steps: ({ quick }) => (quick ? 3 : 15),
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
      },
      { reps: quick ? 3 : 15, warmup: 1, tick },
    );
    const ratio =
      results['closure-pool: new pool → first result']!.median /
      results['piscina: new pool → first result']!.median;
    return {
      title: `Startup: new pool (${cores} threads) to the first result (ms)`,
      rows: Object.entries(results).map(([contender, stats]) => ({ contender, stats, unit: 'ms' })),
      goals: [goal('startup against raw piscina', '≤ 1.25×', ratio, ratio <= 1.25)],
    };
  },
};
