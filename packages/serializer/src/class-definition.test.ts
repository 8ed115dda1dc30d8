// Which class definitions read their captures, and so are defined once the captures are bound: the
// flag a trusted thread takes from the sender instead of parsing (issue 17). Cases found missing by
// mutating class-definition.ts (issue 21): every clause decides on its own.
import { Parser } from 'acorn';
import { describe, expect, it } from 'vitest';
import { definitionReadsScope } from './class-definition.js';

const node = (source: string) =>
  Parser.parseExpressionAt(source, 0, { ecmaVersion: 'latest', sourceType: 'module' });

describe('definitionReadsScope', () => {
  it.each([
    ['an empty class', 'class {}', false],
    [
      'methods, accessors and a static method',
      'class { m() {} get g() { return y } static s() { return y } }',
      false,
    ],
    ['an instance field reading a capture (read when constructed)', 'class { x = y }', false],
    ['a static field without a value', 'class { static x; }', false],
    ['an arrow function', '(x) => x + y', false],
    ['a function expression', 'function f() { return y }', false],
    ['extends a captured class', 'class extends Base {}', true],
    ['a computed method name', 'class { [key]() {} }', true],
    ['a computed field name', 'class { [key] = 1 }', true],
    ['a static block', 'class { static { this.x = y } }', true],
    ['a static field with a value', 'class { static x = y }', true],
  ])('%s: %s', (_, source, reads) => {
    expect(definitionReadsScope(node(source))).toBe(reads);
  });
});
