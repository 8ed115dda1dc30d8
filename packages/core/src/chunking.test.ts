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
