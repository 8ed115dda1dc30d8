// The compiler helpers a worker supplies when the capture does not: tslib's, esbuild's, babel's and
// SWC's runtime packages (installed here as dev dependencies), and istanbul's coverage counters.
import { describe, expect, it } from 'vitest';
import { PayloadError } from './errors.js';
import { isToolchainHelper, missingHelperPackages, toolchainHelper } from './helpers.js';

describe('isToolchainHelper', () => {
  it.each([
    ['__awaiter', true],
    ['__generator', true],
    ['__name', true],
    ['default', false],
    ['awaiter__', false],
    ['_classCallCheck', true],
    ['classCallCheck', false],
    ['_classCallCheck.js', false],
    ['_class_call_check', true],
    ['class_call_check', false],
    ['_class_call_check.cjs', false],
    ['cov_2x7k', true],
    ['cov_', false],
    ['my_cov_2x7k', false],
    ['cov_2x7k()', false],
    ['helper', false],
  ])('%s: %s', (name, known) => {
    expect(isToolchainHelper(name)).toBe(known);
  });

  it('both runtime packages are found here', () => {
    expect(missingHelperPackages()).toEqual([]);
  });
});

describe('toolchainHelper', () => {
  it("tslib's, esbuild's, babel's and SWC's helpers are their functions", () => {
    class Point {}
    const babel = toolchainHelper('_classCallCheck') as (i: unknown, c: Function) => void;
    const swc = toolchainHelper('_class_call_check') as (i: unknown, c: Function) => void;
    expect(() => babel(new Point(), Point)).not.toThrow();
    expect(() => babel({}, Point)).toThrow(TypeError);
    expect(() => swc({}, Point)).toThrow(TypeError);
    expect(typeof toolchainHelper('__awaiter')).toBe('function');
    const name = toolchainHelper('__name') as (f: Function, n: string) => Function;
    expect(name(() => 1, 'renamed').name).toBe('renamed');
  });

  it("istanbul's counters count nowhere and never fail", () => {
    const counters = (toolchainHelper('cov_2x7k') as () => any)();
    expect(counters.s[0]++).toBe(0);
    expect(counters.f[3]).toBe(0);
    expect(counters.b[1][0]++).toBe(0);
    expect(counters.bT[1][0]).toBe(0);
    expect(Object.isFrozen(counters)).toBe(true);
  });

  it('a name that is no helper is refused', () => {
    expect(() => toolchainHelper('helper')).toThrow(PayloadError);
    expect(() => toolchainHelper('helper')).toThrow(
      'Invalid closure payload: helper is not a compiler helper this worker knows.',
    );
  });
});
