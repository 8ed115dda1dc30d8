// [both] Results moved, not copied: `return transfer(bytes)` in a function gives its ArrayBuffer to
// the calling thread (zero-copy; the worker's side is emptied), as Piscina's `move()` does.
// `transfer` travels to the worker as code: capture it, `capture({ transfer })`.

/** The key of the marker `transfer()` returns, the same in every thread. */
export const TRANSFER = Symbol.for('closure-pool.transfer');

/**
 * Marks a function's result to be moved to the calling thread instead of copied: an ArrayBuffer,
 * or a typed array or DataView (its whole buffer moves). Inside the worker the value is then
 * unusable. Shared memory and views over part of a buffer are copied as usual.
 */
export function transfer<T extends ArrayBuffer | ArrayBufferView>(value: T): T {
  // self-contained, since it travels as its source: the symbol is looked up by name there
  return { [Symbol.for('closure-pool.transfer')]: value } as unknown as T;
}

/** [worker] The buffer to move for a `transfer()`ed value, if it can move as a whole. */
export function movableBuffer(value: unknown): ArrayBuffer | undefined {
  if (value instanceof ArrayBuffer) return value;
  if (!ArrayBuffer.isView(value)) return undefined;
  const { buffer, byteOffset, byteLength } = value;
  // a view over part of a buffer (a pooled Buffer) would take its neighbours along: copied instead
  if (!(buffer instanceof ArrayBuffer) || byteOffset !== 0 || byteLength !== buffer.byteLength)
    return undefined;
  return buffer;
}
