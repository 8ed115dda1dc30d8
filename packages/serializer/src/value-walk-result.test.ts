// What the walk hands the encoder (WalkResult), beyond what arrives: only the copies and repairs a
// value needs. A needless repair arrives the same, so only these cases see it; each costs bytes and
// time on every call. Cases from the survivors of the serializer's mutation run.
import { describe, expect, it } from 'vitest';
import { Fix } from './value-format.js';
import { ValueWalk, type WalkResult } from './value-walk.js';

/** The walk of `value` as one captured name, with functions standing for ref 0. */
function walk(value: unknown): WalkResult {
  const walk = new ValueWalk({ refOf: () => 0, classIndexOf: () => 0 });
  walk.check({ v: value }, 'capture', {});
  return walk.result();
}

const fn = () => 1;
const errorFixes = (result: WalkResult) =>
  result.fixes.filter(([kind]) => kind === Fix.ERROR).map(([, , extras]) => extras);

describe('copies', () => {
  it('plain data needs none', () => {
    const result = walk({ a: [1, { b: 2 }], m: new Map([[1, { c: 3 }]]), s: new Set([{}]) });
    expect(result.copied).toBeUndefined();
    expect(result.places).toEqual([]);
    expect(result.fixes).toEqual([]);
  });

  it('a function deep inside: each object on the way to it is copied, the rest not', () => {
    const inner = { f: fn };
    const middle = [inner];
    const beside = { leaf: { x: 1 }, list: [{ y: 2 }] };
    const record = { v: { middle, beside } };
    const w = new ValueWalk({ refOf: () => 0, classIndexOf: () => 0 });
    w.check(record, 'capture', {});
    const { copied } = w.result();
    expect(copied?.get(record.v)).toBe(true);
    expect(copied?.get(middle)).toBe(true);
    expect(copied?.get(inner)).toBe(true);
    // objects holding objects are remembered as not copied; leaves are not remembered
    expect(copied?.get(beside)).toBe(false);
    expect(copied?.get(beside.list)).toBe(false);
    expect(copied?.has(beside.leaf)).toBe(false);
  });

  it('a function captured as itself needs no copy: the record holding it is ours', () => {
    const w = new ValueWalk({ refOf: () => 0, classIndexOf: () => 0 });
    w.check(fn, 'capture.f', {});
    expect(w.result().copied).toBeUndefined();
    expect(w.result().places).toHaveLength(1);
  });

  it('a function met twice is one placeholder', () => {
    const result = walk([fn, { again: fn }, new Map([[fn, fn]])]);
    expect(result.places).toHaveLength(1);
  });

  it('a function in a Map or a Set marks it copied', () => {
    const map = new Map([['k', fn]]);
    const keyed = new Map([[fn, 1]]);
    const set = new Set([fn]);
    const w = new ValueWalk({ refOf: () => 0, classIndexOf: () => 0 });
    w.check({ v: [map, keyed, set] }, 'capture', {});
    const { copied } = w.result();
    expect([copied?.get(map), copied?.get(keyed), copied?.get(set)]).toEqual([true, true, true]);
  });

  it("an array's extra property holding a function marks it copied; plain extras do not", () => {
    const withFn = Object.assign([1, 2], { f: fn });
    const plain = Object.assign([{ x: 1 }], { note: { y: 1 } });
    const w = new ValueWalk({ refOf: () => 0, classIndexOf: () => 0 });
    w.check({ v: [withFn, plain] }, 'capture', {});
    const { copied } = w.result();
    expect(copied?.get(withFn)).toBe(true);
    expect(copied?.get(plain)).toBe(false);
  });
});

describe('errors: extras only where structured clone would change them', () => {
  it.each([
    ['an Error', new Error('m')],
    ['a TypeError', new TypeError('m')],
    ['a RangeError with a primitive cause', new RangeError('m', { cause: 'why' })],
  ])('%s needs none', (_, error) => {
    expect(walk(error).fixes).toEqual([]);
    expect(walk(error).copied).toBeUndefined();
  });

  it('an AggregateError: its errors and name, and no class (its errors make it one)', () => {
    const inner = new TypeError('inner');
    expect(errorFixes(walk(new AggregateError([inner], 'all')))).toEqual([
      { name: 'AggregateError', errors: [inner] },
    ]);
  });

  it('own properties, but an own enumerable `cause`, which structured clone keeps', () => {
    const error = Object.assign(new Error('m'), { code: 'E1', cause: 'primitive' });
    expect(errorFixes(walk(error))).toEqual([{ props: { code: 'E1' } }]);
    const onlyCause = Object.assign(new Error('m'), { cause: 'primitive' });
    expect(walk(onlyCause).fixes).toEqual([]);
  });

  it('an object cause travels among the extras, and makes a copy', () => {
    const cause = { why: 1 };
    const error = new Error('m', { cause });
    const result = walk(error);
    expect(errorFixes(result)).toEqual([{ cause }]);
    expect(result.copied).toBeDefined();
  });

  it("an own name that is another built-in's: the class and the name travel; a custom name alone", () => {
    const named = new TypeError('m');
    Object.defineProperty(named, 'name', { value: 'RangeError' });
    expect(errorFixes(walk(named))).toEqual([{ proto: 'TypeError', name: 'RangeError' }]);
    const custom = new Error('m');
    Object.defineProperty(custom, 'name', { value: 'Custom' });
    expect(errorFixes(walk(custom))).toEqual([{ name: 'Custom' }]);
  });
});
