// What a call leaves behind once it has ended: nothing of the caller's. Its items, its function and
// what that function closes over can be collected, whether the call succeeded, failed, was cut
// short or timed out (CPython's _test_multiprocessing, test_release_task_refs: "task should be
// released after use", bpo-29861).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { capture } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { ClosurePool } from './pool.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

type Track = <T extends object>(value: T) => T;

/**
 * How many of the objects `call` tracked are still alive once it has ended and the heap has been
 * collected (a few times, with turns of the event loop between, for finalizers to run).
 */
async function survivors(call: (track: Track) => Promise<unknown>): Promise<number> {
  let alive = 0;
  const registry = new FinalizationRegistry(() => alive--);
  const track: Track = (value) => {
    alive++;
    registry.register(value, undefined);
    return value;
  };
  await call(track).catch(() => undefined);
  for (let round = 0; round < 20 && alive > 0; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return alive;
}

/** A function closing over an object, and items: everything the caller hands the pool. */
function work(track: Track) {
  const scale = track({ by: 2 });
  const times = track((x: number) => x * scale.by);
  const items = Array.from({ length: 8 }, (_, i) => track({ i }));
  return { scale, times, items };
}

describe('after a call, the pool holds nothing of the caller’s', () => {
  it('map, imap read to the end or left early, imapUnordered, starmap', async () => {
    const calls: [string, (track: Track) => Promise<unknown>][] = [
      [
        'map',
        async (track) => {
          const { scale, times, items } = work(track);
          await pool.map((o) => times(o.i), items, capture({ times, scale }), { chunkSize: 3 });
        },
      ],
      [
        'imap, left after the first result',
        async (track) => {
          const { scale, times, items } = work(track);
          for await (const _ of pool.imap((o) => times(o.i), items, capture({ times, scale }), {
            chunkSize: 1,
          }))
            break;
        },
      ],
      [
        'imapUnordered',
        async (track) => {
          const { scale, times, items } = work(track);
          for await (const _ of pool.imapUnordered(
            (o) => times(o.i),
            items,
            capture({ times, scale }),
          ));
        },
      ],
      [
        'starmap',
        async (track) => {
          const { scale, times, items } = work(track);
          await pool.starmap(
            (o: { i: number }, k: number) => times(o.i) + k,
            items.map((o) => [o, 1] as [{ i: number }, number]),
            capture({ times, scale }),
          );
        },
      ],
    ];
    for (const [name, call] of calls) expect([name, await survivors(call)]).toEqual([name, 0]);
  });

  it('when items fail: the call rejects, settles, or times out', async () => {
    const calls: [string, (track: Track) => Promise<unknown>][] = [
      [
        'map that rejects',
        async (track) => {
          const { scale, times, items } = work(track);
          await pool.map(
            (o) => {
              if (o.i === 3) throw new Error('three');
              return times(o.i);
            },
            items,
            capture({ times, scale }),
          );
        },
      ],
      [
        'map that settles',
        async (track) => {
          const { scale, times, items } = work(track);
          await pool.map(
            (o) => {
              if (o.i % 2) throw new Error('odd');
              return times(o.i);
            },
            items,
            capture({ times, scale }),
            { settle: true },
          );
        },
      ],
      [
        'map past its timeout',
        async (track) => {
          const { scale, times, items } = work(track);
          await pool.map(
            (o) => {
              const until = Date.now() + 2_000;
              while (Date.now() < until);
              return times(o.i);
            },
            items.slice(0, 1),
            capture({ times, scale }),
            { timeout: 50 },
          );
        },
      ],
    ];
    for (const [name, call] of calls) expect([name, await survivors(call)]).toEqual([name, 0]);
  });

  it('apply, repeated (its direct path), succeeding and failing', async () => {
    const succeeding = await survivors(async (track) => {
      const { scale, times } = work(track);
      const call = track((x: number) => times(x));
      for (let i = 0; i < 3; i++) await pool.apply(call, [i], capture({ times, scale }));
    });
    const failing = await survivors(async (track) => {
      const { scale, times } = work(track);
      const call = track((x: number) => {
        throw new Error(`no ${times(x)}`);
      });
      for (let i = 0; i < 3; i++)
        await pool.apply(call, [i], capture({ times, scale })).catch(() => undefined);
    });
    expect({ succeeding, failing }).toEqual({ succeeding: 0, failing: 0 });
  });
});
