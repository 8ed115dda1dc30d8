// Nothing hangs, nothing is lost: failures of every kind at once, hostile errors, abort storms,
// and thousands of distinct closures. Each test has the project's test timeout, so a hang fails.
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { capture, closure, encodeClosure } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, TaskError, TaskTimeoutError, WorkerCrashedError } from './errors.js';
import { ClosurePool } from './pool.js';
import { createCallState } from './protocol.js';
import runChunk, { cachedClosures } from './worker.js';

const threads = 2;
const pool = new ClosurePool({ threads });
afterAll(() => pool.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when `threads` items run at the same moment: the pool has all its threads. */
async function allThreadsAlive(p: ClosurePool, count: number): Promise<boolean> {
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const met = await p.map(
    ({ barrier, count }: { barrier: Int32Array; count: number }) => {
      Atomics.add(barrier, 0, 1);
      const deadline = Date.now() + 5_000;
      while (Atomics.load(barrier, 0) < count && Date.now() < deadline)
        Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 10);
      return Atomics.load(barrier, 0) >= count;
    },
    Array.from({ length: count }, () => ({ barrier, count })),
    { chunkSize: 1 },
  );
  return met.every(Boolean);
}

describe('chaos map', () => {
  it('10,000 items that throw, exit, time out or return what cannot be cloned: one outcome each, of the right kind', async () => {
    // seeded choice of what each item does
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const kinds = Array.from({ length: 10_000 }, () => {
      const r = random();
      return r < 0.03
        ? 'throw'
        : r < 0.034
          ? 'exit'
          : r < 0.0355
            ? 'hang'
            : r < 0.05
              ? 'unclonable'
              : 'ok';
    });
    const spin = () => {
      for (;;);
    };
    const results = await pool.map(
      (kind: string, index: number) => {
        if (kind === 'throw') throw new Error(`item ${index} throws`);
        if (kind === 'exit') process.exit(3);
        if (kind === 'hang') spin();
        if (kind === 'unclonable') return () => index;
        return index * 2;
      },
      kinds,
      capture({ spin }),
      { settle: true, timeout: 1_000 },
    );
    expect(results).toHaveLength(kinds.length);
    const expected: Record<string, (r: PromiseSettledResult<unknown>, i: number) => boolean> = {
      ok: (r, i) => r.status === 'fulfilled' && r.value === i * 2,
      throw: (r, i) =>
        r.status === 'rejected' &&
        r.reason instanceof TaskError &&
        r.reason.code === ErrorCode.TASK_FAILED &&
        (r.reason.cause as Error).message === `item ${i} throws`,
      exit: (r, i) =>
        r.status === 'rejected' &&
        r.reason instanceof WorkerCrashedError &&
        r.reason.exitCode === 3 &&
        r.reason.index === i,
      hang: (r, i) =>
        r.status === 'rejected' && r.reason instanceof TaskTimeoutError && r.reason.index === i,
      unclonable: (r, i) =>
        r.status === 'rejected' &&
        r.reason.code === ErrorCode.RESULT_NOT_CLONEABLE &&
        r.reason.index === i,
    };
    const wrong = kinds
      .map((kind, i) =>
        expected[kind]!(results[i]!, i) ? undefined : { i, kind, got: results[i] },
      )
      .filter(Boolean);
    expect(wrong).toEqual([]);
    expect(new Set(kinds).size).toBe(5); // every kind happened
    expect(await allThreadsAlive(pool, threads)).toBe(true);
    expect(await pool.map((x: number) => x + 1, [1, 2, 3])).toEqual([2, 3, 4]);
  });
});

describe('hostile errors through the pool', () => {
  it('an error whose getters throw, and an error with a cyclic cause, arrive as useful errors', async () => {
    const results = await pool.map(
      (kind: string) => {
        if (kind === 'getter') {
          const error = new Error('hostile');
          Object.defineProperty(error, 'message', {
            get() {
              throw new Error('no message for you');
            },
          });
          throw error;
        }
        const a: Error & { cause?: unknown } = new Error('a');
        a.cause = new Error('b', { cause: a });
        throw a;
      },
      ['getter', 'cyclic'],
      { settle: true },
    );
    const [getter, cyclic] = results.map((r) =>
      r.status === 'rejected' ? (r.reason as TaskError).cause : undefined,
    ) as any[];
    expect(getter).toBeInstanceOf(Error);
    expect(getter.message).toBe('(message could not be read)');
    expect(getter.stack).toMatch(/Error/);
    expect(cyclic.message).toBe('a');
    expect(cyclic.cause.message).toBe('b');
  });
});

describe('abort storm', () => {
  it('500 maps aborted at random moments: no listener left, nothing left running, correct results after', async () => {
    const signals: AbortSignal[] = [];
    let aborted = 0;
    const work = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end);
      return ms;
    };
    for (let i = 0; i < 500; i++) {
      const controller = new AbortController();
      signals.push(controller.signal);
      setTimeout(() => controller.abort(new Error(`abort ${i}`)), (i * 7) % 12);
      const outcome = await pool
        .map((ms: number) => work(ms), [1, 2, 3, 4, 5, 6], capture({ work }), {
          signal: controller.signal,
          chunkSize: 1,
        })
        .then(
          // the abort fires in a timer: if it has fired by the time the call's result is seen, the
          // call saw it first and should have rejected (issue 21: an ignored signal passed this)
          (values) => ({ values, abortedFirst: controller.signal.aborted }),
          (reason: unknown) => ({ reason }),
        );
      if ('values' in outcome) {
        expect(outcome.values).toEqual([1, 2, 3, 4, 5, 6]);
        expect(outcome.abortedFirst, `map ${i} finished normally after its abort`).toBe(false);
      } else {
        expect((outcome.reason as Error).message).toBe(`abort ${i}`);
        aborted++;
      }
    }
    expect(aborted).toBeGreaterThan(0);
    for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // the last aborted chunks have ended (or their threads were stopped after the grace period)
    while (pool.stats().busyThreads > 0 || pool.stats().threads < threads) await sleep(5);
    expect(await allThreadsAlive(pool, threads)).toBe(true);
    expect(await pool.map((x: number) => x * 3, [1, 2, 3])).toEqual([3, 6, 9]);
  });
});

describe('soak', () => {
  it('2,000 distinct closures from one factory: all correct, and the worker cache stays bounded', async () => {
    const offsetBy = (k: number) => closure((x: number) => x + k, { k });
    for (let k = 0; k < 2_000; k++) {
      const [a, b] = await pool.map(offsetBy(k), [1, 2]);
      if (a !== 1 + k || b !== 2 + k) expect.unreachable(`closure ${k} gave ${a}, ${b}`);
    }
    // the worker file's own cache, driven in this thread
    const call = createCallState(1);
    for (let k = 0; k < 300; k++) {
      const payload = encodeClosure(offsetBy(10_000 + k));
      await runChunk({
        payload,
        mode: 'item',
        start: 0,
        items: [1],
        slot: 0,
        call,
        stopOnError: true,
      });
    }
    expect(cachedClosures()).toBe(256);
  });
});

describe('code generation', () => {
  it('a pool refuses to start, saying why, in a process that disallows code generation from strings', () => {
    const poolFile = fileURLToPath(new URL('./pool.ts', import.meta.url));
    const script = `import { ClosurePool } from ${JSON.stringify(poolFile)};
      try { new ClosurePool({ threads: 1 }); console.log('started'); } catch (e) { console.log(e.code + ' ' + e.message); }`;
    const out = execFileSync(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    );
    expect(out).toMatch(
      /^CODE_GENERATION_DISALLOWED closure-pool needs code generation from strings/,
    );
  });
});
