// [main] How items become chunks: a fixed size (given, or Python's four chunks per thread when the
// input's length is known), or, for inputs of unknown length, a size that adapts to how long
// chunks take (as joblib's auto batching does).
import { InvalidArgumentError } from './errors.js';

export interface Chunk {
  /** The index of `items[0]` in the whole input. */
  readonly start: number;
  readonly items: unknown[];
}

export type Items<T> = Iterable<T> | AsyncIterable<T>;

/** The input's length when it can be known without consuming it. */
export function knownLength(items: Items<unknown>): number | undefined {
  if (Array.isArray(items) || ArrayBuffer.isView(items))
    return (items as ArrayLike<unknown>).length;
  if (items instanceof Set || items instanceof Map) return items.size;
  return undefined;
}

/** Python's `Pool.map` default: about four chunks per thread. */
export function fixedChunkSize(length: number, concurrency: number): number {
  return Math.max(1, Math.ceil(length / (concurrency * 4)));
}

/**
 * Chunk sizes for an input of unknown length: start at one item, then aim each chunk at
 * `targetMs` of work in the worker, growing at most eightfold and shrinking at most by half per step.
 */
export class AdaptiveChunkSize {
  static readonly targetMs = 25;
  static readonly max = 10_000;
  private size = 1;

  get current(): number {
    return this.size;
  }

  record(items: number, elapsedMs: number): void {
    if (items <= 0) return;
    const perItem = Math.max(elapsedMs, 0.001) / items;
    const ideal = Math.round(AdaptiveChunkSize.targetMs / perItem);
    this.size = Math.min(
      AdaptiveChunkSize.max,
      Math.max(1, Math.ceil(this.size / 2), Math.min(ideal, this.size * 8)),
    );
  }
}

const arrayValues = Array.prototype[Symbol.iterator];
const arrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]()) as Iterator<unknown>;
const arrayIteratorNext = arrayIteratorPrototype.next;

/** Pulls items lazily, one chunk at a time, from any iterable or async iterable. */
export class ChunkSource {
  private readonly iterator: Iterator<unknown> | AsyncIterator<unknown>;
  private readonly isAsync: boolean;
  private index = 0;
  private done = false;
  /** The input's own error, thrown once the items read before it are handed out. */
  private failure: { error: unknown } | undefined;
  /** The input, when it is a plain array. */
  private array: readonly unknown[] | undefined;

  constructor(
    items: Items<unknown>,
    private readonly size: () => number,
  ) {
    if (items !== null && typeof items === 'object' && Symbol.asyncIterator in items) {
      this.iterator = items[Symbol.asyncIterator]();
      this.isAsync = true;
    } else if (
      items !== null &&
      items !== undefined &&
      typeof (items as Iterable<unknown>)[Symbol.iterator] === 'function'
    ) {
      this.iterator = (items as Iterable<unknown>)[Symbol.iterator]();
      this.isAsync = false;
      // a plain array, iterated as arrays are: sliced, not read item by item
      if (
        Array.isArray(items) &&
        items[Symbol.iterator] === arrayValues &&
        Object.getPrototypeOf(this.iterator) === arrayIteratorPrototype &&
        arrayIteratorPrototype.next === arrayIteratorNext
      )
        this.array = items;
    } else {
      throw new InvalidArgumentError(
        `Expected the items to be an iterable or async iterable (an array, a generator, a Set…), got ${describeItems(items)}.`,
      );
    }
  }

  /**
   * The next chunk, or undefined when the input is exhausted. When the input throws, the items
   * read before are still a chunk, and the error is thrown by the call after it (as Python's
   * `imap` yields what it read, then raises).
   */
  async next(): Promise<Chunk | undefined> {
    if (this.failure) throw this.failure.error;
    if (this.done) return undefined;
    const want = this.size();
    if (this.array) return this.slice(this.array, want);
    const items: unknown[] = [];
    while (items.length < want) {
      let step: IteratorResult<unknown>;
      try {
        step = this.isAsync
          ? await this.iterator.next()
          : (this.iterator as Iterator<unknown>).next();
      } catch (error) {
        this.done = true;
        if (items.length === 0) throw error;
        this.failure = { error };
        break;
      }
      if (step.done) {
        this.done = true;
        break;
      }
      items.push(step.value);
    }
    if (items.length === 0) return undefined;
    const chunk = { start: this.index, items };
    this.index += items.length;
    return chunk;
  }

  /** An array's next chunk, as its iterator would read it (length read now), by one slice. */
  private slice(array: readonly unknown[], want: number): Chunk | undefined {
    const items = array.slice(this.index, this.index + want);
    if (items.length < want) this.done = true;
    if (items.length === 0) return undefined;
    const chunk = { start: this.index, items };
    this.index += items.length;
    return chunk;
  }

  /** Lets the input's generator run its `finally` blocks when the call ends early. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }
}

function describeItems(items: unknown): string {
  return items === null
    ? 'null'
    : typeof items === 'object'
      ? `an object without [Symbol.iterator]`
      : `${String(items)} (${typeof items})`;
}
