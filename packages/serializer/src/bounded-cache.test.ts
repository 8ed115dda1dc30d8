import { describe, expect, it } from 'vitest';
import { BoundedCache, DEFAULT_CACHE_BYTES } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most its limit, dropping the least recently used', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('gives a used entry a second chance: it outlives an older unused one, once', () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.get('a');
    cache.set('d', 4); // a was used: it moves behind c, and b (unused) goes
    expect([cache.get('b'), cache.size]).toEqual([undefined, 3]);
    // every entry used: each moves back once, then the oldest of them goes
    cache.get('c');
    cache.get('d');
    cache.set('e', 5);
    expect(['a', 'c', 'd', 'e'].map((k) => cache.get(k))).toEqual([undefined, 3, 4, 5]);
  });

  it('counts bytes across second chances, and a deleted key is gone', () => {
    const cache = new BoundedCache<string, number>(10, 100);
    cache.set('a', 1, 50);
    cache.set('b', 2, 50);
    cache.get('a');
    cache.set('c', 3, 50); // a moves back; b goes
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.bytes]).toEqual([
      1,
      undefined,
      3,
      100,
    ]);
    cache.delete('a');
    expect([cache.get('a'), cache.size, cache.bytes]).toEqual([undefined, 1, 50]);
  });

  it('replacing a key does not evict another', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    expect([cache.get('a'), cache.get('b'), cache.size]).toEqual([10, 2, 2]);
  });

  it('counts bytes: up to the budget exactly, evicting the oldest past it', () => {
    const cache = new BoundedCache<string, number>(10, 100);
    cache.set('a', 1, 60);
    cache.set('b', 2, 40);
    expect([cache.size, cache.bytes]).toEqual([2, 100]);
    cache.set('c', 3, 1);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.bytes]).toEqual([
      undefined,
      2,
      3,
      41,
    ]);
  });

  it('replacing a key counts its bytes once', () => {
    const cache = new BoundedCache<string, number>(10, 100);
    cache.set('a', 1, 10);
    cache.set('b', 2, 70);
    cache.set('b', 3, 70);
    expect([cache.get('a'), cache.get('b'), cache.bytes, cache.size]).toEqual([1, 3, 80, 2]);
  });

  it('an entry larger than the budget is not kept, and evicts nothing', () => {
    const cache = new BoundedCache<string, number>(10, 100);
    cache.set('a', 1, 10);
    cache.set('huge', 2, 101);
    expect([cache.get('huge'), cache.get('a'), cache.bytes]).toEqual([undefined, 1, 10]);
    cache.set('exact', 3, 100);
    expect([cache.get('exact'), cache.get('a'), cache.bytes]).toEqual([3, undefined, 100]);
  });

  it('a budget of 32 MiB by default for captured values', () => {
    expect(DEFAULT_CACHE_BYTES).toBe(32 * 1024 * 1024);
  });
});
