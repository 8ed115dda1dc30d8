import { capture } from '@closure-pool/serializer';
import { describe, expectTypeOf, it } from 'vitest';
import type { ClosurePool } from './pool.js';

declare const pool: ClosurePool;

describe('types are inferred from fn', () => {
  it('map resolves to the awaited results, or settled results with settle: true', () => {
    expectTypeOf(pool.map((x: number) => String(x), [1])).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(pool.map(async (x: number) => x > 1, [1])).toEqualTypeOf<Promise<boolean[]>>();
    expectTypeOf(pool.map((x: number) => x, [1], capture({}), { settle: true })).toEqualTypeOf<
      Promise<PromiseSettledResult<number>[]>
    >();
    expectTypeOf(pool.map((x: number) => x, [1], { settle: true })).toEqualTypeOf<
      Promise<PromiseSettledResult<number>[]>
    >();
  });

  it('the item type comes from the items and must fit fn', () => {
    // @ts-expect-error strings are not numbers
    void pool.map((x: number) => x, ['a']);
    expectTypeOf(pool.map((s: string, i: number) => s.length + i, new Set(['a']))).toEqualTypeOf<
      Promise<number[]>
    >();
  });

  it('starmap and apply take argument lists typed by fn', () => {
    expectTypeOf(
      pool.starmap((a: number, b: string) => a + b, [[1, 'x'] as [number, string]]),
    ).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(pool.apply((a: number, b: number) => a + b, [1, 2])).toEqualTypeOf<
      Promise<number>
    >();
    // @ts-expect-error the second argument must be a number
    void pool.apply((a: number, b: number) => a + b, [1, 'x']);
  });

  it('imap and imapUnordered are async iterators of results', () => {
    expectTypeOf(pool.imap((x: number) => [x], [1])).toEqualTypeOf<
      AsyncIterableIterator<number[]>
    >();
    expectTypeOf(pool.imapUnordered(async (x: number) => x, [1])).toEqualTypeOf<
      AsyncIterableIterator<number>
    >();
  });
});
