import { describe, expect, it } from 'vitest';
import { analyzeFunction, analyzeSource } from './analyze.js';
import { CaptureError, ErrorCode } from './errors.js';

const free = (source: string) => [...analyzeSource(source, 'fn').free].sort();

describe('free variables (acorn + eslint-scope)', () => {
  it('finds reads from outside and ignores parameters, locals, and inner scopes', () => {
    expect(free('(x) => x ** y')).toEqual(['y']);
    expect(
      free(
        'function f(a, { b = c } = {}) { let d = a + b; for (const e of d) { helper(e) } return f }',
      ),
    ).toEqual(['c', 'helper']);
    expect(free('(x) => { try { g() } catch (err) { return err + x } }')).toEqual(['g']);
    expect(free('class A extends Base { m() { return this.v + other } }')).toEqual([
      'Base',
      'other',
    ]);
  });

  // issue 21: a name declared in an inner scope, treated as bound for the whole function, would
  // pass the check and fail in the worker. Each source reads `y` where no declaration reaches.
  it.each([
    ['a block-scoped let, read after its block', '(x) => { { let y = 1; } return x + y }', ['y']],
    [
      'a catch parameter, read after the catch',
      '() => { try { f() } catch (y) {} return y }',
      ['f', 'y'],
    ],
    ['a class body’s name, read outside it', '() => { const C = class y {}; return y }', ['y']],
    ['a label, which is no binding', '() => { y: for (;;) break y; return y }', ['y']],
    [
      'a function in a block (strict: block-scoped)',
      '() => { { function y() {} } return y() }',
      ['y'],
    ],
    ['a for-let, read after the loop', '() => { for (let y = 0; y < 1; y++); return y }', ['y']],
    [
      'a default parameter, which cannot see the body’s declarations',
      '(a = y) => { let y = 1; return a + y }',
      ['y'],
    ],
    ['an inner function’s parameter', '() => { const g = (y) => y; return g(1) + y }', ['y']],
    ['a nested arrow’s local', '() => [1].map(() => { const y = 2; return y }).concat(y)', ['y']],
  ])('%s', (_, source, expected) => {
    expect(free(source)).toEqual(expected);
  });

  it.each([
    ['var hoisted from a block', '() => { { var y = 1; } return y }'],
    [
      'a function declaration hoisted in the body',
      '() => { return y(); function y() { return 1 } }',
    ],
    ['a default parameter reading an earlier one', '(y, a = y) => a'],
    ['a catch parameter read inside the catch', '() => { try {} catch (y) { return y } }'],
  ])('%s is bound', (_, source) => {
    expect(free(source)).toEqual([]);
  });

  it('counts globals as free (the encoder subtracts what a worker has)', () => {
    expect(free('(x) => Math.sqrt(x) + JSON.stringify(y)')).toEqual(['JSON', 'Math', 'y']);
  });

  it('rewrites methods into expressions', () => {
    expect(analyzeSource('double(x) { return x * 2 }', 'fn').expression).toBe(
      '({ m(x) { return x * 2 } }).m',
    );
    expect(analyzeSource('async *[Symbol.iterator]() { yield k }', 'fn').expression).toBe(
      '({ async *m() { yield k } }).m',
    );
  });

  it('rewrites vitest import bindings back to the imported name', () => {
    const a = analyzeSource(
      '(x) => (0, __vite_ssr_import_0__.helper)(x) + __vite_ssr_import_1__.k',
      'fn',
    );
    expect(a.expression).toBe('((x) => (0, helper)(x) + k)');
    expect([...a.free].sort()).toEqual(['helper', 'k']);
  });

  it('caches per function object, so a second call does no parse', () => {
    const f = (x: number) => x + 1;
    expect(analyzeFunction(f, 'fn')).toBe(analyzeFunction(f, 'fn'));
  });
});

describe('what cannot be analyzed gets its own clear error', () => {
  const cases: [string, string, RegExp][] = [
    ['this of the caller', '() => this.x', /uses `this` from the code around it/],
    ['arguments of the caller', '() => arguments[0]', /`arguments` outside any function/],
    ['super outside a class', 'm() { return super.m() }', /uses `super`/],
    ['direct eval', '(s) => eval(s)', /direct `eval`/],
    ['with', 'function (o) { with (o) { return a } }', /a `with` statement/],
    ['unparseable source', 'not a function at all', /is not a function closure-pool can parse/],
  ];
  it.each(cases)('%s', (_, source, message) => {
    let error: unknown;
    try {
      analyzeSource(source, 'fn');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).message).toMatch(message);
    expect([
      ErrorCode.CAPTURE_UNSUPPORTED_SYNTAX,
      ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
    ]).toContain((error as CaptureError).code);
  });

  it('allows `this` inside a function of its own and inside classes', () => {
    expect(free('function () { return this.x }')).toEqual([]);
    expect(free('() => function () { return this }')).toEqual([]);
    expect(free('class { m() { return this } f = () => this }')).toEqual([]);
  });
});
