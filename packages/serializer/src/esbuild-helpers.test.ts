// esbuild's runtime helpers, as the worker supplies them: the semantics of esbuild's
// internal/runtime/runtime.go, checked against what the syntax they lower does natively.
import { beforeEach, describe, expect, it } from 'vitest';
import { freshImport } from './test-helpers.js';

// a table built when the module loads: loaded for each test, so that each test builds it
let esbuildHelpers: typeof import('./esbuild-helpers.js')['esbuildHelpers'];
beforeEach(async () => {
  ({ esbuildHelpers } =
    await freshImport<typeof import('./esbuild-helpers.js')>('./esbuild-helpers.js'));
});

describe("esbuild's helpers", () => {
  it('__name names a function', () => {
    const f = esbuildHelpers.__name(() => 1, 'renamed') as Function;
    expect(f.name).toBe('renamed');
    expect(Object.getOwnPropertyDescriptor(f, 'name')).toMatchObject({
      configurable: true,
      enumerable: false,
    });
  });

  it('__publicField defines a field as class fields do: over an inherited setter, and by a string key', () => {
    const seen: unknown[] = [];
    class Base {
      set x(value: unknown) {
        seen.push(value);
      }
    }
    const obj = new Base() as unknown as Record<PropertyKey, unknown>;
    esbuildHelpers.__publicField(obj, 'x', 1);
    expect(seen).toEqual([]);
    expect(Object.getOwnPropertyDescriptor(obj, 'x')).toEqual({
      value: 1,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    esbuildHelpers.__publicField(obj, 7, 'seven');
    expect(Object.keys(obj)).toEqual(['7', 'x']);
    const symbol = Symbol('s');
    esbuildHelpers.__publicField(obj, symbol, 's');
    expect(obj[symbol]).toBe('s');
    // a new key is assigned
    const plain: Record<string, unknown> = {};
    esbuildHelpers.__publicField(plain, 'y', 2);
    expect(plain).toEqual({ y: 2 });
  });

  it('__spreadValues is `{ ...a, ...b }`: own enumerable keys and symbols, not inherited ones', () => {
    const symbol = Symbol('s');
    const hidden = Symbol('hidden');
    const b = Object.assign(Object.create({ inherited: 1 }), { own: 2, [symbol]: 3 });
    Object.defineProperty(b, hidden, { value: 4, enumerable: false });
    const spread = esbuildHelpers.__spreadValues({ a: 0 }, b);
    expect(spread).toEqual({ a: 0, own: 2, [symbol]: 3 });
    expect(Object.getOwnPropertySymbols(spread)).toEqual([symbol]);
    expect(esbuildHelpers.__spreadValues({ a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it('__spreadProps copies descriptors', () => {
    const target = esbuildHelpers.__spreadProps(
      {},
      {
        get g() {
          return 1;
        },
      },
    );
    expect(Object.getOwnPropertyDescriptor(target, 'g')?.get).toBeTypeOf('function');
  });

  it('__objRest is `const { x, ...rest } = source`', () => {
    const symbol = Symbol('s');
    const skipped = Symbol('skipped');
    const hidden = Symbol('hidden');
    const source = Object.assign(Object.create({ inherited: 1 }), {
      x: 1,
      y: 2,
      [symbol]: 3,
      [skipped]: 4,
    });
    Object.defineProperty(source, hidden, { value: 5, enumerable: false });
    const rest = esbuildHelpers.__objRest(source, ['x', skipped]);
    expect(rest).toEqual({ y: 2, [symbol]: 3 });
    expect(Object.getOwnPropertySymbols(rest)).toEqual([symbol]);
    expect(esbuildHelpers.__objRest(null, [])).toEqual({});
    expect(esbuildHelpers.__objRest(undefined, [])).toEqual({});
  });

  it('__async runs a generator as an async function: awaits, throws into it, rejects', async () => {
    const self = { base: 10 };
    const ok = await esbuildHelpers.__async(self, [5], function* (this: typeof self, n: number) {
      const a = (yield Promise.resolve(n)) as number;
      try {
        yield Promise.reject(new Error('caught'));
      } catch (error) {
        return [this.base + a, (error as Error).message];
      }
      return 'not caught';
    });
    expect(ok).toEqual([15, 'caught']);
    await expect(
      esbuildHelpers.__async(null, [], function* () {
        yield Promise.reject(new Error('uncaught'));
      }),
    ).rejects.toThrow('uncaught');
    await expect(
      esbuildHelpers.__async(null, [], function* () {
        yield 1;
        throw new Error('thrown after a step');
      }),
    ).rejects.toThrow('thrown after a step');
  });
});
