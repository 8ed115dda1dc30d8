import { getEventListeners } from 'node:events';
import { capture } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ClosurePoolError,
  ErrorCode,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';
import type { Executor } from './executor.js';
import { ClosurePool } from './pool.js';

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spin = () => {
  for (;;);
};

async function failure(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
}

describe('an error thrown by fn', () => {
  it('rejects map with a TaskError naming the item, the original rebuilt as its cause', async () => {
    const error = await failure(
      pool.map(function failing(x: number) {
        if (x === 3)
          throw Object.assign(new RangeError(`bad ${x}`, { cause: new Error('root cause') }), {
            code: 'E_BAD',
          });
        return x;
      }, range(5)),
    );
    expect(error).toBeInstanceOf(TaskError);
    expect(error.code).toBe(ErrorCode.TASK_FAILED);
    expect(error.index).toBe(3);
    expect(error.message).toBe('Item 3 failed: RangeError: bad 3');
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.cause.code).toBe('E_BAD');
    expect(error.cause.cause.message).toBe('root cause');
    // the user's frame, where failing is written (not the worker's closure-pool:/// script)
    expect(error.cause.stack).toMatch(/at failing \(.*failures\.test\.ts:\d+:\d+\)/);
  });

  it('arrives useful whatever was thrown: 42, a Symbol, an AggregateError', async () => {
    const settled = await pool.map(
      (kind: string) => {
        if (kind === 'number') throw 42;
        if (kind === 'symbol') throw Symbol('s');
        throw new AggregateError([new TypeError('a')], 'many');
      },
      ['number', 'symbol', 'aggregate'],
      { settle: true },
    );
    const causes = settled.map((s) =>
      s.status === 'rejected' ? (s.reason as TaskError).cause : undefined,
    ) as any[];
    expect(causes[0]).toBe(42);
    expect(causes[1].message).toBe('A non-Error value was thrown: Symbol(s)');
    expect(causes[2]).toBeInstanceOf(AggregateError);
    expect(causes[2].errors[0]).toBeInstanceOf(TypeError);
  });

  it('does not start items after the first failure', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const onePool = new ClosurePool({ threads: 1 });
    try {
      const items = range(50).map((i) => ({ i, counter }));
      await failure(
        onePool.map(
          ({ i, counter }: { i: number; counter: Int32Array }) => {
            Atomics.add(counter, 0, 1);
            if (i === 0) throw new Error('first');
            return i;
          },
          items,
          { chunkSize: 1 },
        ),
      );
      // a call behind it on the one thread: whatever of the failed call was still queued ran first
      expect(await onePool.map((x: number) => x, [7])).toEqual([7]);
      expect(Atomics.load(counter, 0)).toBeLessThanOrEqual(3);
    } finally {
      await onePool.close();
    }
  });

  it('with settle, gives one outcome per item', async () => {
    const results = await pool.map(
      (x: number) => {
        if (x % 2) throw new Error(`odd ${x}`);
        return x;
      },
      range(4),
      { settle: true },
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[3]?.status === 'rejected' && results[3].reason.index).toBe(3);
  });
});

describe('a result that cannot be cloned', () => {
  it('fails its own item, naming it, and nothing hangs', async () => {
    const results = await pool.map((x: number) => (x === 1 ? () => x : x), range(3), {
      settle: true,
    });
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 2 });
    const reason = results[1]?.status === 'rejected' ? results[1].reason : undefined;
    expect(reason).toBeInstanceOf(TaskError);
    expect(reason.code).toBe(ErrorCode.RESULT_NOT_CLONEABLE);
    expect(reason.index).toBe(1);
    expect(reason.message).toMatch(
      /Item 1: The function returned a function, which cannot be sent back to the main thread/,
    );
  });
});

describe('abort', () => {
  it('stops running items, rejects with signal.reason, removes its listener, and the pool keeps working', async () => {
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const started = new Int32Array(new SharedArrayBuffer(4));
    const running = pool.map(
      () => {
        Atomics.add(started, 0, 1);
        return spin();
      },
      range(4),
      capture({ spin, started }),
      { signal: controller.signal, chunkSize: 1 },
    );
    // both threads are in a never-ending item: aborted now, not after some time
    while (Atomics.load(started, 0) < 2) await sleep(5);
    controller.abort(reason);
    expect(await failure(running)).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(await pool.map((x: number) => x * 2, range(4))).toEqual([0, 2, 4, 6]);
  });

  // issue 21: apply ignoring its signal went unnoticed. The function blocks until told to end (it
  // never is): only stopping its thread ends the call. Shared memory says when it started.
  it.each([
    ['its first call (watched)', false],
    ['a later call (sent directly)', true],
  ])(
    'apply honours its signal on %s: rejects with the reason, the pool goes on',
    async (_, warm) => {
      const state = new Int32Array(new SharedArrayBuffer(4));
      const block = (wait: boolean) => {
        if (!wait) return 'quick';
        Atomics.store(state, 0, 1);
        Atomics.wait(state, 0, 1); // until notified, which nothing does
        return 'finished';
      };
      if (warm) expect(await pool.apply(block, [false], capture({ state }))).toBe('quick');
      const controller = new AbortController();
      const reason = new Error('user cancelled');
      const running = pool.apply(block, [true], capture({ state }), { signal: controller.signal });
      while (Atomics.load(state, 0) !== 1) await sleep(5); // it started: no time bound, a condition
      controller.abort(reason);
      expect(await failure(running)).toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(await pool.apply((x: number) => x + 1, [1])).toBe(2);
    },
  );

  it('an already aborted signal rejects at once and runs nothing', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const reason = new Error('too late');
    const error = await failure(
      pool.map((c: Int32Array) => Atomics.add(c, 0, 1), [counter], {
        signal: AbortSignal.abort(reason),
      }),
    );
    expect(error).toBe(reason);
    // calls behind it on every thread: anything of the aborted call queued would have run first
    await pool.map((x: number) => x, range(8), { chunkSize: 1 });
    expect(Atomics.load(counter, 0)).toBe(0);
  });
});

describe('timeout', () => {
  it('fails an item that runs too long with TaskTimeoutError; the others finish', async () => {
    const results = await pool.map(
      (x: number) => (x === 2 ? spin() : x),
      range(6),
      capture({ spin }),
      {
        timeout: 300,
        settle: true,
        chunkSize: 3,
      },
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const reason = results[2]?.status === 'rejected' ? results[2].reason : undefined;
    expect(reason).toBeInstanceOf(TaskTimeoutError);
    expect(reason.index).toBe(2);
    expect(reason.message).toMatch(/Item 2 ran longer than the timeout of 300 ms/);
    expect(await pool.map((x: number) => x, range(3))).toEqual([0, 1, 2]);
  });
});

describe('a thread that dies', () => {
  it('process.exit() fails that item with WorkerCrashedError and its exit code; the rest are unaffected', async () => {
    const results = await pool.map((x: number) => (x === 1 ? process.exit(7) : x), range(4), {
      settle: true,
      chunkSize: 2,
    });
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const reason = results[1]?.status === 'rejected' ? results[1].reason : undefined;
    expect(reason).toBeInstanceOf(WorkerCrashedError);
    expect(reason.exitCode).toBe(7);
    expect(reason.message).toMatch(/The thread running item 1 died because it exited with code 7/);
  });

  it('running out of memory under resourceLimits fails the item; the next map works', async () => {
    const small = new ClosurePool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      const error = await failure(
        small.map(() => {
          const hoard: number[][] = [];
          for (;;) hoard.push(new Array(100_000).fill(1));
        }, [1]),
      );
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toMatch(
        /ran out of memory \(the pool's resourceLimits: \{"maxOldGenerationSizeMb":32\}\)/,
      );
      expect(await small.map((x: number) => x + 1, [1])).toEqual([2]);
    } finally {
      await small.close();
    }
  });
});

describe('a reply the pool cannot read', () => {
  it('fails the call, naming the items, instead of waiting for them forever', async () => {
    // an executor that breaks the protocol: `errors` is not a list
    const broken: Executor = {
      concurrency: 1,
      run: async () => ({ done: 2, values: [1, 2], errors: null as never, elapsedMs: 0 }),
      close: async () => {},
      destroy: async () => {},
    };
    const local = new ClosurePool({ executor: broken });
    const error = await failure(local.map((x: number) => x, [1, 2], { chunkSize: 2 }));
    expect(error).toBeInstanceOf(ClosurePoolError);
    expect(error.code).toBe(ErrorCode.INTERNAL_ERROR);
    expect(error.message).toMatch(/could not read the outcome of items 0–1: .*Please report this/);
    expect(error.cause).toBeInstanceOf(TypeError);
    await local.close(); // nothing left running
  });

  it('an onProgress that throws fails the call with its own error, not as ours', async () => {
    const thrown = new Error('progress display broke');
    const error = await failure(
      pool.map((x: number) => x, range(4), {
        chunkSize: 2,
        onProgress: () => {
          throw thrown;
        },
      }),
    );
    expect(error).toBe(thrown);
    expect(await pool.map((x: number) => x + 1, [1])).toEqual([2]);
  });

  it('a reply that is not an object, in a repeated apply (a number where a chunk reply belongs)', async () => {
    let calls = 0;
    const answersOddly: Executor = {
      concurrency: 1,
      run: async () =>
        (++calls > 1 ? 42 : { done: 1, values: [1], errors: [], elapsedMs: 0 }) as never,
      close: async () => {},
      destroy: async () => {},
    };
    const local = new ClosurePool({ executor: answersOddly });
    expect(await local.apply((x: number) => x, [1])).toBe(1); // watched, then direct
    const error = await failure(local.apply((x: number) => x, [1]));
    expect(error.code).toBe(ErrorCode.INTERNAL_ERROR);
    await local.close();
  });

  it('in a repeated apply too (the direct path), rather than a crash it is not', async () => {
    let calls = 0;
    const breaksLater: Executor = {
      concurrency: 1,
      run: async () => ({
        done: 1,
        values: [42],
        errors: (++calls > 1 ? null : []) as never,
        elapsedMs: 0,
      }),
      close: async () => {},
      destroy: async () => {},
    };
    const local = new ClosurePool({ executor: breaksLater });
    expect(await local.apply((x: number) => x, [1])).toBe(42); // watched, then direct
    const error = await failure(local.apply((x: number) => x, [1]));
    expect(error).toBeInstanceOf(ClosurePoolError);
    expect(error.code).toBe(ErrorCode.INTERNAL_ERROR);
    expect(error.message).toMatch(/could not read the outcome of item 0: /);
    await local.close();
  });
});
