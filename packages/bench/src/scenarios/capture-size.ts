// 4. Capture size: 1,000 items with a 10 MB captured table against a 10-byte one.
import { ClosurePool, capture } from '@closure-pool/core';
import { goal, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const captureSize: Scenario = {
  id: 'capture-size',
  steps: ({ quick }) => (quick ? 3 : 9),
  async run({ quick, cores, tick }) {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const big = new Float64Array((10 * 1024 * 1024) / 8).map((_, i) => i);
    const tiny = new Uint8Array(10).map((_, i) => i);
    const pool = new ClosurePool({ threads: cores });
    try {
      const results = await interleave(
        {
          'closure-pool, 10-byte capture': () =>
            time(() =>
              pool.map((x: number) => x + tiny[x % tiny.length]!, items, capture({ tiny })),
            ),
          'closure-pool, 10 MB capture': () =>
            time(() => pool.map((x: number) => x + big[x % big.length]!, items, capture({ big }))),
        },
        { reps: quick ? 3 : 9, warmup: 1, tick },
      );
      const ratio =
        results['closure-pool, 10 MB capture']!.median /
        results['closure-pool, 10-byte capture']!.median;
      return {
        title:
          'Capture size: map over 1,000 items, capture({ … }) made anew at every call (ms per map)',
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'ms',
        })),
        goals: [goal('capture size: 10 MB capture against a 10-byte one', '≤', 1.3, ratio, '×')],
      };
    } finally {
      await pool.close();
    }
  },
};
