// What Pool users look for next: a per-thread initializer, several inputs in step, thread settings
// and resizing, statistics and thread events.
import { once } from 'node:events';
import { capture, closure, moduleRef } from '@closure-pool/serializer';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { CaptureError, InvalidArgumentError, TaskError } from './errors.js';
import { ClosurePool } from './pool.js';
import { transfer } from './transfer.js';
import { zip } from './zip.js';

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());
const threadId = moduleRef('node:worker_threads', 'threadId');

describe('init: once per thread, before its first item', () => {
  it('its result is the third argument of map’s function, built once per thread', async () => {
    const prefix = 'db:';
    const opened = new ClosurePool({
      threads: 2,
      init: closure(
        () => {
          const g = globalThis as { inits?: number };
          g.inits = (g.inits ?? 0) + 1;
          return { name: `${prefix}${threadId}`, opened: g.inits };
        },
        { prefix, threadId },
      ),
    });
    try {
      const seen = await opened.map(
        (x: number, _i: number, db: { name: string; opened: number }) => [x, db.name, db.opened],
        Array.from({ length: 20 }, (_, i) => i),
        { chunkSize: 1 },
      );
      expect(seen.map(([x]) => x)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(seen.every(([, name]) => String(name).startsWith('db:'))).toBe(true);
      // once per thread, however many items and calls
      expect(new Set(seen.map(([, , opened]) => opened))).toEqual(new Set([1]));
      const g = await opened.apply(() => (globalThis as { inits?: number }).inits, []);
      expect(g).toBe(1);
    } finally {
      await opened.close();
    }
  });

  it('is typed: the context is what init returns', () => {
    const typed = new ClosurePool({ threads: 1, init: () => ({ scale: 3 }) });
    expectTypeOf(typed.map<number, number>)
      .parameter(0)
      .parameter(2)
      .toEqualTypeOf<{ scale: number }>();
    void typed.close();
  });

  it('a failing init fails the items with its error, and nothing hangs', async () => {
    const broken = new ClosurePool({
      threads: 1,
      init: () => {
        throw new RangeError('no model file');
      },
    });
    try {
      const error = await broken.map((x: number) => x, [1, 2]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect(((error as TaskError).cause as Error).message).toBe(
        "The pool's init failed on this thread: no model file",
      );
      expect(((error as TaskError).cause as Error & { cause: Error }).cause).toBeInstanceOf(
        RangeError,
      );
    } finally {
      await broken.close();
    }
  });

  it('a free variable init did not declare is refused where the pool is made', () => {
    const path = '/data/model.bin';
    expect(() => new ClosurePool({ init: () => path })).toThrow(CaptureError);
    expect(() => new ClosurePool({ init: 42 as never })).toThrow(InvalidArgumentError);
    // a pool on another engine has no threads of its own to set up
    const executor = {
      concurrency: 1,
      run: async () => [],
      close: async () => {},
      destroy: async () => {},
    };
    expect(() => new ClosurePool({ init: () => 1, executor: executor as never })).toThrow(
      /`init` runs on the pool’s own threads/,
    );
  });
});

describe('zip: several inputs in step, for starmap', () => {
  it('arrays in, an array out, as long as the shortest; typed from the inputs', async () => {
    const rows = zip([1, 2, 3], ['a', 'b']);
    expectTypeOf(rows).toEqualTypeOf<[number, string][]>();
    expect(rows).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(await pool.starmap((n: number, s: string) => s.repeat(n), rows)).toEqual(['a', 'bb']);
  });

  it('lazy over generators and async iterables, closing the longer ones', async () => {
    let closed = false;
    function* naturals() {
      try {
        for (let n = 0; ; n++) yield n;
      } finally {
        closed = true;
      }
    }
    async function* words() {
      yield 'x';
      yield 'y';
    }
    const out = await pool.starmap((n: number, w: string) => `${w}${n}`, zip(naturals(), words()));
    expect(out).toEqual(['x0', 'y1']);
    expect(closed).toBe(true);
  });

  it('refuses what is not iterable, saying which input', () => {
    expect(() => zip([1], 5 as never)).toThrow(/input 1 is number/);
  });
});

describe('thread settings', () => {
  it('env, execArgv and argv reach every thread', async () => {
    const set = new ClosurePool({
      threads: 1,
      env: { CLOSURE_POOL_TEST: 'on' },
      execArgv: ['--no-deprecation'],
      argv: ['--mode', 'fast'],
    });
    try {
      const seen = await set.apply(
        () => [process.env.CLOSURE_POOL_TEST, process.execArgv, process.argv.slice(2)],
        [],
      );
      expect(seen).toEqual(['on', ['--no-deprecation'], ['--mode', 'fast']]);
    } finally {
      await set.close();
    }
  });

  it('resize(n): new calls run on n threads; calls already running finish', async () => {
    const grow = new ClosurePool({ threads: 1 });
    const starts: number[] = [];
    grow.on('threadStart', (id) => starts.push(id));
    try {
      // running until the other call, on the new threads, has finished
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const slow = grow.map(
        async (x: number) => {
          while (Atomics.load(gate, 0) === 0)
            await new Promise((resolve) => setTimeout(resolve, 1));
          return x;
        },
        [1, 2],
        capture({ gate }),
      );
      const resized = grow.resize(3);
      expect(grow.threads).toBe(3);
      const ids = await grow.map(
        () => threadId,
        Array.from({ length: 30 }, (_, i) => i),
        capture({ threadId }),
        {
          chunkSize: 1,
        },
      );
      Atomics.store(gate, 0, 1);
      expect(await slow).toEqual([1, 2]);
      await resized;
      expect(new Set(ids).size).toBeGreaterThan(1);
      expect(starts.length).toBeGreaterThanOrEqual(3);
    } finally {
      await grow.close();
    }
  });

  it('bad settings are refused by name', () => {
    expect(() => new ClosurePool({ execArgv: '--x' as never })).toThrow(
      /`execArgv` to be an array of strings/,
    );
    expect(() => new ClosurePool({ env: { A: 1 } as never })).toThrow(
      /`env` to be an object of strings/,
    );
  });
});

describe('stats and thread events', () => {
  it('counts items and reports threads, queue and timings', async () => {
    const watched = new ClosurePool({ threads: 2 });
    const exits: number[] = [];
    watched.on('threadExit', (id) => exits.push(id));
    try {
      expect(watched.stats()).toMatchObject({ threads: 2, itemsCompleted: 0, itemsFailed: 0 });
      await watched.map(
        (x: number) => {
          if (x % 10 === 0) throw new Error('tens');
          return x;
        },
        Array.from({ length: 50 }, (_, i) => i),
        { settle: true, chunkSize: 5 },
      );
      const stats = watched.stats();
      expect(stats.itemsCompleted).toBe(45);
      expect(stats.itemsFailed).toBe(5);
      expect(stats.threads).toBe(2);
      expect(stats.busyThreads).toBe(0);
      expect(stats.queuedChunks).toBe(0);
      expect(stats.runTime!.p50).toBeGreaterThanOrEqual(0);
      expect(stats.runTime!.max).toBeGreaterThanOrEqual(stats.runTime!.p50);
      expect(stats.waitTime).toBeDefined();
      expect(stats.utilization).toBeGreaterThanOrEqual(0);
    } finally {
      await watched.close();
    }
    expect(exits).toHaveLength(2);
  });

  it('a thread that dies is seen exiting, and its replacement starting', async () => {
    const watched = new ClosurePool({ threads: 1 });
    try {
      await watched.map((x: number) => x, [1]);
      const exited = once(watched, 'threadExit');
      const started = once(watched, 'threadStart');
      await watched.map(() => process.exit(3), [1], { settle: true });
      const [[gone], [fresh]] = await Promise.all([exited, started]);
      expect(typeof gone).toBe('number');
      expect(fresh).not.toBe(gone);
    } finally {
      await watched.close();
    }
  });
});

describe('zero-copy results: transfer()', () => {
  it('moves a result’s buffer to the caller: the worker’s copy is emptied, not copied', async () => {
    const single = new ClosurePool({ threads: 1 });
    try {
      const bytes = await single.apply(
        (n: number) => {
          const out = new Float64Array(n).fill(2.5);
          (globalThis as { kept?: Float64Array }).kept = out;
          return transfer(out);
        },
        [1_000],
        capture({ transfer }),
      );
      expect(bytes).toBeInstanceOf(Float64Array);
      expect(bytes.length).toBe(1_000);
      expect(bytes[999]).toBe(2.5);
      // on its thread, the array it returned is now detached: the memory changed hands
      expect(
        await single.apply(() => (globalThis as { kept?: Float64Array }).kept!.length, []),
      ).toBe(0);
      const many = await single.map(
        (n: number) => transfer(new Uint8Array(n).fill(n)),
        [3, 4, 5],
        capture({ transfer }),
        { chunkSize: 3 },
      );
      expect(many.map((a) => [a.length, a[0]])).toEqual([
        [3, 3],
        [4, 4],
        [5, 5],
      ]);
    } finally {
      await single.close();
    }
  });

  it('copies what cannot move as a whole: a view over part of a buffer', async () => {
    const part = await pool.apply(
      () => transfer(new Uint8Array(new ArrayBuffer(16), 4, 4).fill(7)),
      [],
      capture({ transfer }),
    );
    expect(Array.from(part)).toEqual([7, 7, 7, 7]);
  });
});

describe('captured shared memory', () => {
  it('a captured SharedArrayBuffer and views on it are the same memory in every thread', async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 4));
    const bytes = Buffer.from(counts.buffer, 4, 4);
    const view = new DataView(counts.buffer, 8, 8);
    const seen = await pool.map(
      (i: number) => {
        Atomics.add(counts, i % 4, 1);
        return [bytes.length, view.byteOffset, counts.buffer === bytes.buffer];
      },
      Array.from({ length: 40 }, (_, i) => i),
      capture({ counts, bytes, view }),
      { chunkSize: 5 },
    );
    // every thread added to the caller's own memory
    expect(Array.from(counts)).toEqual([10, 10, 10, 10]);
    // views keep their place in it, and one buffer stays one buffer
    expect(new Set(seen.map((s) => JSON.stringify(s)))).toEqual(new Set(['[4,8,true]']));
  });

  it('cannot travel to another process: the JSON payload refuses it, saying what to do', async () => {
    const { serializeClosure } = await import('@closure-pool/serializer');
    const shared = new SharedArrayBuffer(8);
    expect(() => serializeClosure(() => shared.byteLength, { shared })).toThrow(
      /shared memory .* cannot travel in a payload to another process\. Capture a copy/,
    );
  });
});

describe('errors that point at the user’s code', () => {
  it('frames of the rebuilt function are moved to its file, and the call site follows', async () => {
    const limit = 2;
    function tooBig(x: number): number {
      if (x > limit) throw new RangeError(`too big: ${x}`);
      return x;
    }
    const error = (await pool
      .map((x: number) => tooBig(x), [1, 2, 3], capture({ limit, tooBig }))
      .catch((e: unknown) => e)) as TaskError;
    const here = /features\.test\.ts:\d+:\d+/;
    const cause = (error.cause as Error).stack!;
    // the top frame is this file, where tooBig is written: no closure-pool:/// script
    expect(cause.split('\n')[1]).toMatch(/at tooBig \(.*features\.test\.ts:\d+:\d+\)/);
    expect(cause).not.toMatch(/closure-pool:\/\/\//);
    const [worker, caller] = error.stack!.split('    --- the call to the pool ---\n');
    expect(worker).toMatch(/^TaskError: Item 2 failed: RangeError: too big: 3\n\s+at tooBig/);
    expect(worker).not.toMatch(/worker\.cjs|piscina/);
    expect(caller).toMatch(here);
  });

  it('a repeated apply (the direct path) still shows where it was awaited, without our frames', async () => {
    const check = (x: number) => {
      if (x > 1) throw new RangeError(`too big: ${x}`);
      return x;
    };
    const call = (x: number) => pool.apply((y: number) => check(y), [x], capture({ check }));
    expect(await call(1)).toBe(1); // the first call is watched; the next ones go direct
    expect(await call(0)).toBe(0);
    async function callerOfApply() {
      return await call(5);
    }
    const error = (await callerOfApply().catch((e: unknown) => e)) as TaskError;
    expect(error).toBeInstanceOf(TaskError);
    const [worker, caller] = error.stack!.split('    --- the call to the pool ---\n');
    expect(worker).toMatch(/^TaskError: Item 0 failed: RangeError: too big: 5\n\s+at check/);
    // (vitest's source maps print an async frame without its `async`)
    expect(caller).toMatch(/at (async )?callerOfApply \(.*features\.test\.ts:\d+:\d+\)/);
    expect(caller).not.toMatch(/[\\/]pool\.(ts|js):|user-frames\.(ts|js):/);
  });

  it('under tsx, the TypeScript file and line where the error was thrown, and where map was called', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
    const app = new URL('./fixtures/stack-app.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(tsx, [app]);
    const { stack, cause } = JSON.parse(stdout) as { stack: string; cause: string };
    expect(cause.split('\n')[1]).toMatch(/at check \(.*stack-app\.ts:10:\d+\)/);
    expect(stack).toMatch(
      /stack-app\.ts:17:\d+\)\n[\s\S]*--- the call to the pool ---\n\s+at main \(.*stack-app\.ts:17:\d+\)/,
    );
  });
});

describe('what a function prints', () => {
  it('shows before its call resolves, every line, on stdout and stderr', async () => {
    const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
    const app = new URL('./fixtures/output-app.ts', import.meta.url).pathname;
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout, stderr } = await promisify(execFile)(tsx, [app]);
    const lines = stdout.trim().split('\n');
    const items = [0, 1, 2, 3].flatMap((x) =>
      Array.from({ length: 20 }, (_, line) => `item ${x} line ${line}`),
    );
    const applied = (x: number) =>
      Array.from({ length: 20 }, (_, line) => `apply ${x} line ${line}`);
    // items' lines in any order among themselves, all before the caller's next line
    const mapEnd = lines.indexOf('after map');
    expect(lines[0]).toBe('before');
    expect(lines.slice(1, mapEnd).sort()).toEqual([...items].sort());
    expect(lines.slice(mapEnd)).toEqual([
      'after map',
      ...[1, 2, 3].flatMap((x) => [...applied(x), `after apply ${x}`]),
    ]);
    expect(stderr.trim().split('\n').sort()).toEqual(
      [0, 1, 2, 3].map((x) => `item ${x} to stderr`),
    );
  });

  it('a stream the function corked or ended does not hold its reply', async () => {
    const own = new ClosurePool({ threads: 1 });
    try {
      const corked = await own.apply(() => {
        process.stdout.cork();
        process.stdout.write('held until uncorked\n');
        return 'corked';
      }, []);
      const ended = await own.apply(() => {
        process.stderr.end('\n'); // a blank line: output still held when the stream ended
        return 'ended';
      }, []);
      expect([corked, ended]).toEqual(['corked', 'ended']);
    } finally {
      await own.terminate();
    }
  });
});
