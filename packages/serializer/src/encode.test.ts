// encodeClosure's own rules: its refusals (what they name and where), the names and classes a
// payload carries, the compiler patterns it binds, and the per-function cache of the `apply` loop.
// Cases from the survivors of the serializer's mutation run (stryker/EQUIVALENT.md).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as analyze from './analyze.js';
import { capture, closure, moduleRef } from './capture.js';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { createPayloadCache, encodeClosure, serializeClosure } from './encode.js';
import { ErrorCode } from './errors.js';
import { readTrustedFrame } from './payload.js';
import { scopesAvailable } from './scopes.js';
import { captureError, roundTrip } from './test-helpers.js';

vi.mock('./analyze.js', async (original) => {
  const actual = await original<typeof import('./analyze.js')>();
  return { ...actual, analyzeFunction: vi.fn(actual.analyzeFunction) };
});

/** A function compiled apart from this module, closing over `env` as a compiler's output would. */
function compiled(env: Record<string, unknown>, source: string): Function {
  const names = Object.keys(env);
  return new Function(...names, `return ${source}`)(...names.map((n) => env[n]));
}

const hello = () => 'hello';

describe('refusals', () => {
  it.each([
    [null, 'got null'],
    [42, 'got number'],
    ['x => x', 'got string'],
  ])('something other than a function (%j) is named, at `fn`', (value, got) => {
    const error = captureError(() => encodeClosure(value as never));
    expect(error.code).toBe(ErrorCode.CAPTURE_INVALID);
    expect(error.path).toBe('fn');
    expect(error.message).toBe(`Expected a function to run in the worker, got ${got.slice(4)}.`);
  });

  it('shared memory cannot go into a payload for another process', () => {
    const memory = new SharedArrayBuffer(4);
    const error = captureError(() => serializeClosure(() => memory, { memory }));
    expect(error.path).toBe('capture');
    expect(error.message).toMatch(/^capture holds shared memory .*\(new Uint8Array\(shared\)\)/);
  });

  it.each([
    // biome-ignore lint/security/noGlobalEval: the value captured is the case, never called
    ['eval', eval],
    ['Function', Function],
  ])('a captured %s is named at its path', (name, value) => {
    const error = captureError(() => serializeClosure(() => f, { f: value }));
    expect(error.path).toBe('capture.f');
    expect(error.message.startsWith(`capture.f is ${name}, which compiles code from strings`)).toBe(
      true,
    );
    const f = value;
  });

  it('a bound function is named as bound, with its name', () => {
    const bound = hello.bind(null);
    const error = captureError(() => serializeClosure(() => f(), { f: bound }));
    expect(error.message).toContain('capture.f is a bound function (bound hello)');
    const f = bound;
  });

  it("a method taken off its object, in a captured function's own capture, is named by both paths", () => {
    const counter = {
      n: 1,
      read() {
        return this.n;
      },
    };
    const reader = closure(() => read(), { read: counter.read });
    const error = captureError(() => serializeClosure(() => reader(), { reader }));
    expect(error.path).toBe('capture.reader(capture).read');
    expect(error.message).toContain('(read) reads `this`');
    const read = counter.read;
  });

  it('a method without a name is called a method', () => {
    const method = {
      ['']() {
        return this;
      },
    }[''];
    const error = captureError(() => serializeClosure(() => m(), { m: method }));
    expect(error.message).toContain('capture.m (method) reads `this`');
    expect(error.message).toContain('obj.method(x)');
    const m = method;
  });

  it.runIf(scopesAvailable())(
    'a global name bound to something else where the function was written: which scope, and the fix',
    () => {
      function outer() {
        const URL = 5;
        return () => URL;
      }
      const error = captureError(() => serializeClosure(outer()));
      expect(error.code).toBe(ErrorCode.CAPTURE_MISSING);
      expect(error.missing).toEqual(['URL']);
      expect(error.message).toContain(
        'it is bound in its closure scope to 5 (number). In the worker it would be the global',
      );
      expect(error.message).toContain('Fix: capture({ URL })');
    },
  );
});

describe('what a payload carries', () => {
  it('the names of captured functions', async () => {
    function helper() {
      return 'h';
    }
    const named = await roundTrip(() => [helper.name, arrow.name], { helper, arrow: hello });
    expect(named()).toEqual(['helper', 'hello']);
    const arrow = hello;
  });

  it('a class whose static `name` is a method: the method, not a name', async () => {
    class Labelled {
      static name() {
        return 'from the method';
      }
    }
    const back = await roundTrip(() => (L as unknown as { name: () => string }).name(), {
      L: Labelled,
    });
    expect(back()).toBe('from the method');
    const L = Labelled;
    class Odd {
      static get name() {
        return { length: 1 };
      }
    }
    const odd = await roundTrip(() => O.name, { O: Odd });
    expect(odd()).toEqual({ length: 1 });
    const O = Odd;
  });

  it('instances of two registered classes keep their classes; one class is listed once', async () => {
    class Cat {
      sound = 'meow';
    }
    class Dog {
      sound = 'woof';
    }
    registerClass(Cat);
    registerClass(Dog);
    const v = [new Cat(), new Dog(), new Cat()];
    const { frame } = encodeClosure(() => v, { v });
    expect(readTrustedFrame(frame).body.classes.map((c) => c.identifier)).toEqual(['Cat', 'Dog']);
    const back = ((await deserializeClosure(frame, { trusted: true })) as () => typeof v)();
    expect(back.map((pet) => pet.constructor.name)).toEqual(['Cat', 'Dog', 'Cat']);
    expect(back[0]!.constructor).toBe(back[2]!.constructor);
  });

  it("babel's name for a function that calls itself (`_f` for `f`) binds to the function", async () => {
    const f = compiled({}, 'function f(n) { return n <= 0 ? "done" : _f(n - 1); }');
    expect(await (await roundTrip(f, { f }))(3)).toBe('done');
  });

  it('a CommonJS import binding is read as names only when the capture holds every one it reads', () => {
    const a = (x: number) => x;
    const fn = compiled({ helper_1: { a, b: a } }, '(x) => helper_1.a(x) + helper_1.b(x)');
    const error = captureError(() => serializeClosure(fn, { a }));
    expect(error.missing).toEqual(['helper_1']);
  });

  it("a user's function named `require` is not mistaken for CommonJS's require", async () => {
    const withCache = Object.assign(compiled({}, 'function require(x) { return x + 1; }'), {
      cache: {},
    });
    const withResolve = Object.assign(compiled({}, 'function require(x) { return x + 2; }'), {
      resolve: hello,
    });
    const back = await roundTrip(() => [r1(1), r2(1)], { r1: withCache, r2: withResolve });
    expect(back()).toEqual([2, 3]);
    const r1 = withCache;
    const r2 = withResolve;
  });
});

describe('the last payload of each function, for a loop of calls', () => {
  const analyzeFunction = vi.mocked(analyze.analyzeFunction);

  it('the same function with equal captures is not analyzed again; other captures are', () => {
    const cache = createPayloadCache(1 << 20);
    const power = (x: number) => x ** y;
    const y = 2;
    const first = encodeClosure(power, { y }, { cache });
    analyzeFunction.mockClear();
    expect(encodeClosure(power, { y }, { cache })).toBe(first);
    expect(analyzeFunction).not.toHaveBeenCalled();
    // a value changed, a key added, a key dropped: each analyzed afresh
    for (const env of [{ y: 3 }, { y, z: 1 }, {}]) {
      analyzeFunction.mockClear();
      try {
        encodeClosure(power, env, { cache });
      } catch {
        // without y, a CaptureError: after the analysis
      }
      expect(analyzeFunction).toHaveBeenCalled();
    }
  });
});

describe('a new function object of a known source, for a loop of calls with inline functions', () => {
  const analyzeFunction = vi.mocked(analyze.analyzeFunction);
  /** A new function object at each call, as an arrow written inline in a loop is. */
  const inline = (source: string) => new Function(`return ${source}`)() as Function;

  it('needing nothing from around it: its payload again, without the analysis', async () => {
    const cache = createPayloadCache(1 << 20);
    const first = encodeClosure(inline('(a, b) => a * b'), undefined, { cache });
    analyzeFunction.mockClear();
    expect(encodeClosure(inline('(a, b) => a * b'), undefined, { cache })).toBe(first);
    expect(analyzeFunction).not.toHaveBeenCalled();
    const back = (await deserializeClosure(first.frame, { trusted: true })) as Function;
    expect(back(6, 7)).toBe(42);
  });

  it('capturing primitives: its payload again for equal values, a new one for others', async () => {
    const cache = createPayloadCache(1 << 20);
    // what the worker sees of k: its type, and 1 / k to tell -0 from 0 (no global read)
    const source = "() => [typeof k, typeof k === 'number' ? 1 / k : '' + k]";
    const encode = (k: unknown) => encodeClosure(inline(source), { k }, { cache });
    const seen = async (k: unknown) =>
      ((await deserializeClosure(encode(k).frame, { trusted: true })) as () => unknown)();
    const seven = encode(7);
    analyzeFunction.mockClear();
    expect(encode(7)).toBe(seven);
    expect(analyzeFunction).not.toHaveBeenCalled();
    // by value and type: 0 is not -0, '7' is not 7, 7n is not 7
    const values = [7, 8, 0, -0, '7', 7n, Number.NaN, null, undefined];
    expect(new Set(values.map((k) => encode(k).id)).size).toBe(values.length);
    analyzeFunction.mockClear();
    expect(await Promise.all(values.map(seen))).toEqual([
      ['number', 1 / 7],
      ['number', 1 / 8],
      ['number', Number.POSITIVE_INFINITY],
      ['number', Number.NEGATIVE_INFINITY],
      ['string', '7'],
      ['bigint', '7'],
      ['number', Number.NaN],
      ['object', 'null'],
      ['undefined', 'undefined'],
    ]);
    expect(analyzeFunction).not.toHaveBeenCalled();
  });

  it('property: a payload found by source carries the values of this call, exactly', async () => {
    const primitive = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(-0, 0, Number.NaN, null, undefined, true, false),
      fc.string(),
      fc.bigInt(),
    );
    const cache = createPayloadCache(1 << 22);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(primitive, primitive), { minLength: 1, maxLength: 4 }),
        async (calls) => {
          for (const [k, m] of calls) {
            const { frame } = encodeClosure(inline('() => [k, m]'), { k, m }, { cache });
            const back = (await deserializeClosure(frame, { trusted: true })) as () => unknown[];
            const [seenK, seenM] = back();
            expect(Object.is(seenK, k) && Object.is(seenM, m)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('capturing an object, a function or a symbol, or closed with closure(): the full path', () => {
    const cache = createPayloadCache(1 << 20);
    const source = '(x) => [x, k]';
    for (const k of [{ a: 1 }, [1], () => 1, Symbol.for('k')]) {
      let refused = false;
      try {
        encodeClosure(inline(source), { k }, { cache });
      } catch {
        refused = true; // a captured function reads nothing, but is still checked
      }
      analyzeFunction.mockClear();
      try {
        encodeClosure(inline(source), { k }, { cache });
      } catch {
        expect(refused).toBe(true);
      }
      expect(analyzeFunction).toHaveBeenCalled();
    }
    encodeClosure(closure(inline(source) as () => unknown, { k: 1 }), undefined, { cache });
    analyzeFunction.mockClear();
    encodeClosure(closure(inline(source) as () => unknown, { k: 1 }), undefined, { cache });
    expect(analyzeFunction).toHaveBeenCalled();
  });

  it('a free name the capture does not bind is checked each time, and refused', () => {
    const cache = createPayloadCache(1 << 20);
    const source = '(x) => x * k + m';
    encodeClosure(inline(source), { k: 1, m: 2 }, { cache });
    // the same source and values under other keys: `m` is no longer bound
    expect(
      captureError(() => encodeClosure(inline(source), { k: 1, n: 2 }, { cache })).missing,
    ).toEqual(['m']);
    // and one that reads a global: its scope is read each time
    encodeClosure(inline('(x) => Math.max(x, k)'), { k: 1 }, { cache });
    analyzeFunction.mockClear();
    encodeClosure(inline('(x) => Math.max(x, k)'), { k: 1 }, { cache });
    expect(analyzeFunction).toHaveBeenCalled();
  });

  it("reading only a toolchain's helper, which the worker supplies: its payload again", async () => {
    const cache = createPayloadCache(1 << 20);
    const source = '() => __name(() => 1, "one")';
    const first = encodeClosure(inline(source), undefined, { cache });
    analyzeFunction.mockClear();
    expect(encodeClosure(inline(source), undefined, { cache })).toBe(first);
    expect(analyzeFunction).not.toHaveBeenCalled();
    const back = (await deserializeClosure(first.frame, { trusted: true })) as () => () => number;
    expect(back().name).toBe('one');
  });

  it('another name, a property, a prototype or a capture: encoded afresh, and each travels', async () => {
    const cache = createPayloadCache(1 << 20);
    const source = '(a) => a + 1';
    const first = encodeClosure(inline(source), undefined, { cache });
    const named = Object.defineProperty(inline(source), 'name', { value: 'plusOne' });
    const withProperty = Object.assign(inline(source), { step: 1 });
    for (const fn of [named, withProperty]) {
      analyzeFunction.mockClear();
      expect(encodeClosure(fn, undefined, { cache }).id).not.toBe(first.id);
      expect(analyzeFunction).toHaveBeenCalled();
    }
    expect(
      readTrustedFrame(encodeClosure(named, undefined, { cache }).frame).body.functions[0],
    ).toMatchObject({ name: 'plusOne' });
    const back = (await deserializeClosure(
      encodeClosure(withProperty, undefined, { cache }).frame,
      {
        trusted: true,
      },
    )) as Function & { step: number };
    expect(back.step).toBe(1);
    // a function for `new` has a prototype, whose methods travel and can change
    analyzeFunction.mockClear();
    encodeClosure(inline('function (a) { return a + 1; }'), undefined, { cache });
    encodeClosure(inline('function (a) { return a + 1; }'), undefined, { cache });
    expect(analyzeFunction).toHaveBeenCalledTimes(2);
    // a capture is read at each call
    analyzeFunction.mockClear();
    encodeClosure(inline(source), { unused: 1 }, { cache });
    expect(analyzeFunction).toHaveBeenCalled();
    // a name alone is never read as a name and a capture
    const withEmpty = encodeClosure(inline(source), {}, { cache });
    const lookalike = Object.defineProperty(inline(source), 'name', { value: '["",[]]' });
    expect(encodeClosure(lookalike, undefined, { cache }).id).not.toBe(withEmpty.id);
    expect(encodeClosure(inline(source), {}, { cache })).toBe(withEmpty);
  });

  it('keeps at most 16 captures of one source, the latest', () => {
    const cache = createPayloadCache(1 << 20);
    const source = '() => k';
    const payloads = Array.from({ length: 40 }, (_, k) =>
      encodeClosure(inline(source), { k }, { cache }),
    );
    const kept = [...(cache.bySource.get(source)?.values() ?? [])];
    expect(kept).toEqual(payloads.slice(-16));
    expect(encodeClosure(inline(source), { k: 39 }, { cache })).toBe(payloads[39]);
  });

  it('reading a free name: its scope is checked for each function object', () => {
    const cache = createPayloadCache(1 << 20);
    const source = '(x) => Math.sqrt(x)';
    encodeClosure(inline(source), undefined, { cache });
    analyzeFunction.mockClear();
    encodeClosure(inline(source), undefined, { cache });
    expect(analyzeFunction).toHaveBeenCalled();
  });

  it.runIf(scopesAvailable())(
    'the same source where the free name is shadowed is refused, after one where it is not',
    () => {
      const cache = createPayloadCache(1 << 20);
      const source = '(x) => Math.sqrt(x)';
      encodeClosure(inline(source), undefined, { cache });
      const shadowing = compiled({ Math: { sqrt: () => 0 } }, source);
      expect(captureError(() => encodeClosure(shadowing, undefined, { cache })).message).toMatch(
        /Math/,
      );
    },
  );
});

describe('the frame cache', () => {
  it('keeps the four newest frames of one body and size; a fifth pushes the oldest out', () => {
    const cache = createPayloadCache(1 << 20);
    const f = () => y;
    const encode = (n: number) => encodeClosure(f, { y: [n] }, { cache }).id;
    const ids = [1, 2, 3, 4, 5].map(encode);
    expect(new Set(ids).size).toBe(5);
    // 2 to 5 are kept: equal data gets the frame back
    expect([2, 3, 4, 5].map(encode)).toEqual(ids.slice(1));
    // 1 was pushed out: a new frame
    expect(encode(1)).not.toBe(ids[0]);
    const y = [0];
  });

  it('compares every part of the data: a large buffer and the values after it', () => {
    const cache = createPayloadCache(1 << 24);
    const f = () => [big, small];
    const encode = (fill: number, last: number) =>
      encodeClosure(f, { big: new Uint8Array(70_000).fill(fill), small: [last] }, { cache }).id;
    const first = encode(7, 1);
    expect(encode(7, 1)).toBe(first);
    expect(encode(7, 2)).not.toBe(first);
    expect(encode(8, 1)).not.toBe(first);
    const big = new Uint8Array(0);
    const small = [0];
  });

  it('its indexes by key stay within its bytes too: a captured string is counted', () => {
    const cache = createPayloadCache(1 << 20);
    const f = (x: string) => x + s;
    const inline = () => new Function('return (x) => x + s')() as Function;
    for (let i = 0; i < 10; i++) {
      encodeClosure(f, { s: String(i).repeat(300_000) }, { cache });
      encodeClosure(inline(), { s: String(i).repeat(300_000) }, { cache });
    }
    // each entry holds ~300 kB of key (2 bytes a character) and ~300 kB of frame
    expect(cache.byPrimitives.size).toBeLessThanOrEqual(2);
    expect(cache.bySource.size).toBeLessThanOrEqual(2);
    expect(cache.byPrimitives.bytes).toBeLessThanOrEqual(1 << 20);
    expect(cache.bySource.bytes).toBeLessThanOrEqual(1 << 20);
    const s = '';
  });

  it('a payload holding shared memory gets a new id each time, never a cached frame', () => {
    const memory = new SharedArrayBuffer(8);
    const f = () => memory;
    const a = encodeClosure(f, { memory });
    const b = encodeClosure(f, { memory });
    expect(a.id).toMatch(/^\d+:\d+$/);
    expect(b.id).toMatch(/^\d+:\d+$/);
    expect(a.id).not.toBe(b.id);
    expect(a.shared).toHaveLength(1);
  });

  it('a module captured under two names is listed once', () => {
    const f = () => [a, b];
    const path = moduleRef('node:path');
    const { frame } = encodeClosure(f, { a: path, b: path });
    expect(readTrustedFrame(frame).body.modules).toEqual([{ url: 'node:path' }]);
    const a = 0;
    const b = 0;
  });
});

describe('the last payload is reused only when nothing that travels can have changed', () => {
  it('a captured function given a new property since', async () => {
    const cache = createPayloadCache(1 << 20);
    const g = Object.assign(() => 1, { k: 1 });
    const f = () => g.k;
    const first = encodeClosure(f, { g }, { cache });
    g.k = 2;
    const second = encodeClosure(f, { g }, { cache });
    expect(second.id).not.toBe(first.id);
    expect(((await deserializeClosure(second.frame, { trusted: true })) as () => number)()).toBe(2);
  });

  it('a captured function given another capture since (closure() again)', async () => {
    const cache = createPayloadCache(1 << 20);
    const g = closure(() => k, { k: 1 });
    const f = () => g();
    encodeClosure(f, { g }, { cache });
    closure(g, { k: 2 });
    const { frame } = encodeClosure(f, { g }, { cache });
    expect(((await deserializeClosure(frame, { trusted: true })) as () => number)()).toBe(2);
    const k = 0;
  });

  it('a function whose prototype got a method since (a function for `new`)', async () => {
    const cache = createPayloadCache(1 << 20);
    const F = compiled({}, 'function F() {}') as { prototype: Record<string, unknown> };
    const first = encodeClosure(F as never, undefined, { cache });
    F.prototype.hello = hello;
    const second = encodeClosure(F as never, undefined, { cache });
    expect(second.id).not.toBe(first.id);
    const back = (await deserializeClosure(second.frame, { trusted: true })) as new () => {
      hello(): string;
    };
    expect(new back().hello()).toBe('hello');
  });

  it('a call without the capture after one with it is refused, as it would be first', () => {
    const cache = createPayloadCache(1 << 20);
    const f = (x: number) => x + y;
    encodeClosure(f, { y: 1 }, { cache });
    expect(captureError(() => encodeClosure(f, undefined, { cache })).missing).toEqual(['y']);
    const y = 1;
  });

  it.runIf(scopesAvailable())(
    'a function closed with capture.auto: its scope is read again at each call',
    async () => {
      let k = 1;
      const f = closure(() => k, capture.auto);
      const cache = createPayloadCache(1 << 20);
      const run = async () =>
        (
          (await deserializeClosure(encodeClosure(f, undefined, { cache }).frame, {
            trusted: true,
          })) as () => number
        )();
      expect(await run()).toBe(1);
      k = 2;
      expect(await run()).toBe(2);
    },
  );
});

describe('names', () => {
  it("a global read through a member is not an import binding, even when the capture holds the member's name", async () => {
    const f = await roundTrip((x: number) => Math.max(x, max), { max: 10 });
    expect([f(1), f(20)]).toEqual([10, 20]);
    const max = 0;
  });

  it.runIf(scopesAvailable())(
    'a captured function closed with capture.auto brings what it reads from its scope',
    async () => {
      const k = 5;
      const g = closure(() => k * 2, capture.auto);
      const f = await roundTrip(() => g(), { g });
      expect(f()).toBe(10);
    },
  );

  it('a name that is not `_` and the name of the function is not taken for babel’s `_f`', () => {
    const env: Record<string, unknown> = {};
    const fn = compiled(env, '(x) => afn(x)');
    env.fn = fn;
    expect(captureError(() => serializeClosure(fn, env)).missing).toEqual(['afn']);
  });

  it('a name of up to 200 characters travels, a longer one does not', async () => {
    const named = (length: number) =>
      Object.defineProperty((x: number) => x, 'name', { value: 'n'.repeat(length) });
    expect((await roundTrip(named(200))).name).toBe('n'.repeat(200));
    expect((await roundTrip(named(201))).name).not.toBe('n'.repeat(201));
  });
});

describe('what a missing capture says', () => {
  it("babel's `_f` beside a function `f`: the compiler moved part of it out", () => {
    const f = compiled({}, 'function f() { return _f(); }');
    expect(captureError(() => serializeClosure(f)).message).toContain(
      'a compiler (babel or SWC) moved part of the function out of it',
    );
  });

  it('a captured function with its own capture: the fix adds to that closure()', () => {
    const g = closure(() => z, {});
    const error = captureError(() => serializeClosure(() => g(), { g }));
    expect(error.path).toBe('capture.g');
    expect(error.message).toContain('Fix: closure(g, { …, z })');
    const z = 1;
  });

  it('short names in compact code may be a minifier’s; in formatted code they are not called so', () => {
    const hint = "if this code was minified, these may be the minifier's names";
    expect(captureError(() => serializeClosure(compiled({}, '(a)=>a+b'))).message).toContain(hint);
    expect(
      captureError(() => serializeClosure(compiled({}, '(a) => a + b'))).message,
    ).not.toContain(hint);
  });
});

describe('paths of refused values', () => {
  it("in a captured function's own capture", () => {
    const g = closure(() => w, { w: new WeakMap() });
    expect(captureError(() => serializeClosure(() => g(), { g })).path).toBe(
      'capture.g(capture).w',
    );
    const w = 0;
  });

  it("in a function's own properties and its prototype's", () => {
    const withStatic = Object.assign((x: number) => x, { cache: new WeakMap() });
    expect(captureError(() => serializeClosure(withStatic)).path).toBe('fn.cache');
    const F = compiled({}, 'function F() {}') as { prototype: Record<string, unknown> };
    F.prototype.cache = new WeakMap();
    expect(captureError(() => serializeClosure(F as never)).path).toBe('fn.prototype.cache');
  });
});

describe('functions that are what they look like', () => {
  it('a registered class keeps the identifier it was registered with', () => {
    class Point {
      x = 1;
    }
    registerClass(Point, { identifier: 'geometry.Point' });
    const p = new Point();
    const { frame } = encodeClosure(() => p, { p });
    expect(readTrustedFrame(frame).body.classes.map((c) => c.identifier)).toEqual([
      'geometry.Point',
    ]);
  });

  it('a function for `new` whose body says "class" keeps its prototype methods', async () => {
    const F = compiled({}, 'function F() { return "a class of its own"; }') as {
      prototype: Record<string, unknown>;
    };
    F.prototype.hello = hello;
    const back = (await roundTrip(F as never)) as unknown as new () => { hello(): string };
    expect(new back().hello()).toBe('hello');
  });

  it('a function whose prototype is null travels', async () => {
    const F = compiled({}, 'function F() { return 3; }') as { prototype: unknown };
    F.prototype = null;
    expect((await roundTrip(F as never as () => number))()).toBe(3);
  });

  it('a generator written `function *g` (a space before the star) is a native generator', async () => {
    const g = compiled({}, 'function *g() { yield 1; yield 2; }') as () => Iterable<number>;
    expect([...(await roundTrip(g))()]).toEqual([1, 2]);
  });

  it('a captured method that reads `this` is refused even when its body mentions a function', () => {
    const holder = {
      n: 1,
      read() {
        // a function is not declared here
        return this.n;
      },
    };
    const error = captureError(() => serializeClosure(() => r(), { r: holder.read }));
    expect(error.message).toContain('reads `this`');
    const r = holder.read;
  });

  it('a function with `resolve` and `cache` is CommonJS’s require only if it is named `require`', async () => {
    const lookup = Object.assign(compiled({}, 'function lookup(x) { return x * 2; }'), {
      resolve: hello,
      cache: {},
    });
    expect((await roundTrip(() => l(4), { l: lookup }))()).toBe(8);
    const l = lookup;
  });

  it('source that contains `{ [native code] }` before its end is not native', async () => {
    const f = compiled({}, '() => "{ [native code] }" + "!"');
    expect((await roundTrip(f as () => string))()).toBe('{ [native code] }!');
  });
});
