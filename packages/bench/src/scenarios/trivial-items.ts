// 1. Trivial items: map over 100,000 numbers (x => x * y, y captured). Figure: µs per item.
import { ClosurePool, capture } from '@closure-pool/core';
import { newPiscina, newWorkerpool } from '../peers/peers.js';
import { goal, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

export const trivialItems: Scenario = {
  id: 'trivial-items',
  steps: ({ quick }) => (quick ? 5 : 15),
  async run({ quick, cores, tick }) {
    const n = 100_000;
    // one message per item is slow: those contenders get a tenth of the items (still µs per item)
    const nPerItem = 10_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const y = 3;
    const pool = new ClosurePool({ threads: cores });
    const piscina = newPiscina(cores);
    const workerpool = newWorkerpool(cores);
    const perItem = (ms: number, items: number) => (ms * 1000) / items;
    const size = Math.ceil(n / (cores * 4));
    const chunks = Array.from({ length: Math.ceil(n / size) }, (_, i) =>
      xs.slice(i * size, (i + 1) * size),
    );
    const handChunked = async (task: { op: string; y?: number }) =>
      (await Promise.all(chunks.map((c) => piscina.run({ ...task, xs: c })))).flat();
    try {
      const results = await interleave(
        {
          'closure-pool (automatic chunks)': async () =>
            perItem(await time(() => pool.map((x: number) => x * y, xs, capture({ y }))), n),
          // what the results are costs too: numbers and booleans are written as they are, strings
          // as their code units, small plain objects as JSON, anything else through v8.serialize
          'closure-pool, string results': async () =>
            perItem(await time(() => pool.map((x: number) => (x & 1 ? 'odd' : 'even'), xs)), n),
          'closure-pool, object results ({ x })': async () =>
            perItem(await time(() => pool.map((x: number) => ({ x }), xs)), n),
          'piscina, one task per item': async () =>
            perItem(
              await time(() =>
                Promise.all(xs.slice(0, nPerItem).map((x) => piscina.run({ op: 'mul', x, y }))),
              ),
              nPerItem,
            ),
          'piscina, hand-chunked (4 per thread)': async () =>
            perItem(await time(() => handChunked({ op: 'chunk', y })), n),
          // the same objects, each chunk's results cloned as one array
          'piscina, hand-chunked, object results ({ x })': async () =>
            perItem(await time(() => handChunked({ op: 'objects' })), n),
          'workerpool exec, one per item': async () =>
            perItem(
              await time(() =>
                Promise.all(
                  xs
                    .slice(0, nPerItem)
                    .map(
                      async (x) => await workerpool.exec((a: number, b: number) => a * b, [x, y]),
                    ),
                ),
              ),
              nPerItem,
            ),
          'main-thread loop': async () =>
            perItem(
              await time(() => {
                const out = new Array<number>(n);
                for (let i = 0; i < n; i++) out[i] = xs[i]! * y;
                return out;
              }),
              n,
            ),
        },
        { reps: quick ? 5 : 15, warmup: 1, tick },
      );
      const ours = results['closure-pool (automatic chunks)']!.median;
      const perItemPiscina = results['piscina, one task per item']!.median;
      return {
        title: `Trivial items: map over ${n.toLocaleString()} numbers, ${cores} threads (µs per item; one-message-per-item peers run ${nPerItem.toLocaleString()})`,
        rows: Object.entries(results).map(([contender, stats]) => ({
          contender,
          stats,
          unit: 'µs/item',
          note: `${(stats.median / ours).toFixed(2)}× closure-pool`,
        })),
        goals: [
          goal('trivial items: µs per item', '≤', 0.35, ours, 'µs'),
          goal(
            'trivial items: speedup over raw piscina one-task-per-item',
            '≥',
            30,
            perItemPiscina / ours,
            '×',
          ),
        ],
      };
    } finally {
      await Promise.all([pool.close(), piscina.destroy(), workerpool.terminate()]);
    }
  },
};
