// A repeated `apply` of a closure its thread holds takes the worker's direct path (`runDirect`):
// no chunk promises, its primitive result returned as it is. Every outcome there must be what the
// first, watched call gives: values, each kind of throw, promises and thenables, moved buffers,
// results that cannot travel, and errors left behind.
import { Worker } from 'node:worker_threads';
import { capture, closure, ErrorCode, encodeClosure, moduleRef } from '@closure-pool/serializer';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { StrayError, TaskError, WorkerCrashedError } from './errors.js';
import type { Executor } from './executor.js';
import { createLocalExecutor } from './local-executor.js';
import { ClosurePool } from './pool.js';
import { directCallTask, isMissing, toDirectMessage } from './protocol.js';
import { transfer } from './transfer.js';

// one thread: every call after the first goes to the thread that holds its closure
const pool = new ClosurePool({ threads: 1 });
afterAll(() => pool.close());

/** What a promise ended with: its value, or what it threw (compared by its parts, below). */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (thrown) {
    if (!(thrown instanceof Error)) return { thrown };
    const { name, message, code, cause } = thrown as Error & { code?: unknown };
    return { name, message, code, cause: (cause as Error | undefined)?.message };
  }
}

/** The first call of `fn` (watched) and two repeated ones (direct): their outcomes. */
async function threeTimes(fn: (...args: any[]) => unknown, args: unknown[] = []) {
  const outcomes = [];
  for (let call = 0; call < 3; call++) outcomes.push(await outcome(() => pool.apply(fn, args)));
  return outcomes;
}

describe('a repeated apply (the direct path) ends as its first call does', () => {
  it('returns any value its arguments carried, as structured clone copies it', async () => {
    const identity = (value: unknown) => value;
    await pool.apply(identity, [0]); // from here on, the direct path
    await fc.assert(
      fc.asyncProperty(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
        }),
        async (value) => {
          expect(await pool.apply(identity, [value])).toEqual(structuredClone(value));
        },
      ),
      { numRuns: 150 },
    );
  });

  it.each([
    [
      'an Error with a code and a cause',
      () => {
        throw Object.assign(new RangeError('bad', { cause: new Error('root') }), { code: 'E_BAD' });
      },
    ],
    [
      'undefined',
      () => {
        throw undefined;
      },
    ],
    [
      'a string',
      () => {
        throw 'plain text';
      },
    ],
    ['a rejected promise', () => Promise.reject(new TypeError('later'))],
    [
      'an async function',
      async () => {
        throw new SyntaxError('inside');
      },
    ],
    [
      'a thenable that rejects',
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
      () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error('thenable')) }),
    ],
  ])('throws %s', async (_, fn) => {
    const [first, ...repeated] = await threeTimes(fn);
    expect(first).not.toHaveProperty('value');
    for (const later of repeated) expect(later).toEqual(first);
  });

  it.each([
    ['a promise of an object', () => Promise.resolve({ a: [1, 2n] })],
    [
      'a thenable',
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
      () => ({ then: (resolve: (v: unknown) => void) => resolve(7) }),
    ],
    ['an object', () => new Map([[1, { b: -0 }]])],
    ['a function, which cannot travel', () => () => 1],
    ['a symbol, which cannot travel', () => Symbol('s')],
  ])('returns %s', async (_, fn) => {
    const [first, ...repeated] = await threeTimes(fn);
    for (const later of repeated) expect(later).toEqual(first);
  });

  it.each([
    ['a WeakMap', () => new WeakMap()],
    ['a Promise', () => Promise.resolve(1)],
    ['a function', () => () => 1],
    ['an object holding a function', () => ({ nested: { handler: () => 1 } })],
  ])(
    'with %s for an argument, fails as an argument that cannot be sent, not as a crash',
    async (_, make) => {
      const kind = (x: unknown) => typeof x;
      for (const fresh of [true, false]) {
        // fresh: the first call of its payload (watched); then repeated (the direct path)
        const fn = fresh ? (value: unknown) => String(value) : kind;
        if (!fresh) expect(await pool.apply(kind, [1])).toBe('number');
        const error = await pool.apply(fn, [make()]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TaskError);
        expect(error).not.toBeInstanceOf(WorkerCrashedError);
        expect((error as TaskError).code).toBe(ErrorCode.ITEM_NOT_CLONEABLE);
        expect((error as Error).message).toMatch(
          /^Item 0 cannot be sent to a worker thread \(at item\[0\]/,
        );
      }
      // nothing was lost: the thread still runs calls
      expect(await pool.apply(kind, ['x'])).toBe('string');
    },
  );

  it('moves a transfer()ed buffer, each time', async () => {
    const make = () => transfer(new Float64Array(1024).fill(2));
    for (let call = 0; call < 3; call++) {
      const moved = await pool.apply(make, [], capture({ transfer }));
      expect(moved).toBeInstanceOf(Float64Array);
      expect((moved as Float64Array).length).toBe(1024);
      expect((moved as Float64Array)[1023]).toBe(2);
    }
  });

  it('reports an error it left behind, and its thread carries on', async () => {
    const strays: unknown[] = [];
    const onError = (error: unknown) => strays.push(error);
    pool.on('error', onError);
    try {
      const leave = (n: number) => {
        setTimeout(() => {
          throw new Error(`left behind ${n}`);
        }, 0);
        return n;
      };
      expect(await pool.apply(leave, [1])).toBe(1);
      expect(await pool.apply(leave, [2])).toBe(2); // direct
      const deadline = Date.now() + 10_000;
      while (strays.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(strays.map((stray) => ((stray as StrayError).cause as Error).message).sort()).toEqual([
        'left behind 1',
        'left behind 2',
      ]);
      expect(strays.every((stray) => stray instanceof StrayError)).toBe(true);
      expect(await pool.apply((x: number) => x + 1, [1])).toBe(2);
    } finally {
      pool.off('error', onError);
    }
  });
});

describe('a repeated apply on a thread that does not hold its closure', () => {
  it('is sent without its frame, answered `missing`, and sent again with it', async () => {
    const local = createLocalExecutor({ threads: 2 });
    const answers: unknown[] = [];
    const counting: Executor = {
      concurrency: local.concurrency,
      sharesMemory: true,
      bareResults: true,
      run: async (task, signal) => {
        const reply = await local.run(task, signal);
        answers.push(reply);
        return reply;
      },
      close: () => local.close(),
      destroy: () => local.destroy(),
    };
    const two = new ClosurePool({ executor: counting });
    try {
      const workerThreads = moduleRef<typeof import('node:worker_threads')>('node:worker_threads');
      // each call holds its thread a little, so that calls made together take both threads
      const where = closure(
        (x: number) => {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          return `${x}@${workerThreads.threadId}`;
        },
        { workerThreads },
      );
      expect(await two.apply(where, [0])).toMatch(/^0@\d+$/); // watched: sent with its frame
      const threads = new Set<string>();
      for (let batch = 0; batch < 50 && threads.size < 2; batch++) {
        const results = await Promise.all([1, 2, 3, 4].map((x) => two.apply(where, [x])));
        results.forEach((result, i) => {
          expect(result).toMatch(new RegExp(`^${i + 1}@\\d+$`));
          threads.add((result as string).split('@')[1]!);
        });
      }
      expect(threads.size).toBe(2);
      // the thread that had not run it said so once, and the call went again
      expect(answers.filter(isMissing).length).toBeGreaterThan(0);
    } finally {
      await two.close();
    }
  });
});

describe("the worker's direct path", () => {
  it('answers a cached closure’s primitive result at once, without a promise', async () => {
    // the worker file, in a thread of its own: the first message rebuilds the closure, the next
    // finds it cached
    const multiply = (a: number, b: number) => a * b;
    const { id, frame } = encodeClosure(multiply);
    const message = toDirectMessage(directCallTask(1, { id, frame }, [6, 7], true));
    expect(message).toBeDefined();
    const answers = await inWorkerThread(message);
    expect(answers).toEqual({
      first: 'promise',
      firstValue: 42,
      repeated: 'number',
      repeatedValue: 42,
    });
  });

  it('is only for the one-item task of a direct call', () => {
    const { id, frame } = encodeClosure((x: number) => x);
    const direct = directCallTask(3, { id, frame }, [1], true);
    expect(toDirectMessage(direct)).toEqual([3, id, frame, [1], true]);
    expect(toDirectMessage({ ...direct, mode: 'item', items: [1] })).toBeUndefined();
    expect(toDirectMessage({ ...direct, items: [[1], [2]] })).toBeUndefined();
    expect(toDirectMessage({ ...direct, timed: true })).toBeUndefined();
    expect(toDirectMessage({ ...direct, callId: undefined })).toBeUndefined();
    // a payload its threads have run: the frame left out
    expect(toDirectMessage({ ...direct, sent: true })).toEqual([3, id, undefined, [1], true]);
  });

  it('answers `missing` to a call sent without the frame of a closure it does not hold', async () => {
    const { id } = encodeClosure((x: number) => x);
    const answers = await inWorkerThread([1, id, undefined, [1], true]);
    expect(answers).toMatchObject({
      firstValue: { missing: true },
      repeatedValue: { missing: true },
    });
  });
});

/** Runs the worker file's handler on `message` twice in a fresh thread: what each returned. */
function inWorkerThread(message: unknown): Promise<unknown> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const mod = require(workerData.file);
    const runChunk = mod.default ?? mod;
    (async () => {
      const kind = (answer) => (answer instanceof Promise ? 'promise' : typeof answer);
      const first = runChunk(workerData.message);
      const firstValue = await first;
      const repeated = runChunk(workerData.message);
      parentPort.postMessage({ first: kind(first), firstValue, repeated: kind(repeated), repeatedValue: await repeated });
    })();`;
  const file = new URL('../dist/worker.cjs', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { file, message } });
    worker.once('message', (answer) => void worker.terminate().then(() => resolve(answer)));
    worker.once('error', reject);
  });
}
