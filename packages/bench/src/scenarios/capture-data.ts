// Captured data: what a capture of real data costs against structured clone of the same value.
// For each value: v8.serialize + v8.deserialize of it (the peer), a first call (the value changed
// since the last call, so nothing is reused), a warm call (the same value again), and a call with
// a tiny capture. One thread, so that a warm call meets the thread that already holds the value.
import { deserialize, serialize } from 'node:v8';
import { ClosurePool, capture } from '@closure-pool/core';
import { type Goal, goal, type Row, type Scenario } from '../scenario.js';
import { interleave, time } from '../stats.js';

interface Subject {
  readonly name: string;
  make(): unknown;
  /** Changes the value a little, so that the next call is a first call again. */
  touch(value: any, generation: number): void;
}

const subjects: Subject[] = [
  {
    name: 'array of 1e6 numbers',
    make: () => Array.from({ length: 1e6 }, (_, i) => i * 1.5),
    touch: (v, g) => {
      v[0] = g;
    },
  },
  {
    name: '100k records { id, name, tags }',
    make: () =>
      Array.from({ length: 1e5 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', `t${i % 10}`] })),
    touch: (v, g) => {
      v[0].id = g;
    },
  },
  {
    name: '10 MB Float64Array',
    make: () => new Float64Array((10 * 2 ** 20) / 8).map((_, i) => i),
    touch: (v, g) => {
      v[0] = g;
    },
  },
  {
    name: 'Map of 100k entries',
    make: () => new Map(Array.from({ length: 1e5 }, (_, i) => [`k${i}`, i])),
    touch: (v, g) => {
      v.set('k0', g);
    },
  },
  {
    name: 'graph of 50k records sharing 1k hubs, in linked pairs',
    make: () => {
      // shallow on purpose: structured clone recurses, and overflows on long chains
      const hubs = Array.from({ length: 1000 }, (_, i) => ({ hub: i, label: `h${i}` }));
      const records = Array.from({ length: 5e4 }, (_, i) => ({
        n: i,
        hub: hubs[i % 1000],
        partner: null as unknown,
      }));
      records.forEach((record, i) => {
        record.partner = records[i ^ 1];
      });
      return records;
    },
    touch: (v, g) => {
      v[0].n = g;
    },
  },
];

export const captureData: Scenario = {
  id: 'capture-data',
  steps: ({ quick }) => subjects.length * (quick ? 3 : 7),
  async run({ quick, tick }) {
    const pool = new ClosurePool({ threads: 1 });
    const rows: Row[] = [];
    const goals: Goal[] = [];
    const tiny = 1;
    let generation = 0;
    try {
      for (const subject of subjects) {
        const value = subject.make() as any;
        const size = (v: any) => v.length ?? v.size;
        const call = () => pool.apply(() => size(value), [], capture({ size, value }));
        const results = await interleave(
          {
            'v8.serialize + v8.deserialize': () => time(() => deserialize(serialize(value))),
            'first call': () => {
              subject.touch(value, ++generation);
              return time(call);
            },
            'warm call (same value)': () => time(call),
            'call with a tiny capture': () =>
              time(() => pool.apply(() => tiny + 1, [], capture({ tiny }))),
          },
          { reps: quick ? 3 : 7, warmup: 1, tick },
        );
        const v8 = results['v8.serialize + v8.deserialize']!.median;
        const small = results['call with a tiny capture']!.median;
        for (const [contender, stats] of Object.entries(results)) {
          rows.push({
            contender: `${subject.name}: ${contender}`,
            stats,
            unit: 'ms',
            note: `${(stats.median / v8).toFixed(2)}× v8`,
          });
        }
        const first = results['first call']!.median / v8;
        const warm = results['warm call (same value)']!.median / small;
        goals.push(
          goal(`capture data (${subject.name}): first call against v8`, '≤', 2, first, '×'),
        );
        goals.push(
          goal(
            `capture data (${subject.name}): warm call against a tiny capture`,
            '≤',
            1.1,
            warm,
            '×',
          ),
        );
      }
      return {
        title:
          'Captured data: one apply() whose capture holds the value, against v8.serialize + v8.deserialize of it (ms)',
        rows,
        goals,
        notes: [
          'one thread, so that a warm call reaches the thread that already rebuilt the value',
        ],
      };
    } finally {
      await pool.close();
    }
  },
};
