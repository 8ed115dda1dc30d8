// zip() on its own, without a pool: what it returns for each kind of input, where it stops, and
// what it tells the inputs it stops reading (features.test runs it through starmap).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { zip } from './zip.js';

/** An iterable that records how far it was read and whether it was told to stop. */
function counted<T>(values: T[]) {
  const log = { read: 0, returned: false };
  const iterable = {
    [Symbol.iterator]: () => ({
      next: () =>
        log.read < values.length
          ? { done: false as const, value: values[log.read++]! }
          : { done: true as const, value: undefined },
      return: () => {
        log.returned = true;
        return { done: true as const, value: undefined };
      },
    }),
  };
  return { iterable, log };
}

async function* asyncOf<T>(values: T[]) {
  yield* values;
}

describe('zip', () => {
  it('arrays give an array, as long as the shortest, holes read as undefined', () => {
    expect(zip([1, 2, 3], ['a', 'b'])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    // biome-ignore lint/suspicious/noSparseArray: a hole on purpose
    expect(zip([1, , 3], [4, 5, 6])).toEqual([
      [1, 4],
      [undefined, 5],
      [3, 6],
    ]);
    expect(zip([1, 2])).toEqual([[1], [2]]);
    expect(zip()).toEqual([]);
  });

  it('a string is an iterable of its characters', () => {
    expect([...zip('ab', new Set([1, 2, 3]))]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('an array beside an iterable gives a lazy iterator, stopping at the shortest', () => {
    const { iterable, log } = counted([10, 20, 30]);
    const rows = zip([1, 2], iterable);
    expect(Array.isArray(rows)).toBe(false);
    expect(log.read).toBe(0);
    const first = rows.next();
    expect(first).toEqual({ done: false, value: [1, 10] });
    expect(log.read).toBe(1);
    expect([...rows]).toEqual([[2, 20]]);
    expect(log.read).toBe(2);
    expect(log.returned).toBe(true);
  });

  it('an input that ends first stops the rows, and the others are told', () => {
    const longer = counted([1, 2, 3, 4]);
    const shorter = counted(['a']);
    expect([...zip(longer.iterable, shorter.iterable)]).toEqual([[1, 'a']]);
    expect([longer.log.returned, shorter.log.returned]).toEqual([true, true]);
  });

  it('a caller that stops early tells the inputs', () => {
    const { iterable, log } = counted([1, 2, 3]);
    for (const row of zip(iterable, [4, 5, 6])) {
      expect(row).toEqual([1, 4]);
      break;
    }
    expect(log).toEqual({ read: 1, returned: true });
  });

  it('an async iterable among them gives an async iterator', async () => {
    const rows = zip(asyncOf([1, 2, 3]), ['a', 'b']);
    expect(Symbol.asyncIterator in rows).toBe(true);
    const out: unknown[] = [];
    for await (const row of rows) out.push(row);
    expect(out).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [5, 'number'],
    [{}, 'object'],
    [() => [], 'function'],
    [Symbol.iterator, 'symbol'],
  ])('refuses %s, naming the input and what it is', (bad, kind) => {
    let thrown: unknown;
    try {
      zip([1], bad as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message).toBe(
      `zip() takes iterables or async iterables; input 1 is ${kind}.`,
    );
  });
});
