import { describe, expect, it } from 'vitest';
import { AdaptiveChunkSize, ChunkSource, fixedChunkSize, knownLength } from './chunking.js';
import { InvalidArgumentError } from './errors.js';

describe('chunk sizes', () => {
  it("follows Python's map: about four chunks per thread", () => {
    expect(fixedChunkSize(10, 5)).toBe(1);
    expect(fixedChunkSize(100_000, 2)).toBe(12_500);
    expect(fixedChunkSize(0, 4)).toBe(1);
  });

  it('knows the length of arrays, typed arrays, Sets and Maps, and not of generators', () => {
    expect(knownLength([1, 2])).toBe(2);
    expect(knownLength(new Float64Array(3))).toBe(3);
    expect(knownLength(new Set([1]))).toBe(1);
    expect(knownLength((function* () {})())).toBeUndefined();
  });

  it('adapts to how long chunks take: grows for fast items, shrinks for slow ones', () => {
    const size = new AdaptiveChunkSize();
    expect(size.current).toBe(1);
    size.record(1, 0.001);
    expect(size.current).toBe(8); // at most eightfold per step
    for (let i = 0; i < 10; i++) size.record(size.current, size.current * 0.0001); // 0.1 µs an item
    expect(size.current).toBe(AdaptiveChunkSize.max);
    size.record(size.current, 10_000); // far too slow: halve
    expect(size.current).toBe(AdaptiveChunkSize.max / 2);
  });
});

describe('ChunkSource', () => {
  it('an array: chunks as its iterator reads it, its length read at each chunk', async () => {
    const array = [1, 2, 3, 4, 5];
    const source = new ChunkSource(array, () => 2);
    expect(await source.next()).toEqual({ start: 0, items: [1, 2] });
    array.push(6); // as the iterator does, items added before they are reached are read
    array.splice(2, 1); // and removed ones are not
    expect(await source.next()).toEqual({ start: 2, items: [4, 5] });
    expect(await source.next()).toEqual({ start: 4, items: [6] });
    expect(await source.next()).toBeUndefined();
    expect(await source.next()).toBeUndefined();
  });

  it('an array whose iteration was changed is read through its iterator', async () => {
    const array: unknown[] = [1, 2, 3];
    array[Symbol.iterator] = function* (): ArrayIterator<unknown> {
      yield 'own';
    } as () => ArrayIterator<unknown>;
    const source = new ChunkSource(array, () => 5);
    expect(await source.next()).toEqual({ start: 0, items: ['own'] });
    const next = Object.getPrototypeOf([][Symbol.iterator]());
    const original = next.next;
    next.next = function (this: Iterator<unknown>) {
      const step = original.call(this);
      return step.done ? step : { done: false, value: (step.value as number) * 10 };
    };
    try {
      expect(await new ChunkSource([1, 2], () => 5).next()).toEqual({ start: 0, items: [10, 20] });
    } finally {
      next.next = original;
    }
  });

  it('reads lazily, one chunk at a time, and numbers items from the start', async () => {
    let pulled = 0;
    const source = new ChunkSource(
      (function* () {
        for (;;) yield ++pulled;
      })(),
      () => 3,
    );
    expect(await source.next()).toEqual({ start: 0, items: [1, 2, 3] });
    expect(pulled).toBe(3);
    expect(await source.next()).toEqual({ start: 3, items: [4, 5, 6] });
  });

  it('reads async iterables and ends with undefined', async () => {
    const source = new ChunkSource(
      (async function* () {
        yield 'a';
        yield 'b';
      })(),
      () => 5,
    );
    expect(await source.next()).toEqual({ start: 0, items: ['a', 'b'] });
    expect(await source.next()).toBeUndefined();
  });

  it('refuses what is not iterable', () => {
    expect(() => new ChunkSource(42 as any, () => 1)).toThrow(InvalidArgumentError);
    expect(() => new ChunkSource({} as any, () => 1)).toThrow(
      /Expected the items to be an iterable/,
    );
  });
});

describe('edges', () => {
  it('four chunks per thread, rounded up; Maps and strings', () => {
    expect(fixedChunkSize(9, 2)).toBe(2);
    expect(fixedChunkSize(8, 2)).toBe(1);
    expect(fixedChunkSize(17, 1)).toBe(5);
    expect(knownLength(new Map([[1, 2]]))).toBe(1);
    expect(knownLength(new DataView(new ArrayBuffer(4)) as never)).toBeUndefined();
    expect(knownLength('abc')).toBeUndefined();
  });

  it('adaptive sizes aim at 25 ms a chunk, and ignore a chunk of no items', () => {
    const size = new AdaptiveChunkSize();
    size.record(0, 1_000);
    expect(size.current).toBe(1);
    size.record(1, 5); // 5 ms an item: 5 items make 25 ms
    expect(size.current).toBe(5);
    size.record(5, 5); // 1 ms an item: 25, within eightfold of 5 (40)
    expect(size.current).toBe(25);
    size.record(25, 25 * 2); // 2 ms an item: 12.5 → 13, above half of 25
    expect(size.current).toBe(13);
    size.record(13, 13 * 100); // 100 ms an item: would be 0, halving gives 7
    expect(size.current).toBe(7);
    size.record(7, 0); // no time at all counts as 1 µs an item: eightfold
    expect(size.current).toBe(56);
    size.record(1, -5);
    expect(size.current).toBe(448);
  });

  it("an input's error comes after the items read before it, then again on each call", async () => {
    const failure = new Error('input broke');
    const source = new ChunkSource(
      (function* () {
        yield 1;
        yield 2;
        throw failure;
      })(),
      () => 5,
    );
    expect(await source.next()).toEqual({ start: 0, items: [1, 2] });
    await expect(source.next()).rejects.toBe(failure);
    await expect(source.next()).rejects.toBe(failure);
  });

  it('an error before any item is thrown at once, then the source is done', async () => {
    const failure = new Error('at once');
    const source = new ChunkSource(
      {
        [Symbol.iterator]: () => ({
          next: () => {
            throw failure;
          },
        }),
      },
      () => 2,
    );
    await expect(source.next()).rejects.toBe(failure);
    expect(await source.next()).toBeUndefined();
  });

  it('an async input that rejects mid-chunk keeps the items before it', async () => {
    const source = new ChunkSource(
      (async function* () {
        yield 'a';
        throw new Error('async broke');
      })(),
      () => 3,
    );
    expect(await source.next()).toEqual({ start: 0, items: ['a'] });
    await expect(source.next()).rejects.toThrow('async broke');
  });

  it('the size is asked for each chunk', async () => {
    const sizes = [1, 3, 2];
    const source = new ChunkSource([1, 2, 3, 4, 5, 6, 7], () => sizes.shift() ?? 10);
    const chunks = [];
    for (let chunk = await source.next(); chunk; chunk = await source.next()) chunks.push(chunk);
    expect(chunks).toEqual([
      { start: 0, items: [1] },
      { start: 1, items: [2, 3, 4] },
      { start: 4, items: [5, 6] },
      { start: 6, items: [7] },
    ]);
  });

  it("close() lets the input's generator run its finally block, once", async () => {
    let finished = 0;
    const source = new ChunkSource(
      (function* () {
        try {
          for (;;) yield 0;
        } finally {
          finished++;
        }
      })(),
      () => 2,
    );
    await source.next();
    await source.close();
    await source.close();
    expect(finished).toBe(1);
    expect(await source.next()).toBeUndefined();
  });

  it('close() of an input that ended, or has no return(), does nothing', async () => {
    let returned = 0;
    const ended = new ChunkSource(
      {
        [Symbol.iterator]: () => ({
          next: () => ({ done: true as const, value: undefined }),
          return: () => {
            returned++;
            return { done: true as const, value: undefined };
          },
        }),
      },
      () => 2,
    );
    expect(await ended.next()).toBeUndefined();
    await ended.close();
    expect(returned).toBe(0);
    const bare = new ChunkSource(
      { [Symbol.iterator]: () => ({ next: () => ({ done: false, value: 1 }) }) },
      () => 1,
    );
    await expect(bare.close()).resolves.toBeUndefined();
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined (undefined)'],
    [42, '42 (number)'],
    [{}, 'an object without [Symbol.iterator]'],
    [{ [Symbol.iterator]: 5 }, 'an object without [Symbol.iterator]'],
  ])('refuses %s, saying what it got', (items, got) => {
    expect(() => new ChunkSource(items as never, () => 1)).toThrow(
      `Expected the items to be an iterable or async iterable (an array, a generator, a Set…), got ${got}.`,
    );
  });
});
