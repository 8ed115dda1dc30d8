import { Socket } from 'node:net';
import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { capture, closure, moduleRef } from './capture.js';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { createPayloadCache, encodeClosure, serializeClosure } from './encode.js';
import { CaptureError, ErrorCode } from './errors.js';
import { setScopeChecks } from './scopes.js';
import { captureError, roundTrip } from './test-helpers.js';

// bound only by the capture each test gives
declare const k: number;

describe('every function form travels', () => {
  const y = 3;
  function declared(x: number) {
    return x * y;
  }
  class Shape {
    area(side: number) {
      return side * side * y;
    }
    static unit(x: number) {
      return x * y;
    }
  }
  const forms: [string, Function, unknown, unknown][] = [
    ['arrow', (x: number) => x * y, 2, 6],
    ['function expression', (x: number) => x * y, 2, 6],
    ['function declaration', declared, 2, 6],
    [
      'method shorthand',
      {
        double(x: number) {
          return x * 2 * y;
        },
      }.double,
      1,
      6,
    ],
    ['class method taken off an instance', new Shape().area, 2, 12],
    ['static method', Shape.unit, 2, 6],
  ];
  it.each(forms)('%s', async (_, fn, input, expected) => {
    expect((await roundTrip(fn, { y }))(input)).toBe(expected);
  });

  it('async functions', async () => {
    const f = await roundTrip(async (x: number) => (await Promise.resolve(x)) * y, { y });
    await expect(f(2)).resolves.toBe(6);
  });

  it('generators and async generators', async () => {
    const gen = await roundTrip(
      function* (n: number) {
        for (let i = 0; i < n; i++) yield i * y;
      },
      { y },
    );
    expect([...gen(3)]).toEqual([0, 3, 6]);
    const agen = await roundTrip(
      async function* (n: number) {
        for (let i = 0; i < n; i++) yield i * y;
      },
      { y },
    );
    const out: number[] = [];
    for await (const v of agen(3)) out.push(v);
    expect(out).toEqual([0, 3, 6]);
  });

  it('methods with computed keys', async () => {
    const obj = {
      [`tri${'ple'}`](x: number) {
        return x * 3;
      },
    };
    expect((await roundTrip(obj.triple))(2)).toBe(6);
  });

  it('native functions a worker can find travel by reference and work', async () => {
    expect((await roundTrip(Math.sqrt))(9)).toBe(3);
    const stringify = JSON.stringify;
    const clone = structuredClone;
    const f = await roundTrip((v: unknown) => stringify(clone(v)), { stringify, clone });
    expect(f({ a: 1 })).toBe('{"a":1}');
    // methods taken off a built-in prototype (issue 13: refused with advice that could not work)
    const join = Array.prototype.join;
    const hasOwn = Object.prototype.hasOwnProperty;
    const g = await roundTrip((xs: string[]) => [join.call(xs, '-'), hasOwn.call({ a: 1 }, 'a')], {
      join,
      hasOwn,
    });
    expect(g(['a', 'b'])).toEqual(['a-b', true]);
  });

  it('refuses bound functions and natives a worker cannot find, saying how to fix it', () => {
    const bound = ((x: number) => x).bind(null);
    expect(() => serializeClosure(bound)).toThrow(
      /is a bound function \(bound \).*closure\(\(x\) => target\.method\(x\), \{ target \}\)/,
    );
    expect(() => serializeClosure(Function.prototype.call.bind(Array.prototype.push))).toThrow(
      /is a bound function/,
    );
    expect(() =>
      serializeClosure(Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!),
    ).toThrow(/native code \((get size|anonymous)\) that a worker cannot find.*moduleRef/);
  });

  it("Node's own functions and modules: refused as values, advised as moduleRef, which works", async () => {
    const { join } = await import('node:path');
    const path = (await import('node:path')).default;
    const io = { join };
    const cases: [() => unknown, string, RegExp][] = [
      [
        () => serializeClosure((p: string) => join(p, 'x'), { join }),
        'capture.join',
        /^capture\.join is `join` from node:path: Node's own code, .* Fix: capture\(\{ join: moduleRef\('node:path', 'join'\) \}\)$/,
      ],
      [
        () => serializeClosure((p: string) => io.join(p, 'x'), { io }),
        'capture.io.join',
        /Fix: put moduleRef\('node:path', 'join'\) in its place$/,
      ],
      [
        () => serializeClosure(join),
        'fn',
        /Fix: pass an arrow that calls it, .*\(\.\.\.args\) => join\(\.\.\.args\) with capture\(\{ join: moduleRef\('node:path', 'join'\) \}\)$/,
      ],
      [
        () => serializeClosure(types.isDate),
        'fn',
        /is `isDate` from node:util\/types: .*moduleRef\('node:util\/types', 'isDate'\)/,
      ],
    ];
    for (const [make, where, message] of cases) {
      const error = captureError(make);
      expect([error.code, error.path]).toEqual([ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION, where]);
      expect(error.message).toMatch(message);
    }
    // missing, the advice names the moduleRef for a function and for a module alike
    expect(() => serializeClosure((p: string) => join(p, 'x'))).toThrow(
      /fn uses join \(here function join\), .*Fix: capture\(\{ join: moduleRef\('node:path', 'join'\) \}\)/,
    );
    expect(() => serializeClosure((p: string) => path.basename(p))).toThrow(
      /Fix: capture\(\{ path: moduleRef\('node:path'\) \}\)/,
    );
    // and what they advise works
    const joined = await roundTrip((p: string) => join(p, 'x'), {
      join: moduleRef('node:path', 'join'),
    });
    expect(joined('/a')).toBe('/a/x');
  });

  it('compiles in strict mode, as module code is', async () => {
    const f = await roundTrip(() =>
      (function (this: unknown) {
        return this;
      })(),
    );
    expect(f()).toBeUndefined();
  });
});

describe('captured values travel', () => {
  it('everything structured clone carries, and URLs, by value', async () => {
    const cyclic: any = { name: 'loop', list: [1, 2] };
    cyclic.self = cyclic;
    cyclic.list.push(cyclic);
    const value = {
      u: undefined,
      nan: Number.NaN,
      negZero: -0,
      inf: Number.POSITIVE_INFINITY,
      big: 2n ** 70n,
      date: new Date('2020-01-02T03:04:05Z'),
      re: /a+b/gi,
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['k', { deep: [1] }],
      ]),
      set: new Set([1, 'two']),
      err: new TypeError('bad'),
      url: new URL('https://example.test/a?b=1'),
      cyclic,
    };
    const f = await roundTrip(() => value, { value });
    const back = f();
    expect(back.u).toBeUndefined();
    expect('u' in back).toBe(true);
    expect(back.nan).toBeNaN();
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(back.inf).toBe(Number.POSITIVE_INFINITY);
    expect(back.big).toBe(2n ** 70n);
    expect(back.date).toEqual(value.date);
    expect(back.re.source).toBe('a+b');
    expect(back.re.flags).toBe('gi');
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.err).toBeInstanceOf(TypeError);
    expect(back.err.message).toBe('bad');
    expect(back.url.href).toBe(value.url.href);
    expect(back.cyclic.self).toBe(back.cyclic);
    expect(back.cyclic.list[2]).toBe(back.cyclic);
  });

  it('typed arrays, ArrayBuffers, DataViews and Buffers, with their types', async () => {
    const bytes = {
      f64: new Float64Array([1.5, -2, Number.NaN]),
      i32: new Int32Array([1, -1]),
      big: new BigInt64Array([5n]),
      view: new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),
      ab: new Uint16Array([1, 2]).buffer,
      dv: new DataView(new Uint8Array([1, 2, 3]).buffer),
      buf: Buffer.from('hello'),
    };
    const back = (await roundTrip(() => bytes, { bytes }))();
    expect(back.f64).toBeInstanceOf(Float64Array);
    expect([...back.f64]).toEqual([1.5, -2, Number.NaN]);
    expect(back.i32).toEqual(bytes.i32);
    expect(back.big).toEqual(bytes.big);
    expect([...back.view]).toEqual([8, 7]);
    expect(new Uint16Array(back.ab)).toEqual(new Uint16Array([1, 2]));
    expect(back.dv.getUint8(2)).toBe(3);
    expect(Buffer.isBuffer(back.buf) && back.buf.toString()).toBe('hello');
  });

  it('instances of registered classes keep their class, which travels too', async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    registerClass(Point);
    const origin = new Point(3, 4);
    const f = await roundTrip(() => origin, { origin });
    const back = f();
    expect(back.norm()).toBe(5);
    expect(back.constructor.name).toBe('Point');
  });

  it('is a snapshot taken at serialization: later changes on either side are not seen', async () => {
    const state = { count: 1 };
    const payloadFn = roundTrip(() => ++state.count, { state });
    state.count = 100;
    const f = await payloadFn;
    expect(f()).toBe(2);
    expect(state.count).toBe(100);
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['WeakMap', { cache: new WeakMap() }, /capture\.cache cannot travel.*held weakly/],
    ['WeakRef', { ref: new WeakRef({}) }, /capture\.ref cannot travel.*held weakly/],
    [
      'Promise',
      { pending: Promise.resolve(1) },
      /capture\.pending cannot travel.*a Promise: await it first/,
    ],
    ['Symbol', { tag: Symbol('t') }, /capture\.tag cannot travel.*a Symbol/],
    ['Proxy', { p: new Proxy({}, {}) }, /capture\.p cannot travel.*a Proxy/],
    [
      'socket',
      { db: { client: new Socket() } },
      /capture\.db\.client cannot travel.*a stream or socket \(an instance of Socket\).*open it inside the function/,
    ],
    [
      'value in a Map',
      { m: new Map([['k', new WeakSet()]]) },
      /capture\.m\.get\('k' \(string\)\) cannot travel/,
    ],
  ];
  it.each(refusals)('refuses a %s, naming its path, before anything is sent', (_, env, message) => {
    const keys = Object.keys(env);
    const fn = new Function(`return () => [${keys.join(', ')}]`)();
    const error = (() => {
      try {
        serializeClosure(fn, env);
      } catch (e) {
        return e as CaptureError;
      }
    })();
    expect(error).toBeInstanceOf(CaptureError);
    expect(error?.code).toBe(ErrorCode.CAPTURE_UNSUPPORTED_VALUE);
    expect(error?.message).toMatch(message);
  });
});

describe('captured functions travel with their environments', () => {
  it('a function that calls itself through its outer name', async () => {
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    expect((await roundTrip(fib, capture({ fib })))(15)).toBe(610);
  });

  it('mutual recursion', async () => {
    const isEven = (n: number): boolean => (n === 0 ? true : isOdd(n - 1));
    const isOdd = (n: number): boolean => (n === 0 ? false : isEven(n - 1));
    const f = await roundTrip((n: number) => isEven(n), { isEven, isOdd });
    expect([f(10), f(7)]).toEqual([true, false]);
  });

  it('a helper shared by two functions is sent once: the payload is a graph', async () => {
    const square = (x: number) => x * x;
    const a = (x: number) => square(x) + 1;
    const b = (x: number) => square(x) - 1;
    const payload = serializeClosure((x: number) => [a(x), b(x), square(x)], { a, b, square });
    expect(payload.functions.filter((f) => f.source.includes('x * x'))).toHaveLength(1);
    expect(payload.functions).toHaveLength(4);
    expect((await roundTrip((x: number) => [a(x), b(x)], { a, b, square }))(3)).toEqual([10, 8]);
  });

  it('a factory declares the environment once with closure(); the function carries it anywhere', async () => {
    const powerFactory = (y: number) => closure((x: number) => x ** y, { y });
    expect((await roundTrip(powerFactory(3)))(2)).toBe(8);
    const cube = powerFactory(3);
    const ops = { cube, list: [powerFactory(2)] };
    const f = await roundTrip((x: number) => [ops.cube(x), ops.list[0]!(x)], { ops });
    expect(f(2)).toEqual([8, 4]);
  });

  it('an explicit capture overrides what closure() attached', async () => {
    const f = closure((x: number) => x + k, { k: 1 });
    expect((await roundTrip(f, { k: 10 }))(1)).toBe(11);
  });

  it('a captured function without closure() sees the capture it was found in', async () => {
    const z = 5;
    const helper = (x: number) => x + z;
    expect((await roundTrip((x: number) => helper(x), { helper, z }))(1)).toBe(6);
  });

  it('modules named with moduleRef are imported by the worker instead of copied', async () => {
    const path = moduleRef('node:path');
    const basename = moduleRef('node:path', 'basename');
    const f = await roundTrip((p: string) => [path.sep, basename(p)], { path, basename });
    expect(f('/a/b.txt')).toEqual(['/', 'b.txt']);
  });
});

describe('the free-variable check', () => {
  it('lists every missing name in one error, with the fix', () => {
    const fn = new Function('return (x) => helper(x) * y + z + Math.PI')();
    const error = (() => {
      try {
        serializeClosure(fn, { z: 1 });
      } catch (e) {
        return e as CaptureError;
      }
    })();
    expect(error).toBeInstanceOf(CaptureError);
    expect(error?.code).toBe(ErrorCode.CAPTURE_MISSING);
    expect(error?.missing).toEqual(['helper', 'y']);
    expect(error?.message).toMatch(
      /fn uses helper, y, which a worker thread does not have\. Fix: capture\(\{ helper, y \}\)/,
    );
  });

  it("checks captured functions' own environments too", () => {
    const inner = new Function('return function inner(x) { return x + w }')();
    expect(() => serializeClosure((x: number) => inner(x), { inner })).toThrow(
      /capture\.inner uses w.*closure\(inner, \{ w \}\)/,
    );
  });

  it('does not ask for globals a worker thread has, nor for compiler helpers', () => {
    const fn = new Function(
      'return (x) => __awaiter(void 0, void 0, void 0, function* () { return setTimeout && Buffer && x })',
    )();
    const payload = serializeClosure(fn);
    expect(payload.functions[0]!.names).toEqual([]);
    expect(payload.functions[0]!.helpers).toEqual(['__awaiter']);
  });

  it("asks for globals the caller's thread added, since a worker does not have them", () => {
    (globalThis as any).addedHere = 1;
    const fn = new Function('return () => addedHere')();
    expect(() => serializeClosure(fn)).toThrow(/fn uses addedHere/);
    delete (globalThis as any).addedHere;
  });

  it("binds esbuild's renamed shadowing variable (y → y2) to the captured y", async () => {
    const fn = new Function('return (x) => x ** y2')();
    expect((await roundTrip(fn, { y: 2 }))(3)).toBe(9);
  });

  it('serializing the same closure again does not parse it again', () => {
    const y = 2;
    const fn = (x: number) => x * y;
    const first = serializeClosure(fn, { y });
    const second = serializeClosure(fn, { y });
    expect(second).toEqual(first);
  });
});

describe('reusing payloads', () => {
  it('reuses the frame of the same closure and equal values, and still snapshots changed bytes', async () => {
    const table = new Float64Array([1, 2, 3]);
    const lookup = (i: number) => table[i];
    const first = encodeClosure(lookup, { table });
    expect(encodeClosure(lookup, { table })).toBe(first); // same bytes: the same frame, not made again
    table[0] = 100;
    const changed = encodeClosure(lookup, { table });
    expect(changed.id).not.toBe(first.id);
    expect((await roundTrip(lookup, { table }))(0)).toBe(100);
  });

  it('an unchanged object shares the frame; a changed one is a new snapshot', async () => {
    const state = { n: 1 };
    const read = () => state.n;
    const first = encodeClosure(read, { state });
    expect(encodeClosure(read, { state })).toBe(first);
    state.n = 2;
    const changed = encodeClosure(read, { state });
    expect(changed.id).not.toBe(first.id);
    expect((await deserializeClosure(changed.frame))()).toBe(2);
    expect((await deserializeClosure(first.frame))()).toBe(1);
  });

  it('keeps frames within the byte budget of its cache', () => {
    const cache = createPayloadCache(3 * 1024 * 1024);
    for (let i = 0; i < 10; i++) {
      const block = new Uint8Array(1024 * 1024 + i).fill(i);
      encodeClosure(() => block, { block }, { cache });
    }
    expect(cache.bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(cache.bytes).toBeGreaterThan(1024 * 1024);
  });

  it('a capture of primitives is reused by value, -0 apart from 0, a string apart from a number', async () => {
    const read = (v: unknown) => encodeClosure(() => v, { v });
    expect(read(1)).toBe(read(1));
    expect(read(-0)).not.toBe(read(0));
    expect(Object.is((await deserializeClosure(read(-0).frame))(), -0)).toBe(true);
    expect(read('1')).not.toBe(read(1));
    expect(read(1n)).not.toBe(read(1));
    expect(read(undefined)).not.toBe(read(null));
  });

  it('the same function with equal primitives again: the same payload, without building it again', async () => {
    const cache = createPayloadCache(1024 * 1024);
    const y = 2;
    const times = (x: number) => x * y;
    const first = encodeClosure(times, capture({ y }), { cache });
    expect(encodeClosure(times, capture({ y }), { cache })).toBe(first);
    // anything the payload depends on that differs makes a new one
    const rebuilt = async (payload: { frame: Uint8Array }) =>
      (await deserializeClosure(payload.frame)) as (x: number) => number;
    expect(
      await rebuilt(encodeClosure(times, capture({ y: 3 }), { cache })).then((f) => f(5)),
    ).toBe(15);
    const negative = encodeClosure(times, capture({ y: -0 }), { cache });
    expect(negative).not.toBe(encodeClosure(times, capture({ y: 0 }), { cache }));
    expect(Object.is((await rebuilt(negative))(1), -0)).toBe(true);
    expect(encodeClosure(times, capture({ y: '2' }), { cache })).not.toBe(first);
    expect(encodeClosure(times, capture({ y }), { cache: createPayloadCache(1024) })).not.toBe(
      first,
    );
    expect(encodeClosure(times, capture({ y }), { cache })).toBe(first);
    // a capture without the name is refused as before, not answered from the last payload
    expect(() => encodeClosure(times, capture({}), { cache })).toThrow(CaptureError);
  });

  it('a property added to the function, or a capture attached again, is seen on the next call', async () => {
    const cache = createPayloadCache(1024 * 1024);
    const scale = (x: number) => x * k;
    let k = 2;
    const first = encodeClosure(scale, capture({ k }), { cache });
    (scale as unknown as { unit: string }).unit = 'm';
    const withMember = encodeClosure(scale, capture({ k }), { cache });
    expect(withMember).not.toBe(first);
    expect(((await deserializeClosure(withMember.frame)) as { unit?: string }).unit).toBe('m');
    const attached = closure((x: number) => x + k, { k });
    const before = encodeClosure(attached, undefined, { cache });
    k = 5;
    closure(attached, { k });
    const after = encodeClosure(attached, undefined, { cache });
    expect(after).not.toBe(before);
    expect(((await deserializeClosure(after.frame)) as (x: number) => number)(1)).toBe(6);
  });

  it('a payload made with scope checks off is not reused once they are on', () => {
    const cache = createPayloadCache(1024 * 1024);
    // shadows the global: the worker would call its own setTimeout instead
    const setTimeout = (run: () => void) => run();
    const later = () => setTimeout(() => {});
    setScopeChecks(false);
    try {
      encodeClosure(later, undefined, { cache });
    } finally {
      setScopeChecks(true);
    }
    expect(() => encodeClosure(later, undefined, { cache })).toThrow(/setTimeout/);
  });

  it('two captures of one size used in turn keep their frames', () => {
    const [a, b] = [new Float64Array(1000).fill(1), new Float64Array(1000).fill(2)];
    const read = (t: Float64Array) => encodeClosure(() => t[0], { t });
    const [first, second] = [read(a), read(b)];
    expect(read(a)).toBe(first);
    expect(read(b)).toBe(second);
  });
});
