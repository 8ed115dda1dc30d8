// 6. The seed scenario (shared/seeds): power_factory(2) over 10 items that each sleep 1 s, 5 threads.
import { ClosurePool, closure } from '@closure-pool/core';
import { goal, type Scenario } from '../scenario.js';
import { stats, time } from '../stats.js';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const seed: Scenario = {
  id: 'seed',
  steps: ({ quick }) => (quick ? 1 : 3),
  async run({ quick, tick }) {
    const powerFactory = (y: number) =>
      closure(
        (x: number) => {
          sleepSync(1000);
          return x ** y;
        },
        { y, sleepSync },
      );
    const samples: number[] = [];
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      const pool = new ClosurePool({ threads: 5 }); // counted: the article's time includes Pool(5)
      samples.push((await time(() => pool.map(powerFactory(2), [...Array(10).keys()]))) / 1000);
      await pool.close();
      tick();
    }
    const s = stats(samples);
    return {
      title:
        'The seed scenario: power_factory(2) over range(10), 1 s each, 5 threads (s, new pool included)',
      rows: [
        {
          contender: 'closure-pool',
          stats: s,
          unit: 's',
          note: "the article's pathos ProcessPool(5): 2.02 s",
        },
      ],
      goals: [goal('seed scenario', '≤', 2.3, s.median, 's')],
    };
  },
};
