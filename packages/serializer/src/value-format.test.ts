// Array indices and own data properties, as the value walk and the worker's repairs read them.
import { describe, expect, it } from 'vitest';
import { define, isIndex } from './value-format.js';

describe('isIndex: the keys an array holds its items under', () => {
  it.each([
    ['0', true],
    ['7', true],
    ['4294967294', true],
    ['4294967295', false],
    ['4294967296', false],
    ['-1', false],
    ['01', false],
    ['1.5', false],
    ['1e3', false],
    ['', false],
    [' 1', false],
    ['length', false],
  ])('%j: %s', (key, index) => {
    expect(isIndex(key)).toBe(index);
  });
});

describe('define: an own data property, whatever its name', () => {
  it('`__proto__` is a property, not the prototype', () => {
    const target: Record<string, unknown> = {};
    define(target, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')).toEqual({
      value: { polluted: true },
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('any other name is set as usual', () => {
    const target: Record<string, unknown> = {};
    define(target, 'a', 1);
    expect(Object.getOwnPropertyDescriptor(target, 'a')).toEqual({
      value: 1,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });
});
