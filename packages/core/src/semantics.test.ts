// Pool semantics a Python user relies on (CPython's _test_multiprocessing and pathos expect them):
// what an input that fails yields first, which item is blamed, and options checked like arguments.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { capture, ErrorCode, moduleRef } from '@closure-pool/serializer';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError, InvalidArgumentError, TaskError, WorkerCrashedError } from './errors.js';
import { ClosurePool } from './pool.js';

const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

/** Yields 0..n-1, then throws, as a generator over a broken source would. */
function* failingAfter(n: number) {
  for (let i = 0; i < n; i++) yield i;
  throw new RangeError(`input broke after ${n}`);
}

async function drain<T>(iterator: AsyncIterable<T>): Promise<{ seen: T[]; error: unknown }> {
  const seen: T[] = [];
  try {
    for await (const value of iterator) seen.push(value);
  } catch (error) {
    return { seen, error };
  }
  return { seen, error: undefined };
}

describe('an input that throws', () => {
  it('imap yields every result computed before, in order, then throws the input’s error', async () => {
    const { seen, error } = await drain(pool.imap((x: number) => x * 10, failingAfter(7)));
    expect(seen).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('input broke after 7');
  });

  it('imapUnordered yields them all too, then throws', async () => {
    const { seen, error } = await drain(pool.imapUnordered((x: number) => x + 1, failingAfter(5)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
    expect((error as Error).message).toBe('input broke after 5');
  });

  it('map rejects with the input’s error', async () => {
    await expect(pool.map((x: number) => x, failingAfter(3))).rejects.toThrow(
      'input broke after 3',
    );
  });
});

describe('exact blame', () => {
  it('an item that cannot be cloned fails alone, with the DataCloneError and where it is', async () => {
    const items = [1, { label: 'two', handler: () => 2 }, 3];
    const results = await pool.map((x: unknown) => x, items, { settle: true, chunkSize: 3 });
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 3 });
    const reason = (results[1] as PromiseRejectedResult).reason as TaskError;
    expect(reason).toBeInstanceOf(TaskError);
    expect(reason).not.toBeInstanceOf(WorkerCrashedError);
    expect(reason.index).toBe(1);
    expect(reason.code).toBe(ErrorCode.ITEM_NOT_CLONEABLE);
    expect(reason.message).toMatch(/Item 1 cannot be sent to a worker thread \(at item\.handler\)/);
    expect((reason.cause as Error).name).toBe('DataCloneError');
  });

  it('without settle, the call rejects with that item’s error', async () => {
    const error = await pool
      .map((x: unknown) => x, [1, 2, Symbol('s'), 4], { chunkSize: 4 })
      .catch((e: unknown) => e);
    expect((error as TaskError).index).toBe(2);
    expect((error as TaskError).code).toBe(ErrorCode.ITEM_NOT_CLONEABLE);
  });

  it('an error thrown with a property that cannot be cloned is that item’s TaskError', async () => {
    const results = await pool.map(
      (x: number) => {
        if (x === 1) throw Object.assign(new Error('bad'), { detail: { fn: () => 1 } });
        return x;
      },
      [0, 1, 2],
      { settle: true, chunkSize: 3 },
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (results[1] as PromiseRejectedResult).reason as TaskError;
    expect(reason).not.toBeInstanceOf(WorkerCrashedError);
    expect(reason.index).toBe(1);
    expect((reason.cause as Error).message).toBe('bad');
  });
});

describe('options checked like arguments', () => {
  it.each([
    [{ maxThreads: 4 }, /Unknown pool option `maxThreads`: did you mean `threads`\?/],
    [{ processes: 4 }, /did you mean `threads`\?/],
    [{ threds: 4 }, /did you mean `threads`\?/],
    [{ colour: 'red' }, /Unknown pool option `colour`\. The pool options are `init`, `threads`/],
  ])('new ClosurePool(%o) is refused, naming the nearest option', (options, message) => {
    expect(() => new ClosurePool(options as never)).toThrow(InvalidArgumentError);
    expect(() => new ClosurePool(options as never)).toThrow(message);
  });

  it('a misspelt call option says so, instead of advising capture()', async () => {
    await expect(pool.map((x: number) => x, [1], { chunksize: 10 } as never)).rejects.toThrow(
      /Unknown call option `chunksize`: did you mean `chunkSize`\?/,
    );
    await expect(
      pool.map((x: number) => x, [1], undefined, { timout: 10 } as never),
    ).rejects.toThrow(/did you mean `timeout`\?/);
  });

  it('settle must be a boolean: a string is refused, not read as false', async () => {
    await expect(pool.map((x: number) => x, [1], { settle: 'yes' } as never)).rejects.toThrow(
      /^Expected `settle` to be true or false, got `yes` \(string\)\.$/,
    );
  });

  it.each([
    [
      'x',
      /^Expected `resourceLimits` to be an object like \{ maxOldGenerationSizeMb: 256 \}, got `x` \(string\)\.$/,
    ],
    [
      { maxOldGenerationSizeMB: 64 },
      /^Unknown resourceLimits option `maxOldGenerationSizeMB`: did you mean `maxOldGenerationSizeMb`\?/,
    ],
    [
      { maxOldGenerationSizeMb: '64' },
      /^Expected `resourceLimits\.maxOldGenerationSizeMb` to be a number of megabytes above 0, got `64` \(string\)\.$/,
    ],
    [
      { stackSizeMb: 0 },
      /`resourceLimits\.stackSizeMb` to be a number of megabytes above 0, got `0`/,
    ],
  ])(
    'resourceLimits %o is refused, where Node would throw its own error or ignore it',
    (limits, message) => {
      expect(() => new ClosurePool({ threads: 1, resourceLimits: limits as never })).toThrow(
        message,
      );
    },
  );

  it('an executor lacking what the pool calls is refused where the pool is made, naming what', () => {
    expect(() => new ClosurePool({ executor: 5 as never })).toThrow(
      /^Expected `executor` to implement Executor .*; it lacks an object\.$/,
    );
    expect(() => new ClosurePool({ executor: { run: () => undefined } as never })).toThrow(
      /it lacks close\(\), destroy\(\), concurrency \(an integer from 1 up\)\.$/,
    );
  });

  it('a workerFile that does not exist is refused at once, saying what to copy there', () => {
    expect(() => new ClosurePool({ workerFile: '/nowhere/worker.js' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new ClosurePool({ workerFile: '/nowhere/worker.js' })).toThrow(
      /\/nowhere\/worker\.js, which does not exist\. .*closure-pool-worker\.cjs beside the bundle, as worker\.js/,
    );
  });

  it("pathos' map(f, xs, ys) is explained: zip the inputs and use starmap", async () => {
    await expect(
      pool.map((x: number, y: number) => x + y, [1, 2], [3, 4] as never),
    ).rejects.toThrow(/map\(f, xs, ys\), zip the inputs and use starmap/);
  });
});

describe('bounded loading', () => {
  it('a module whose import never settles fails that call once, naming it; later calls are unaffected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'closure-pool-load-'));
    const file = join(dir, 'hangs.mjs');
    writeFileSync(file, 'await new Promise(() => {});\nexport const never = 1;\n');
    const own = new ClosurePool({ threads: 2, loadTimeout: 300 });
    try {
      const hangs = moduleRef<{ never: number }>(pathToFileURL(file).href);
      const error = await own
        .map((x: number) => x + hangs.never, [1, 2, 3, 4], capture({ hangs }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).code).toBe(ErrorCode.LOAD_TIMEOUT);
      expect((error as TaskError).message).toMatch(
        /hangs\.mjs.*took longer than loadTimeout \(300 ms\)/,
      );
      // apply of a closure never loaded is watched too
      await expect(own.apply(() => hangs.never, [], capture({ hangs }))).rejects.toThrow(
        /loadTimeout/,
      );
      expect(await own.map((x: number) => x * 2, [1, 2, 3, 4])).toEqual([2, 4, 6, 8]);
      expect(await own.apply((a: number) => a + 1, [1])).toBe(2);
    } finally {
      await own.terminate();
    }
  });
});

describe('a crypto key', () => {
  it('captured, is refused with the way that works: as an argument, it arrives as a key', async () => {
    const { createSecretKey } = await import('node:crypto');
    const key = createSecretKey(Buffer.alloc(32, 7));
    const own = new ClosurePool({ threads: 1 });
    try {
      const refused = await own.apply(() => key.type, [], capture({ key })).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(CaptureError);
      expect((refused as Error).message).toMatch(
        /capture\.key cannot travel.*Pass it as an argument/,
      );
      const sent = await own.apply(
        (k: import('node:crypto').KeyObject) => [k.type, k.symmetricKeySize, k.export()[0]],
        [key],
      );
      expect(sent).toEqual(['secret', 32, 7]);
    } finally {
      await own.close();
    }
  });
});

describe('a function that breaks built-ins its thread relies on', () => {
  it.each<[string, () => void]>([
    [
      'Array.prototype.map',
      () => {
        (Array.prototype as { map: unknown }).map = null;
      },
    ],
    [
      'JSON.parse',
      () => {
        (JSON as { parse: unknown }).parse = null;
      },
    ],
    [
      'Object.prototype.then',
      () => {
        // biome-ignore lint/suspicious/noThenProperty: the breakage under test
        (Object.prototype as { then?: unknown }).then = (resolve: (v: number) => void) =>
          resolve(42);
      },
    ],
    [
      'Array.prototype.push',
      () => {
        (Array.prototype as { push: unknown }).push = null;
      },
    ],
    [
      'Array.isArray',
      () => {
        (Array as { isArray: unknown }).isArray = () => false;
      },
    ],
    [
      'performance.now',
      () => {
        performance.now = () => {
          throw new Error('broken');
        };
      },
    ],
    [
      'the global performance',
      () => {
        (globalThis as { performance: unknown }).performance = undefined;
      },
    ],
    [
      'process.stdout, with null',
      () => {
        Object.defineProperty(process, 'stdout', { value: null, configurable: true });
      },
    ],
    [
      'setTimeout',
      () => {
        (globalThis as { setTimeout: unknown }).setTimeout = null;
      },
    ],
  ])('replacing %s breaks no later call on its thread', async (_, breaker) => {
    const own = new ClosurePool({ threads: 1 });
    try {
      await own.map(breaker, [1, 2], { settle: true });
      // a new closure (the decoder runs) and a failing item (its error record is built) still work
      expect(await own.map((x: number) => x * 2, [1, 2, 3, 4])).toEqual([2, 4, 6, 8]);
      const failed = await own.map(
        (x: number) => {
          if (x === 2) throw new RangeError('two');
          return [x].map((y) => y + 1)[0];
        },
        [1, 2, 3],
        { settle: true },
      );
      expect(failed.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      // and repeated calls: the first is watched, the next go direct
      for (let call = 0; call < 3; call++)
        expect(await own.apply((x: number) => x + 1, [call])).toBe(call + 1);
    } finally {
      await own.terminate();
    }
  });
});
