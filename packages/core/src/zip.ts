// [main] Several inputs in step, for `starmap` (Python's `map(f, xs, ys)`, pathos' `pool.map(f, xs, ys)`):
// `pool.starmap((x, y) => x + y, zip(xs, ys))`. Stops at the shortest input, as Python's zip does.
import type { Items } from './chunking.js';
import { InvalidArgumentError } from './errors.js';

type ItemOf<I> = I extends Items<infer X> ? X : never;
/** One row: the nth item of each input, typed input by input. */
export type Row<T extends readonly unknown[]> = { -readonly [K in keyof T]: ItemOf<T[K]> };

/** Arrays in, an array out: its length is known, so chunk sizes and progress totals are too. */
export function zip<T extends readonly (readonly unknown[])[]>(...inputs: T): Row<T>[];
/** Iterables in: a lazy iterator, read one row at a time. */
export function zip<T extends readonly Iterable<unknown>[]>(...inputs: T): IterableIterator<Row<T>>;
/** Any async iterable among them: a lazy async iterator. */
export function zip<T extends readonly Items<unknown>[]>(
  ...inputs: T
): AsyncIterableIterator<Row<T>>;
export function zip(...inputs: Items<unknown>[]): unknown {
  inputs.forEach((input, i) => {
    const ok =
      input !== null &&
      (typeof input === 'object' || typeof input === 'string') &&
      (Symbol.iterator in Object(input) || Symbol.asyncIterator in Object(input));
    if (!ok)
      throw new InvalidArgumentError(
        `zip() takes iterables or async iterables; input ${i} is ${input === null ? 'null' : typeof input}.`,
      );
  });
  if (inputs.every((input) => Array.isArray(input))) {
    const arrays = inputs as unknown[][];
    const length = Math.min(...arrays.map((a) => a.length));
    return Array.from({ length: inputs.length === 0 ? 0 : length }, (_, n) =>
      arrays.map((a) => a[n]),
    );
  }
  if (inputs.every((input) => Symbol.iterator in Object(input)))
    return zipSync(inputs as Iterable<unknown>[]);
  return zipAsync(inputs);
}

function* zipSync(inputs: Iterable<unknown>[]): IterableIterator<unknown[]> {
  const iterators = inputs.map((input) => input[Symbol.iterator]());
  try {
    for (;;) {
      const row: unknown[] = [];
      for (const iterator of iterators) {
        const step = iterator.next();
        if (step.done) return;
        row.push(step.value);
      }
      yield row;
    }
  } finally {
    // the inputs not yet exhausted are told that nothing more will be read
    for (const iterator of iterators) iterator.return?.();
  }
}

async function* zipAsync(inputs: Items<unknown>[]): AsyncIterableIterator<unknown[]> {
  const iterators = inputs.map((input) =>
    Symbol.asyncIterator in Object(input)
      ? (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (input as Iterable<unknown>)[Symbol.iterator](),
  );
  try {
    for (;;) {
      const row: unknown[] = [];
      for (const iterator of iterators) {
        const step = await iterator.next();
        if (step.done) return;
        row.push(step.value);
      }
      yield row;
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}
