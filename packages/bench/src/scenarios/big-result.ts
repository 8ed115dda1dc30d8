// 12. A large result: 100 MB of Float64Array back from one call, copied (structured clone) or moved
// with transfer() (zero-copy: the buffer changes hands).
import { ClosurePool, capture, transfer } from '@closure-pool/core';
import { goal, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const bigResult: Scenario = {
  id: 'big-result',
  steps: ({ quick }) => (quick ? 3 : 7),
  async run({ quick, tick }) {
    const length = (100 * 1024 * 1024) / 8;
    const pool = new ClosurePool({ threads: 1 });
    try {
      const results = await interleave(
        {
          'copied (structured clone)': () =>
            time(() => pool.apply((n: number) => new Float64Array(n).fill(1), [length])),
          'moved with transfer()': () =>
            time(() =>
              pool.apply(
                (n: number) => transfer(new Float64Array(n).fill(1)),
                [length],
                capture({ transfer }),
              ),
            ),
        },
        { reps: quick ? 3 : 7, warmup: 1, tick },
      );
      const copied = results['copied (structured clone)']!.median;
      const moved = results['moved with transfer()']!.median;
      return {
        title: 'A 100 MB result (Float64Array) from one apply, copied or moved (ms per call)',
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'ms',
          note: `${(stats.median / copied).toFixed(2)}× copied`,
        })),
        goals: [goal('100 MB result: transfer() against a copy', '<', 1, moved / copied, '×')],
      };
    } finally {
      await pool.close();
    }
  },
};
