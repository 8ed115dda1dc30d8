// The walk over captured values, rule by rule: where each refusal points (its path), and what each
// kind of container carries across when it holds something structured clone cannot copy as it is
// (a function, a shared buffer, an error's extras). Cases from the survivors of the serializer's
// mutation run (stryker/EQUIVALENT.md).
import { describe, expect, it } from 'vitest';
import { registerClass } from './classes.js';
import { deserializeClosure } from './decode.js';
import { encodeClosure, serializeClosure } from './encode.js';
import { CaptureError } from './errors.js';
import { readTrustedFrame } from './payload.js';
import { captureError, travel } from './test-helpers.js';
import { MAX_DEPTH } from './value-format.js';

/** The CaptureError capturing `value` as `v` throws. */
function refusal(value: unknown): CaptureError {
  const v = value;
  return captureError(() => serializeClosure(() => v, { v }));
}

const hello = () => 'hello';

describe('paths in refusals', () => {
  it.each([
    ['an array index', [1, Symbol('s')], 'capture.v[1]'],
    ['a nested index', { a: [[0, Symbol('s')]] }, 'capture.v.a[0][1]'],
    ['a Map value', new Map([['k', Symbol('s')]]), "capture.v.get('k' (string))"],
    ['a Map key', new Map([[{ s: Symbol('s') }, 1]]), 'capture.v.<key an object>.s'],
    ['a Set member', new Set([{ s: Symbol('s') }]), 'capture.v.<member an object>.s'],
    [
      'an extra property of an array',
      Object.assign([1], { extra: Symbol('s') }),
      'capture.v.extra',
    ],
  ])('%s', (_, value, path) => {
    const error = refusal(value);
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${path} cannot travel to a worker`)).toBe(true);
  });

  it('the args of a registered class, by position', () => {
    class Pair {
      constructor(
        readonly a: unknown,
        readonly b: unknown,
      ) {}
    }
    registerClass(Pair, { args: (p: Pair) => [p.a, p.b] });
    expect(refusal(new Pair(1, Symbol('s'))).path).toBe('capture.v.<args[1]>');
  });
});

describe('containers that hold functions travel as copies holding the functions', () => {
  it('a function as a Map key and as a Map value', async () => {
    const back = await travel(
      new Map<unknown, unknown>([
        [hello, 1],
        ['f', hello],
      ]),
    );
    const [[key, one], [name, value]] = [...back] as [unknown, unknown][] as [
      [unknown, unknown],
      [unknown, unknown],
    ];
    expect((key as Function)()).toBe('hello');
    expect(one).toBe(1);
    expect(name).toBe('f');
    expect((value as Function)()).toBe('hello');
  });

  it('a function in a Set', async () => {
    const [only] = await travel(new Set([hello]));
    expect((only as Function)()).toBe('hello');
  });

  it('an array holding a function, and one with a function in an extra property', async () => {
    const [f] = await travel([hello]);
    expect(f!()).toBe('hello');
    const withExtra = await travel(Object.assign([1, 2], { extra: hello }));
    expect([...withExtra]).toEqual([1, 2]);
    expect(withExtra.extra()).toBe('hello');
  });

  it('an array with an extra property holding plain data', async () => {
    const back = await travel(Object.assign([1, 2], { label: 'x', nested: { n: 1 } }));
    expect(back.label).toBe('x');
    expect(back.nested).toEqual({ n: 1 });
  });

  it('a Map and a Set nested in plain data, beside a function', async () => {
    const back = await travel({ m: new Map([['f', hello]]), s: new Set([1, 2]), f: hello });
    expect(back.m.get('f')!()).toBe('hello');
    expect([...back.s]).toEqual([1, 2]);
  });
});

describe('refusals of values structured clone would change', () => {
  it('a subclass of a typed array, named', () => {
    class Bytes extends Uint8Array {}
    const error = refusal(new Bytes(2));
    expect(error.message).toContain('an instance of Bytes, a subclass of typed array');
  });

  it('a Date or an ArrayBuffer with own properties', () => {
    expect(refusal(Object.assign(new Date(0), { tz: 'UTC' })).message).toContain(
      'a Date with own properties',
    );
    expect(refusal(Object.assign(new ArrayBuffer(1), { tag: 1 })).message).toContain(
      'a ArrayBuffer with own properties',
    );
  });

  it('an enumerable symbol key, on an object, an array and an error', () => {
    for (const value of [{ [Symbol('k')]: 1 }, Object.assign([1], { [Symbol('k')]: 1 })])
      expect(refusal(value).message).toContain('symbol-keyed properties');
    const error = Object.assign(new Error('m'), { [Symbol('k')]: 1 });
    expect(refusal(error).message).toContain('symbol-keyed properties');
  });

  it('a non-enumerable symbol key is not a property structured clone drops silently: accepted', async () => {
    const value = { a: 1 };
    Object.defineProperty(value, Symbol('hidden'), { value: 1, enumerable: false });
    expect(await travel(value)).toEqual({ a: 1 });
  });

  it('an Error whose message is not a string', () => {
    const error = new Error('m');
    Object.defineProperty(error, 'message', { value: 42 });
    expect(refusal(error).message).toContain('name or message is not a string');
  });

  it('an instance of an unregistered class, with its name', () => {
    class Unlisted {}
    expect(refusal(new Unlisted()).message).toContain(
      'an instance of Unlisted, whose class is not registered',
    );
  });

  it('args that do not return an array', () => {
    class Boxed {
      constructor(readonly x: number) {}
    }
    registerClass(Boxed, { args: (b: Boxed) => b.x as never });
    expect(refusal(new Boxed(1)).message).toContain('args did not return an array');
  });
});

describe('errors: what structured clone keeps, and the rest as extras', () => {
  it('a built-in class and its message, without extras', async () => {
    const back = await travel(new RangeError('r'));
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe('r');
    expect(Object.keys(back)).toEqual([]);
  });

  it('a custom name on a built-in class keeps both', async () => {
    const error = Object.assign(new TypeError('t'), { name: 'ParseFailure' });
    const back = await travel(error);
    expect(back).toBeInstanceOf(TypeError);
    expect(back.name).toBe('ParseFailure');
  });

  it('a built-in name on another built-in class keeps the class', async () => {
    const error = new TypeError('t');
    Object.defineProperty(error, 'name', { value: 'RangeError', configurable: true });
    const back = await travel(error);
    expect(Object.getPrototypeOf(back)).toBe(TypeError.prototype);
    expect(back.name).toBe('RangeError');
  });

  it('own properties, with functions among them', async () => {
    const error = Object.assign(new Error('e'), { code: 'E_X', retry: hello });
    const back = await travel(error);
    expect(back.code).toBe('E_X');
    expect(back.retry()).toBe('hello');
  });

  it('an AggregateError, its errors and their classes', async () => {
    const back = await travel(new AggregateError([new TypeError('a'), { plain: 1 }], 'all'));
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.message).toBe('all');
    expect(back.errors[0]).toBeInstanceOf(TypeError);
    expect(back.errors[1]).toEqual({ plain: 1 });
  });

  it('a cause that is an object, a primitive, and an error holding a function', async () => {
    const objectCause = await travel(new Error('o', { cause: { at: 3 } }));
    expect(objectCause.cause).toEqual({ at: 3 });
    const primitive = await travel(new Error('p', { cause: 'why' }));
    expect(primitive.cause).toBe('why');
    const nested = await travel(
      new Error('n', { cause: Object.assign(new Error('c'), { f: hello }) }),
    );
    expect((nested.cause as Error & { f: () => string }).f()).toBe('hello');
  });

  it('an error that is its own cause', async () => {
    const error = new Error('self');
    error.cause = error;
    const back = await travel(error);
    expect(back.cause).toBe(back);
  });

  it('a registered Error subclass keeps its class, name and fields', async () => {
    class HttpError extends Error {
      constructor(
        message: string,
        readonly status: number,
      ) {
        super(message);
        this.name = 'HttpError';
      }
    }
    registerClass(HttpError);
    const back = await travel(new HttpError('nope', 404));
    // the worker's copy of the class, rebuilt from its source
    expect(back).not.toBe(HttpError);
    expect(back).toBeInstanceOf(Error);
    expect(back.constructor.name).toBe('HttpError');
    expect(back.constructor).not.toBe(Error);
    expect(back.name).toBe('HttpError');
    expect(back.message).toBe('nope');
    expect(back.status).toBe(404);
  });
});

describe('registered classes', () => {
  it('allowProps: only the listed keys travel, and they are walked', async () => {
    class Session {
      token = 'secret';
      user: unknown = { id: 1 };
      onDone: unknown;
    }
    registerClass(Session, { allowProps: ['user', 'onDone'] });
    const back = (await travel(Object.assign(new Session(), { onDone: hello }))) as Session & {
      onDone: () => string;
    };
    expect(back.constructor.name).toBe('Session');
    expect(Object.keys(back).sort()).toEqual(['onDone', 'user']);
    expect(back.onDone()).toBe('hello');
    const refused = Object.assign(new Session(), { user: Symbol('s') });
    expect(refusal(refused).path).toBe('capture.v.user');
  });

  it('one constructed instance met twice is one instance in the worker', async () => {
    class Point2 {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    registerClass(Point2, { args: (p: Point2) => [p.x, p.y] });
    const p = new Point2(1, 2);
    const v = { a: p, b: [p] };
    // built by a constructor call: only a trusted (or signed) payload may
    const { frame } = encodeClosure(() => v, { v });
    const back = ((await deserializeClosure(frame, { trusted: true })) as () => typeof v)();
    expect(back.a.constructor.name).toBe('Point2');
    expect([back.a.x, back.a.y]).toEqual([1, 2]);
    expect(back.b[0]).toBe(back.a);
  });
});

describe('memory: shared buffers are shared, large buffers travel beside the values', () => {
  it('a SharedArrayBuffer and views on it arrive as the same memory', async () => {
    const memory = new SharedArrayBuffer(8);
    const bytes = Buffer.from(memory);
    const ints = new Int32Array(memory, 4, 1);
    const view = new DataView(memory, 2, 2);
    const v = { memory, bytes, ints, view };
    const encoded = encodeClosure(() => v, { v });
    expect(encoded.shared).toEqual([memory]);
    const back = (
      (await deserializeClosure(encoded.frame, {
        trusted: true,
        shared: encoded.shared,
      })) as () => typeof v
    )();
    expect(back.memory).toBe(memory);
    expect(Buffer.isBuffer(back.bytes)).toBe(true);
    expect([back.ints.byteOffset, back.ints.length]).toEqual([4, 1]);
    expect([back.view.byteOffset, back.view.byteLength]).toEqual([2, 2]);
    back.ints[0] = 7;
    expect(ints[0]).toBe(7);
    back.bytes[0] = 9;
    expect(bytes[0]).toBe(9);
  });

  it.each([
    [64 * 1024 - 1, []],
    [64 * 1024, [64 * 1024]],
  ])('an ArrayBuffer of %i bytes travels out of band: %j', async (size, outOfBand) => {
    const buffer = new Uint8Array(size).fill(5).buffer;
    const view = new Uint8Array(buffer);
    const encoded = encodeClosure(() => view, { view });
    expect(readTrustedFrame(encoded.frame).body.buffers).toEqual(outOfBand);
    const back = (
      (await deserializeClosure(encoded.frame, { trusted: true })) as () => Uint8Array
    )();
    expect(back.byteLength).toBe(size);
    expect(back[size - 1]).toBe(5);
  });
});

describe('depth', () => {
  it(`a graph ${MAX_DEPTH} levels deep is refused with the limit, not a RangeError`, () => {
    let deep: object = {};
    for (let i = 0; i < MAX_DEPTH + 1; i++) deep = { d: deep };
    expect(refusal(deep).message).toContain(`nested more than ${MAX_DEPTH} levels deep`);
  });

  it('a graph walked from deep in the caller’s stack: the stack running out is refused, not thrown raw', () => {
    // below the depth limit, so only the thread's own stack can run out
    let deep: object = {};
    for (let i = 0; i < MAX_DEPTH - 10; i++) deep = { d: deep };
    const attempt = (): string => {
      try {
        serializeClosure(() => deep, { deep });
        return 'accepted';
      } catch (error) {
        if (error instanceof CaptureError)
          return error.message.includes('levels deep') ? 'refused' : 'other';
        // a RangeError out of the walk's recursion itself; anything else comes from where no code at
        // all can run (left with almost no stack: in the analysis, while making the refusal, or in
        // vitest's transformed imports, which then fail with a TypeError)
        const { stack } = error as Error;
        return error instanceof RangeError && /ValueWalk\.(visit|child)/.test(stack ?? '')
          ? 'raw'
          : 'outside';
      }
    };
    // down until the stack runs out, then back up, trying at each level until the walk gets through
    // or is refused: on the way, the levels where it runs out of stack part of the way down
    const outcomes = new Set<string>();
    const descend = (): void => {
      try {
        descend();
      } catch {
        // the bottom: no stack left below here
      }
      if (!outcomes.has('refused') && !outcomes.has('accepted')) outcomes.add(attempt());
    };
    descend();
    expect([...outcomes], 'what the walk did at each depth').not.toContain('raw');
    expect([...outcomes], 'what the walk did at each depth').toContain('refused');
  });
});

describe('getters: each runs once, at the call, and the value it returned travels', () => {
  /** An object whose getter `v` counts its runs and returns what `values` gives, in turn. */
  function counting(...values: unknown[]) {
    const runs = { count: 0 };
    const object = {
      get v() {
        return values[Math.min(runs.count++, values.length - 1)];
      },
    };
    return { runs, object };
  }

  it('on a plain object, in a Map value, and in an extra property of an array', async () => {
    const plain = counting(1);
    const inMap = counting(2);
    const inArray = counting(3);
    const list: unknown[] & { extra?: unknown } = [0];
    list.extra = inArray.object;
    const back = await travel({ a: plain.object, m: new Map([['k', inMap.object]]), list });
    expect([
      back.a.v,
      (back.m.get('k') as { v: number }).v,
      (back.list.extra as { v: number }).v,
    ]).toEqual([1, 2, 3]);
    // read as a data property in the worker: the getter itself does not travel
    expect(Object.getOwnPropertyDescriptor(back.a, 'v')).toMatchObject({ value: 1 });
    expect([plain.runs.count, inMap.runs.count, inArray.runs.count]).toEqual([1, 1, 1]);
  });

  it('what was checked is what travels, when a getter returns something else the next time', async () => {
    class Unregistered {}
    // a second run would give what the walk refuses (or what a copy would change)
    for (const later of [() => 2, Symbol('s'), new Unregistered(), { nested: Symbol('s') }]) {
      const { runs, object } = counting(1, later);
      expect((await travel(object)).v).toBe(1);
      expect(runs.count).toBe(1);
    }
  });

  it('an own getter of a registered class instance, and an allowProps key its prototype serves', async () => {
    class Reading {
      celsius = 20;
      get fahrenheit() {
        return this.celsius * 1.8 + 32;
      }
    }
    registerClass(Reading, { allowProps: ['celsius', 'fahrenheit'] });
    const reading = new Reading();
    const own = counting(7);
    Object.defineProperty(reading, 'own', { get: () => own.object.v, enumerable: true });
    const back = (await travel(reading)) as Reading & { own?: number };
    expect([back.celsius, Object.getOwnPropertyDescriptor(back, 'fahrenheit')?.value]).toEqual([
      20, 68,
    ]);
    expect(own.runs.count).toBe(0); // not among allowProps: not read
    class Sample {
      constructor(readonly raw: number) {}
    }
    registerClass(Sample);
    const sample = new Sample(1);
    const extra = counting(9);
    Object.defineProperty(sample, 'scaled', { get: () => extra.object.v, enumerable: true });
    const copy = (await travel(sample)) as Sample & { scaled?: number };
    expect([copy.constructor.name, copy.raw, copy.scaled, extra.runs.count]).toEqual([
      'Sample',
      1,
      9,
      1,
    ]);
  });

  it('a getter that throws is refused by its path, its error as the cause', () => {
    const boom = new RangeError('not ready');
    const config = {
      db: {
        get url(): string {
          throw boom;
        },
      },
    };
    const error = captureError(() => serializeClosure(() => config, { config }));
    expect(error.path).toBe('capture.config.db.url');
    expect(error.cause).toBe(boom);
    expect(error.message).toMatch(
      /^capture\.config\.db\.url is a getter that threw when read \(RangeError: not ready\)\. .*Fix: /,
    );
  });
});
