// What a thread's death, and the errors a function leaves behind, do to calls: the items that had
// finished keep their outcomes and never run again, a stray error reaches the call that left it
// (or the pool's 'error' event once that call has ended), and threads can be recycled.
//
// Items count their own runs in shared memory: each item carries an Int32Array over one
// SharedArrayBuffer, which structured clone shares instead of copying.
import { capture, moduleRef } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { StrayError, type TaskError, TaskTimeoutError, WorkerCrashedError } from './errors.js';
import { ClosurePool } from './pool.js';

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

type Item = { runs: Int32Array; i: number };
function counted(n: number): { items: Item[]; runs: Int32Array } {
  const runs = new Int32Array(new SharedArrayBuffer(4 * n));
  return { runs, items: Array.from({ length: n }, (_, i) => ({ runs, i })) };
}

function statuses(results: PromiseSettledResult<unknown>[]): string[] {
  return results.map((r) => r.status);
}

describe('a thread that dies mid-chunk', () => {
  it('keeps plain results written as one run, whatever an earlier chunk left further in the log', async () => {
    // an earlier call fills the logs with plain results past where the dying chunk stops
    const earlier = Array.from({ length: 12 }, (_, i) => i);
    await pool.map((i: number) => ({ earlier: i }), earlier, { chunkSize: 6 });
    const { items, runs } = counted(6);
    const results = await pool.map(
      ({ runs, i }: Item) => {
        Atomics.add(runs, i, 1);
        if (i === 3) process.exit(9);
        return i % 2 === 0 ? { i, tags: ['t', i] } : [i];
      },
      items,
      { chunkSize: 6, settle: true },
    );
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'crashed'))).toEqual([
      { i: 0, tags: ['t', 0] },
      [1],
      { i: 2, tags: ['t', 2] },
      'crashed',
      { i: 4, tags: ['t', 4] },
      [5],
    ]);
  });

  it('keeps the outcomes of the items that finished before, and runs none of them again', async () => {
    const { items, runs } = counted(6);
    const results = await pool.map(
      ({ runs, i }: Item) => {
        Atomics.add(runs, i, 1);
        if (i === 3) process.exit(9);
        if (i === 1) throw Object.assign(new RangeError('one'), { code: 'E_ONE' });
        if (i === 2) return { nested: [i, 'x'], at: new Date(0) };
        return i * 10;
      },
      items,
      { chunkSize: 6, settle: true },
    );
    expect(Array.from(runs)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(statuses(results)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[2]).toEqual({
      status: 'fulfilled',
      value: { nested: [2, 'x'], at: new Date(0) },
    });
    const one = (results[1] as PromiseRejectedResult).reason as TaskError;
    expect(one.index).toBe(1);
    expect(one.cause).toBeInstanceOf(RangeError);
    expect((one.cause as { code?: string }).code).toBe('E_ONE');
    const crash = (results[3] as PromiseRejectedResult).reason;
    expect(crash).toBeInstanceOf(WorkerCrashedError);
    expect(crash.index).toBe(3);
    expect(crash.exitCode).toBe(9);
    expect(results.slice(4)).toEqual([
      { status: 'fulfilled', value: 40 },
      { status: 'fulfilled', value: 50 },
    ]);
  });

  it('a timeout stops only the item that ran too long; those before it in its chunk are not rerun', async () => {
    const { items, runs } = counted(4);
    const results = await pool.map(
      ({ runs, i }: Item) => {
        Atomics.add(runs, i, 1);
        if (i === 2) for (;;);
        return i;
      },
      items,
      { chunkSize: 4, settle: true, timeout: 300 },
    );
    expect(Array.from(runs)).toEqual([1, 1, 1, 1]);
    expect(statuses(results)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(TaskTimeoutError);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual([
      0,
      1,
      null,
      3,
    ]);
  });

  it('a timeout bounds each item, not its chunk: a chunk longer than the timeout whose items are not ends well', async () => {
    // five items of 100 ms in one chunk: 500 ms in all, each item far below the 350 ms bound
    const results = await pool.map(
      (i: number) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        return i;
      },
      [0, 1, 2, 3, 4],
      { chunkSize: 5, timeout: 350 },
    );
    expect(results).toEqual([0, 1, 2, 3, 4]);
  });

  it('without settle, the call rejects with the dying item’s error, and no item ran twice', async () => {
    const { items, runs } = counted(5);
    const error = await pool
      .map(
        ({ runs, i }: Item) => {
          Atomics.add(runs, i, 1);
          if (i === 2) process.exit(3);
          return i;
        },
        items,
        { chunkSize: 5 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).index).toBe(2);
    expect(Math.max(...runs)).toBe(1);
  });
});

describe('errors a function leaves behind', () => {
  it('a timer that throws after its call ended goes to the pool’s error event, never to a later call', async () => {
    const strays: unknown[] = [];
    const onError = (error: unknown) => strays.push(error);
    const single = new ClosurePool({ threads: 1 });
    single.on('error', onError);
    try {
      // the timer throws once the later call has opened the gate (gate[0] 1), and says so (2)
      const gate = new Int32Array(new SharedArrayBuffer(4));
      await single.map(
        () => {
          const tick = () => {
            if (Atomics.load(gate, 0) !== 1) return void setTimeout(tick, 1);
            Atomics.store(gate, 0, 2);
            throw new TypeError('left behind');
          };
          setTimeout(tick, 1);
          return 1;
        },
        [1],
        capture({ gate }),
      );
      // a later call running on the same (only) thread while the timer fires
      const later = await single.map(
        async (x: number) => {
          if (x === 1) Atomics.store(gate, 0, 1);
          while (Atomics.load(gate, 0) !== 2)
            await new Promise((resolve) => setTimeout(resolve, 1));
          return x * 2;
        },
        [1, 2],
        capture({ gate }),
        { chunkSize: 2 },
      );
      expect(later).toEqual([2, 4]);
      await waitFor(() => strays.length > 0);
      expect(strays).toHaveLength(1);
      const stray = strays[0] as StrayError;
      expect(stray).toBeInstanceOf(StrayError);
      expect(stray.kind).toBe('uncaughtException');
      expect(stray.cause).toBeInstanceOf(TypeError);
      expect((stray.cause as Error).message).toBe('left behind');
      expect(stray.message).toMatch(/left an error behind.*TypeError: left behind/);
    } finally {
      await single.close();
    }
  });

  it('a rejection nobody awaited, in a call that settles, is the pool’s error event; the items keep their results', async () => {
    const strays: unknown[] = [];
    const single = new ClosurePool({ threads: 1 });
    single.on('error', (error) => strays.push(error));
    try {
      const results = await single.map(
        (x: number) => {
          if (x === 1) void Promise.reject(new Error('nobody awaited me'));
          return x;
        },
        [0, 1, 2],
        { settle: true },
      );
      expect(results).toEqual([0, 1, 2].map((value) => ({ status: 'fulfilled', value })));
      await waitFor(() => strays.length > 0);
      expect(strays).toHaveLength(1);
      expect((strays[0] as StrayError).kind).toBe('unhandledRejection');
      expect(((strays[0] as StrayError).cause as Error).message).toBe('nobody awaited me');
      // the thread lived on
      expect(await single.map((x: number) => x + 1, [1])).toEqual([2]);
    } finally {
      await single.close();
    }
  });

  it('an error thrown by a timer while its call runs fails that call with it; the thread lives on', async () => {
    // the item ends only after the timer has thrown (it says so first)
    const thrown = new Int32Array(new SharedArrayBuffer(4));
    const error = await pool
      .map(
        async () => {
          setTimeout(() => {
            Atomics.store(thrown, 0, 1);
            throw new Error('late boom');
          }, 1);
          while (Atomics.load(thrown, 0) === 0)
            await new Promise((resolve) => setTimeout(resolve, 1));
          // the thread's handler records the error as the throw unwinds: one more turn
          await new Promise((resolve) => setImmediate(resolve));
        },
        [1],
        capture({ thrown }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrayError);
    expect((error as StrayError).message).toMatch(/uncaughtException\): Error: late boom/);
    expect(await pool.map((x: number) => x * 3, [1, 2])).toEqual([3, 6]);
  });

  it('with no listener, a stray error is a process warning, and the calling process carries on', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const single = new ClosurePool({ threads: 1 });
    try {
      await single.map(() => {
        setTimeout(() => {
          throw new Error('warned');
        }, 20);
        return 0;
      }, [0]);
      await waitFor(() => warnings.some((w) => w instanceof StrayError));
      const stray = warnings.find((w) => w instanceof StrayError) as StrayError;
      expect((stray.cause as Error).message).toBe('warned');
      expect(await single.map((x: number) => x, [5])).toEqual([5]);
    } finally {
      process.off('warning', onWarning);
      await single.close();
    }
  });
});

describe('maxTasksPerThread', () => {
  const threadId = moduleRef('node:worker_threads', 'threadId');

  it('replaces a thread after that many chunks: a fresh thread, fresh globals, no item lost', async () => {
    const recycled = new ClosurePool({ threads: 1, maxTasksPerThread: 2 });
    try {
      const seen = await recycled.map(
        () => {
          const g = globalThis as { runsHere?: number };
          g.runsHere = (g.runsHere ?? 0) + 1;
          return [threadId, g.runsHere];
        },
        Array.from({ length: 6 }, (_, i) => i),
        capture({ threadId }),
        { chunkSize: 1 },
      );
      const ids = seen.map(([id]) => id);
      expect(new Set(ids).size).toBe(3);
      expect(ids[0]).toBe(ids[1]);
      expect(ids[1]).not.toBe(ids[2]);
      // what a function leaves on its thread lasts for that thread's chunks only
      for (const id of new Set(ids)) {
        const here = seen.filter(([at]) => at === id).map(([, runs]) => runs);
        expect(here.sort()).toEqual([1, 2]);
      }
      const applied = [];
      for (let i = 0; i < 3; i++)
        applied.push(await recycled.apply(() => threadId, [], capture({ threadId })));
      expect(new Set(applied).size).toBeGreaterThanOrEqual(2);
    } finally {
      await recycled.close();
    }
  });

  it('without it, a thread keeps what functions leave on it between calls', async () => {
    const kept = new ClosurePool({ threads: 1 });
    try {
      const bump = () => {
        const g = globalThis as { kept?: number };
        g.kept = (g.kept ?? 0) + 1;
        return g.kept;
      };
      await kept.map(bump, [0, 1]);
      expect(await kept.map(bump, [0])).toEqual([3]);
      // captured values too: copied into the thread once, changed there, never sent back
      const seen: number[] = [];
      const remember = (x: number) => seen.push(x);
      expect(await kept.map(remember, [7, 8], capture({ seen }), { chunkSize: 1 })).toEqual([1, 2]);
      expect(await kept.map(remember, [9], capture({ seen }))).toEqual([3]);
      expect(seen).toEqual([]);
    } finally {
      await kept.close();
    }
  });

  it('is checked like any option', () => {
    expect(() => new ClosurePool({ maxTasksPerThread: 0 })).toThrow(
      /`maxTasksPerThread` to be an integer from 1 and up or `Infinity`/,
    );
    expect(() => new ClosurePool({ maxtasksperchild: 5 } as never)).toThrow(
      /did you mean `maxTasksPerThread`/,
    );
  });
});

async function waitFor(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('the condition did not come true');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
