// A small plain result travels as JSON text: it must read back exactly as its structured clone
// would, or not be written so at all. Each case compares the log's round trip with v8's own.
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { describeGraph } from '../../serializer/src/testing/describe-graph.js';
import { buildGraph, graphSpec } from '../../serializer/src/testing/graph-arbitrary.js';
import { maxNodes, maxString, plainJson } from './plain-json.js';
import { createResultLog, ResultWriter, readResultLog } from './result-log.js';

const keysOf = Object.keys;

/** `value` written to a chunk's log and read back, as a worker and the main thread do. */
function throughLog(value: unknown): unknown {
  const log = createResultLog();
  expect(new ResultWriter(log, 1).value(0, value)).toBe(true);
  return readResultLog(log, 1).values[0];
}

/** What a structured clone makes of `value`, or the error it throws. */
function cloned(value: unknown): { value: unknown } | { error: string } {
  try {
    return { value: deserialize(serialize(value)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The log's round trip reads exactly as the clone's (identity structure, -0, prototypes). */
function expectSameAsClone(value: unknown): void {
  const clone = cloned(value);
  if ('error' in clone) expect(() => throughLog(value)).toThrow(clone.error);
  else expect(describeGraph(throughLog(value))).toBe(describeGraph(clone.value));
}

describe('plain results as JSON text', () => {
  it('plain objects, arrays and primitives are written as JSON and read back equal', () => {
    const values = [
      { x: 1 },
      { id: 7, name: 'é\uD800', ok: true, none: null, tags: ['a', 'b'], at: { x: 0.1, y: -2 } },
      [1, 'two', false, null, [[]], { deep: { deeper: [3] } }],
      [],
      Object.assign(Object.create(null), { k: 1 }),
      JSON.parse('{"__proto__": 5, "1": "one", "b": 2}'),
    ];
    for (const value of values) {
      const text = plainJson(value);
      expect(text).toBe(JSON.stringify(value));
      expectSameAsClone(value);
    }
  });

  it('what JSON would change is left to the serializer, and still reads as its clone', () => {
    class Point {
      constructor(public x = 1) {}
    }
    const shared = { s: 1 };
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holes = [1, , 3];
    const extra = Object.assign([1, 2], { note: 'x' });
    const big = Array.from({ length: maxNodes + 1 }, (_, i) => i);
    const deep = { a: Array.from({ length: maxNodes - 1 }, () => 1) };
    const refused: Record<string, unknown> = {
      '-0': { n: -0 },
      NaN: [Number.NaN],
      Infinity: { n: Number.POSITIVE_INFINITY },
      undefined: { u: undefined },
      bigint: { b: 1n },
      'a hole': holes,
      'an array with a named property': extra,
      'a hole and a named property (as many keys as elements)': Object.assign(holes.slice(), {
        x: 1,
      }),
      'one object twice': { a: shared, b: shared },
      'a cycle': cycle,
      'a class instance': { p: new Point() },
      'a Date': { d: new Date(0) },
      'a Map': [new Map([[1, 2]])],
      'an empty object': { e: {} },
      'more than maxNodes values': big,
      'a string longer than maxString': { s: 'é'.repeat(maxString + 1) },
      'more than maxNodes values, nested': deep,
      'an array whose prototype is Object.prototype': Object.setPrototypeOf(
        [1, 2],
        Object.prototype,
      ),
      'a Map whose prototype is Object.prototype': Object.setPrototypeOf(
        new Map(),
        Object.prototype,
      ),
      'a typed array whose prototype is Object.prototype': Object.setPrototypeOf(
        new Uint8Array(2),
        Object.prototype,
      ),
      'a boxed string whose prototype is Object.prototype': Object.setPrototypeOf(
        new String('ab'),
        Object.prototype,
      ),
      'an error whose prototype is Object.prototype': Object.setPrototypeOf(
        Object.assign(new Error('e'), { code: 'E' }),
        Object.prototype,
      ),
      'an arguments object': (
        function (this: unknown) {
          // biome-ignore lint/complexity/noArguments: the arguments object is the point
          return arguments;
        } as (...args: number[]) => IArguments
      )(1, 2),
    };
    for (const [name, value] of Object.entries(refused)) {
      expect(plainJson(value), name).toBeUndefined();
      expectSameAsClone(value);
    }
    // the serializer keeps what JSON would have lost
    const back = throughLog({ a: shared, b: shared }) as { a: object; b: object };
    expect(back.a).toBe(back.b);
    expect(Object.is((throughLog({ n: -0 }) as { n: number }).n, -0)).toBe(true);
  });

  it('what is not small plain data is refused without listing its keys (a typed array’s are its indices)', async () => {
    // the module keeps Object.keys from when it loads: loaded again, it keeps this spy
    const listed: unknown[] = [];
    const spy = vi.spyOn(Object, 'keys').mockImplementation((value: object) => {
      listed.push(value);
      return keysOf(value);
    });
    try {
      vi.resetModules();
      const { plainJson: fresh } = await import('./plain-json.js');
      const large = [
        new Float64Array(1000),
        Buffer.alloc(1000),
        Array.from({ length: maxNodes + 1 }, () => 0),
        new Map([[1, 2]]),
        Object.setPrototypeOf(new Uint8Array(1000), Object.prototype),
        Object.setPrototypeOf(new String('long'), Object.prototype),
      ];
      for (const value of large) expect(fresh(value)).toBeUndefined();
      expect(listed).toEqual([]);
      expect(fresh({ a: [1] })).toBe('{"a":[1]}');
      expect(listed).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('a getter is never called by the walk: the clone reads it, once', () => {
    let reads = 0;
    const value = {
      a: 1,
      get b() {
        reads++;
        return 2;
      },
    };
    expect(plainJson(value)).toBeUndefined();
    expect(reads).toBe(0);
    expect(throughLog(value)).toEqual({ a: 1, b: 2 });
    expect(reads).toBe(1);
  });

  it('a proxy is not asked anything: the clone refuses it, as before', () => {
    let traps = 0;
    const proxy = new Proxy(
      { a: 1 },
      {
        getPrototypeOf: (target) => {
          traps++;
          return Object.getPrototypeOf(target);
        },
        ownKeys: (target) => {
          traps++;
          return Reflect.ownKeys(target);
        },
      },
    );
    expect(plainJson({ p: proxy })).toBeUndefined();
    expect(traps).toBe(0);
    expectSameAsClone({ p: proxy });
  });

  it('a function that replaced the built-ins the walk uses does not change a result', () => {
    const saved = {
      stringify: JSON.stringify,
      keys: Object.keys,
      descriptor: Object.getOwnPropertyDescriptor,
      getPrototypeOf: Object.getPrototypeOf,
    };
    try {
      JSON.stringify = () => '"forged"';
      Object.keys = () => [];
      Object.getOwnPropertyDescriptor = () => ({ value: 'forged' });
      Object.getPrototypeOf = () => null;
      Object.defineProperty(Array.prototype, '0', { set() {}, configurable: true });
      expect(plainJson({ a: [1, { b: 'c' }] })).toBe(saved.stringify({ a: [1, { b: 'c' }] }));
    } finally {
      Object.assign(JSON, { stringify: saved.stringify });
      Object.assign(Object, {
        keys: saved.keys,
        getOwnPropertyDescriptor: saved.descriptor,
        getPrototypeOf: saved.getPrototypeOf,
      });
      delete (Array.prototype as unknown as Record<string, unknown>)['0'];
    }
  });

  it('property: any small plain value is written as JSON, and reads back as its clone', () => {
    // at most 1 + 3 + 9 + 27 values: under maxNodes, so each one must take the JSON path
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.constant(null),
    );
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        leaf,
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('tree'), { minKeys: 1, maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        const text = plainJson(value);
        expect(text).toBeDefined();
        // equal, up to prototypes: a clone too makes a null-prototype object a plain one
        expect(JSON.parse(text!)).toEqual(value);
        expectSameAsClone(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: any value graph (shared objects, cycles, classes, holes…) reads back as its clone', () => {
    // without typed arrays: a deserialized view's buffer is the serialized bytes around it, which
    // differ by where they were read from (the Buffer test of result-log.test.ts covers views)
    const views: string[] = ['float64', 'uint8', 'dataview', 'buffer', 'largeview'];
    const graphs = graphSpec.map((spec) => ({
      ...spec,
      kinds: spec.kinds.map((kind) => (views.includes(kind) ? ('object' as const) : kind)),
    }));
    const anything = fc.anything({ withNullPrototype: true, withSparseArray: true });
    fc.assert(
      fc.property(graphs, anything, (spec, any) => {
        expectSameAsClone(buildGraph(spec));
        expectSameAsClone(any);
      }),
      { numRuns: 500 },
    );
  });
});
