import { getEventListeners } from 'node:events';
import { threadId } from 'node:worker_threads';
import { capture, closure, moduleRef } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError, InvalidArgumentError, PoolClosedError } from './errors.js';
import { ClosurePool } from './pool.js';

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

/** Reads the thread id where it runs: node:worker_threads imported by the worker itself. */
const workerThreads = moduleRef<typeof import('node:worker_threads')>('node:worker_threads');
const readThreadId = closure(() => workerThreads.threadId, { workerThreads });

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('map', () => {
  it('runs a closure with its capture on worker threads, results in input order', async () => {
    const y = 2;
    expect(await pool.map((x: number) => x ** y, [1, 2, 3], capture({ y }))).toEqual([1, 4, 9]);
  });

  it('gives results in input order when chunks end out of order', async () => {
    // the first chunk ends last: it waits until the other nine have ended (on the second thread)
    const ended = new Int32Array(new SharedArrayBuffer(4));
    const results = await pool.map(
      (x: number) => {
        if (x < 10)
          while (Atomics.load(ended, 0) < 9) Atomics.wait(ended, 0, Atomics.load(ended, 0), 50);
        else if (x % 10 === 9) {
          // the last item of its chunk
          Atomics.add(ended, 0, 1);
          Atomics.notify(ended, 0);
        }
        return x * 2;
      },
      range(100),
      capture({ ended }),
      { chunkSize: 10 },
    );
    expect(results).toEqual(range(100).map((x) => x * 2));
    expect(Object.keys(results)).toHaveLength(100); // dense, not a sparse array
  });

  it('gives a dense array, undefined results and settled outcomes included, across chunks', async () => {
    const odd = (x: number) => (x % 2 === 1 ? undefined : x);
    const values = await pool.map(odd, range(50), { chunkSize: 7 });
    expect(values).toEqual(range(50).map(odd));
    expect(Object.keys(values)).toHaveLength(50); // every index its own, undefined ones too
    const settled = await pool.map(odd, range(50), { chunkSize: 7, settle: true });
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason))).toEqual(
      range(50).map(odd),
    );
    expect(Object.keys(settled)).toHaveLength(50);
  });

  it('results of every kind arrive as returned, after later chunks reused their threads’ logs', async () => {
    // a Buffer read back as a view of the shared log was overwritten by the slot's next chunk
    const bytes = await pool.map((x: number) => Buffer.from([x & 255, x >> 8]), range(600), {
      chunkSize: 10,
    });
    await pool.map(() => Buffer.alloc(64, 0xff), range(600), { chunkSize: 10 });
    expect(bytes).toEqual(range(600).map((x) => Buffer.from([x & 255, x >> 8])));
    // plain objects (written as JSON) and what JSON cannot carry (written by v8.serialize)
    const shapes = await pool.map(
      (x: number) => {
        const shared = { x };
        return x % 3 === 0 ? { x, tags: ['a', x], nested: { ok: x > 1 } } : [shared, shared, -0];
      },
      range(60),
      { chunkSize: 7 },
    );
    shapes.forEach((result, x) => {
      if (x % 3 === 0) expect(result).toEqual({ x, tags: ['a', x], nested: { ok: x > 1 } });
      else {
        const [a, b, zero] = result as [object, object, number];
        expect(a).toEqual({ x });
        expect(a).toBe(b);
        expect(Object.is(zero, -0)).toBe(true);
      }
    });
  });

  it('a sparse array: its holes are items, read as undefined, also when the function fails to load', async () => {
    // biome-ignore lint/suspicious/noSparseArray: the holes are the point
    const sparse = [1, , 3, , 5];
    expect(
      await pool.map((x: number | undefined) => x ?? 'hole', sparse, { chunkSize: 2 }),
    ).toEqual([1, 'hole', 3, 'hole', 5]);
    const missing = moduleRef('file:///nonexistent/closure-pool-test.mjs');
    const results = await pool.map(
      (x: number | undefined) => [missing, x],
      sparse,
      capture({ missing }),
      { settle: true, chunkSize: 5 },
    );
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
  });

  it('runs off the main thread', async () => {
    const ids = await pool.map(() => readThreadId(), range(4), capture({ readThreadId }));
    for (const id of ids) expect(id).not.toBe(threadId);
  });

  it('calls fn(item, index)', async () => {
    expect(await pool.map((item: string, index: number) => `${index}:${item}`, ['a', 'b'])).toEqual(
      ['0:a', '1:b'],
    );
  });

  it('runs a factory-made closure (the seed scenario: power_factory over range(10) on 5 threads)', async () => {
    const seedPool = new ClosurePool({ threads: 5 });
    try {
      const powerFactory = (y: number) =>
        closure(
          async (x: number) => {
            await sleep(100);
            return x ** y;
          },
          { y, sleep },
        );
      expect(await seedPool.map(powerFactory(2), range(10))).toEqual([
        0, 1, 4, 9, 16, 25, 36, 49, 64, 81,
      ]);
    } finally {
      await seedPool.close();
    }
  });

  it('awaits async functions in the worker', async () => {
    expect(await pool.map(async (x: number) => x + 1, [1, 2])).toEqual([2, 3]);
  });

  it('takes any iterable or async iterable', async () => {
    const double = (x: number) => x * 2;
    expect(await pool.map(double, new Set([1, 2]))).toEqual([2, 4]);
    expect(
      await pool.map(
        double,
        (function* () {
          yield 3;
          yield 4;
        })(),
      ),
    ).toEqual([6, 8]);
    expect(
      await pool.map(
        double,
        (async function* () {
          yield 5;
        })(),
      ),
    ).toEqual([10]);
    expect(await pool.map(double, [])).toEqual([]);
  });

  it('sends items in chunks: each chunk runs on one thread, in order', async () => {
    const where = await pool.map(() => readThreadId(), range(100), capture({ readThreadId }), {
      chunkSize: 50,
    });
    expect(new Set(where.slice(0, 50)).size).toBe(1);
    expect(new Set(where.slice(50)).size).toBe(1);
  });

  it('decodes the capture once per thread, not per chunk', async () => {
    const onePool = new ClosurePool({ threads: 1 });
    try {
      const state = { calls: 0 };
      expect(
        await onePool.map(() => ++state.calls, range(5), capture({ state }), { chunkSize: 1 }),
      ).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await onePool.close();
    }
  });

  it('reports progress up to the total', async () => {
    const seen: { completed: number; total?: number }[] = [];
    await pool.map((x: number) => x, range(20), { chunkSize: 5, onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toEqual({ completed: 20, total: 20 });
    const counts = seen.map((p) => p.completed);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  // issue 21: periodic progress that ignored items still running went unnoticed
  it('reports progress during a long chunk: its items count as they finish, before it ends', async () => {
    const single = new ClosurePool({ threads: 1 });
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const seen: number[] = [];
    try {
      // item 2 waits for a progress report that counts items 0 and 1 (its own chunk's), and says
      // whether it came; the wait is bounded so that the test fails instead of hanging
      const results = await single.map(
        (x: number) => {
          if (x !== 2) return x;
          const until = Date.now() + 20_000;
          while (Atomics.load(gate, 0) === 0 && Date.now() < until) Atomics.wait(gate, 0, 0, 50);
          return Atomics.load(gate, 0) === 1 ? 'reported' : 'not reported';
        },
        range(4),
        capture({ gate }),
        {
          chunkSize: 4,
          onProgress: ({ completed }) => {
            seen.push(completed);
            if (completed >= 2 && Atomics.load(gate, 0) === 0) {
              Atomics.store(gate, 0, 1);
              Atomics.notify(gate, 0);
            }
          },
        },
      );
      expect(results).toEqual([0, 1, 'reported', 3]);
      expect(seen.at(-1)).toBe(4);
    } finally {
      await single.close();
    }
  });

  it('rejects with a CaptureError at the call site when a variable is not captured', async () => {
    const y = 2;
    await expect(pool.map((x: number) => x * y, [1])).rejects.toThrow(CaptureError);
    await expect(pool.map((x: number) => x * y, [1])).rejects.toThrow(
      /fn uses y.*capture\(\{ y \}\)/,
    );
  });

  it('explains a plain object passed where the capture goes', async () => {
    const y = 2;
    await expect(pool.map((x: number) => x * y, [1], { y } as any)).rejects.toThrow(
      /`y`, which are not call options.*capture\(\{ y \}\)/,
    );
  });

  it('items travel as data: a class instance as a plain object with its own fields, as documented', async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    const [seen] = await pool.map(
      (p: Point) => ({
        plain: Object.getPrototypeOf(p) === Object.prototype,
        norm: typeof p.norm,
        x: p.x,
      }),
      [new Point(3, 4)],
    );
    expect(seen).toEqual({ plain: true, norm: 'undefined', x: 3 });
    // the README's way: rebuild it inside, with the class captured
    expect(
      await pool.map(
        (p: Point) => new Point(p.x, p.y).norm(),
        [new Point(3, 4)],
        capture({ Point }),
      ),
    ).toEqual([5]);
  });

  it('refuses a pool captured by a function, saying to make one inside it', async () => {
    await expect(
      pool.map((x: number) => pool.apply((y: number) => y, [x]), [1], capture({ pool })),
    ).rejects.toThrow(
      /^capture\.pool cannot travel to a worker: it is a ClosurePool, whose threads belong to the thread that made it\. .*make a pool there/,
    );
  });

  it.each([
    [{ chunkSize: 0 }, /Expected `chunkSize` to be an integer from 1 and up, got `0` \(number\)/],
    [{ timeout: -1 }, /Expected `timeout` to be a number of milliseconds above 0/],
    [{ signal: 'no' }, /Expected `signal` to be an AbortSignal/],
  ])('refuses bad options %j with the rule and the value', async (options, message) => {
    await expect(pool.map((x: number) => x, [1], undefined, options as any)).rejects.toThrow(
      message,
    );
    await expect(pool.map((x: number) => x, [1], undefined, options as any)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('refuses a bad thread count', () => {
    expect(() => new ClosurePool({ threads: 0 })).toThrow(
      /Expected `threads` to be an integer from 1 and up, got `0` \(number\)/,
    );
  });
});

describe('starmap and apply', () => {
  it('starmap calls fn(...args) for each argument list', async () => {
    expect(
      await pool.starmap(
        (a: number, b: number) => a ** b,
        [
          [2, 3],
          [3, 2],
        ],
      ),
    ).toEqual([8, 9]);
  });

  it('apply returns each primitive exactly, the first time and repeated (the direct path)', async () => {
    const identity = (x: unknown) => x;
    for (const value of [-0, Number.NaN, 2n ** 70n, '', 'text', false, null, undefined, 1e300])
      for (let call = 0; call < 3; call++)
        expect(Object.is(await pool.apply(identity, [value]), value)).toBe(true);
    expect(await pool.apply(() => [1, { a: 2 }], [])).toEqual([1, { a: 2 }]);
  });

  it('apply runs one call', async () => {
    const k = 10;
    expect(await pool.apply((a: number, b: number) => a + b + k, [1, 2], capture({ k }))).toBe(13);
    await expect(pool.apply((a: number) => a, 1 as any)).rejects.toThrow(
      /Expected the arguments to be an array/,
    );
  });
});

describe('imap and imapUnordered', () => {
  it('imap yields in input order as results are ready', async () => {
    // item 0 ends last: it waits (its thread blocked) until the other four have ended, which the
    // pool's second thread runs; no timing involved
    const ended = new Int32Array(new SharedArrayBuffer(4 * 6));
    const out: number[] = [];
    for await (const v of pool.imap(
      (x: number) => {
        if (x === 0)
          while (Atomics.load(ended, 0) < 4) Atomics.wait(ended, 0, Atomics.load(ended, 0), 50);
        const order = Atomics.add(ended, 0, 1);
        Atomics.store(ended, 1 + order, x);
        Atomics.notify(ended, 0);
        return x;
      },
      range(5),
      capture({ ended }),
      { chunkSize: 1 },
    ))
      out.push(v);
    expect(out).toEqual([0, 1, 2, 3, 4]);
    // they did end out of order: item 0 last
    expect(Array.from(ended.subarray(1))[4]).toBe(0);
  });

  it('imap reads an endless generator lazily and stops on break', async () => {
    let produced = 0;
    const endless = (function* () {
      for (;;) yield produced++;
    })();
    const out: number[] = [];
    for await (const v of pool.imap((x: number) => x * 2, endless)) {
      out.push(v);
      if (out.length === 1000) break;
    }
    expect(out).toEqual(range(1000).map((x) => x * 2));
    expect(produced).toBeLessThan(1000 + 200_000); // a bounded window, never the whole input
    expect(await pool.map((x: number) => x, [1])).toEqual([1]); // the pool is fine afterwards
  });

  it('imapUnordered yields in completion order', async () => {
    // item 0 ends only once this side has received item 1
    const received = new Int32Array(new SharedArrayBuffer(4));
    const out: number[] = [];
    for await (const v of pool.imapUnordered(
      (x: number) => {
        if (x === 0) while (Atomics.load(received, 0) === 0) Atomics.wait(received, 0, 0, 50);
        return x;
      },
      [0, 1],
      capture({ received }),
      { chunkSize: 1 },
    )) {
      out.push(v);
      if (v === 1) {
        Atomics.store(received, 0, 1);
        Atomics.notify(received, 0);
      }
    }
    expect(out).toEqual([1, 0]);
  });

  it('imap with settle yields every outcome', async () => {
    const out = [];
    for await (const v of pool.imap(
      (x: number) => {
        if (x === 1) throw new Error('one');
        return x;
      },
      range(3),
      undefined,
      { settle: true },
    ))
      out.push(v.status);
    expect(out).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('lifecycle', () => {
  it('close() lets calls already made finish, then refuses new ones', async () => {
    const p = new ClosurePool({ threads: 2 });
    // the items run until this side opens the gate, after close() was called
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const running = p.map(
      (x: number) => {
        Atomics.add(gate, 1, 1);
        while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 50);
        return x;
      },
      range(4),
      capture({ gate }),
      { chunkSize: 1 },
    );
    let closed = false;
    const closing = p.close().then(() => {
      closed = true;
    });
    await expect(p.map((x: number) => x, [1])).rejects.toThrow(PoolClosedError);
    while (Atomics.load(gate, 1) === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // an item is running: close() waits for it
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    expect(await running).toEqual(range(4));
    await closing;
    expect(closed).toBe(true);
  });

  it('terminate() rejects calls in progress with PoolClosedError', async () => {
    const p = new ClosurePool({ threads: 1 });
    const started = new Int32Array(new SharedArrayBuffer(4));
    const running = p.map(
      () => {
        Atomics.store(started, 0, 1);
        for (;;);
      },
      [1],
      capture({ started }),
    );
    const outcome = expect(running).rejects.toThrow(PoolClosedError);
    // it is running (a condition, not a time)
    while (Atomics.load(started, 0) === 0) await new Promise((resolve) => setImmediate(resolve));
    await p.terminate();
    await outcome;
  });

  it('await using closes the pool', async () => {
    let outer: ClosurePool | undefined;
    {
      await using p = new ClosurePool({ threads: 1 });
      outer = p;
      expect(await p.map((x: number) => x + 1, [1])).toEqual([2]);
    }
    await expect(outer.map((x: number) => x, [1])).rejects.toThrow(PoolClosedError);
  });

  it('leaves no listener on the signal after a call', async () => {
    const controller = new AbortController();
    await pool.map((x: number) => x, range(10), { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
