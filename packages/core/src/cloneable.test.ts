// Which items of a chunk cannot cross to a thread, and the path to the culprit inside each (the
// message a user gets for `pool.map(f, [{ handler: () => {} }])`), without a pool.
import { describe, expect, it } from 'vitest';
import { uncloneableItems } from './cloneable.js';

const paths = (items: unknown[]) =>
  uncloneableItems(items).map(({ position, path }) => [position, path]);

describe('uncloneableItems', () => {
  it('cloneable items are not listed; each culprit is, by position, with its error', () => {
    const found = uncloneableItems([1, () => {}, { a: 1 }, Symbol('s')]);
    expect(found.map((f) => f.position)).toEqual([1, 3]);
    for (const f of found) expect((f.error as Error).name).toBe('DataCloneError');
  });

  it.each([
    ['the item itself', () => {}, ''],
    ['a property', { ok: 1, handler: () => {} }, '.handler'],
    ['an array element', [1, 2, Symbol('x')], '[2]'],
    [
      'a Map value, by its key',
      new Map<unknown, unknown>([
        ['k', 1],
        ['bad', () => {}],
      ]),
      '.get(bad)',
    ],
    ['a Set member, by its place', new Set([1, () => {}]), '.<member 1>'],
    ['deep inside', { a: [{ b: new Map([[1, { c: () => {} }]]) }] }, '.a[0].b.get(1).c'],
    ['the first of two', { a: () => {}, b: () => {} }, '.a'],
  ])('%s', (_case, item, path) => {
    expect(paths([item])).toEqual([[0, path]]);
  });

  it('an object structured clone refuses for itself is the culprit, not its cloneable parts', () => {
    const port = new MessageChannel().port1;
    try {
      expect(paths([{ data: [1, 2], port }])).toEqual([[0, '.port']]);
    } finally {
      port.close();
    }
  });

  it('a cycle is walked once, and the culprit past it found', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.later = { fn: () => {} };
    expect(paths([a])).toEqual([[0, '.later.fn']]);
  });

  it('past 20 levels the path stops where the walk gave up', () => {
    let deep: Record<string, unknown> = { fn: () => {} };
    for (let i = 0; i < 25; i++) deep = { d: deep };
    const [found] = uncloneableItems([deep]);
    // the object at depth 20 is not looked into: it is the culprit, as a whole
    expect(found!.path).toBe('.d'.repeat(20));
  });
});
