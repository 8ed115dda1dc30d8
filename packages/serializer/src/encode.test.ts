// encodeClosure's own rules: its refusals (what they name and where), the names and classes a
// payload carries, the compiler patterns it binds, and the per-function cache of the `apply` loop.
// Cases from the survivors of the serializer's mutation run (stryker/EQUIVALENT.md).
import { describe, expect, it, vi } from 'vitest';
import * as analyze from './analyze.js';
import { closure } from './capture.js';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { createPayloadCache, encodeClosure, serializeClosure } from './encode.js';
import { CaptureError, ErrorCode } from './errors.js';
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
