// The compiler helpers a worker supplies when the capture does not: tslib's, esbuild's, babel's and
// SWC's runtime packages (installed here as dev dependencies), and istanbul's coverage counters.
import { beforeEach, describe, expect, it } from 'vitest';
import { PayloadError } from './errors.js';
import { freshImport } from './test-helpers.js';

// its tables of helpers are built when it loads: loaded for each test, so that each test builds them
let helpers: typeof import('./helpers.js');
beforeEach(async () => {
  helpers = await freshImport('./helpers.js');
});

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
    expect(helpers.isToolchainHelper(name)).toBe(known);
  });

  it('both runtime packages are found here', () => {
    expect(helpers.missingHelperPackages()).toEqual([]);
  });
});

describe('toolchainHelper', () => {
  it("tslib's, esbuild's, babel's and SWC's helpers are their functions", () => {
    class Point {}
    const babel = helpers.toolchainHelper('_classCallCheck') as (i: unknown, c: Function) => void;
    const swc = helpers.toolchainHelper('_class_call_check') as (i: unknown, c: Function) => void;
    expect(() => babel(new Point(), Point)).not.toThrow();
    expect(() => babel({}, Point)).toThrow(TypeError);
    expect(() => swc({}, Point)).toThrow(TypeError);
    expect(typeof helpers.toolchainHelper('__awaiter')).toBe('function');
    const name = helpers.toolchainHelper('__name') as (f: Function, n: string) => Function;
    expect(name(() => 1, 'renamed').name).toBe('renamed');
  });

  it("istanbul's counters count nowhere and never fail", () => {
    const counters = (helpers.toolchainHelper('cov_2x7k') as () => any)();
    expect(counters.s[0]++).toBe(0);
    expect(counters.f[3]).toBe(0);
    expect(counters.b[1][0]++).toBe(0);
    expect(counters.bT[1][0]).toBe(0);
    expect(Object.isFrozen(counters)).toBe(true);
  });

  it('a name that is no helper is refused', () => {
    expect(() => helpers.toolchainHelper('helper')).toThrow(PayloadError);
    expect(() => helpers.toolchainHelper('helper')).toThrow(
      'Invalid closure payload: helper is not a compiler helper this worker knows.',
    );
  });
});
