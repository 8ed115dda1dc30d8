// The fidelity contract through a real pool: a captured graph, described in the worker, reads the
// same as described here (deep equality, identity structure, classes, holes, -0, lastIndex…); items
// and results arrive as their structured clone would.
import { deserialize, serialize } from 'node:v8';
import { capture, registerClass } from '@closure-pool/serializer';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describeGraph } from '../../serializer/src/testing/describe-graph.js';
import { buildGraph, graphSpec, Point } from '../../serializer/src/testing/graph-arbitrary.js';
import { ClosurePool } from './pool.js';

registerClass(Point);
const pool = new ClosurePool({ threads: 2 });
afterAll(() => pool.close());

/** `describeGraph` of the captured names, run in a worker thread. */
function describeInWorker(env: Record<string, unknown>): Promise<string> {
  const fn = new Function(`return () => describeGraph({ ${Object.keys(env).join(', ')} })`)();
  return pool.apply(fn, [], capture({ describeGraph, ...env }));
}

describe('captured values through a pool', () => {
  it('two captured names that refer to each other, a sparse array, a null-prototype object', async () => {
    const a: any = { name: 'a' };
    const b: any = { name: 'b', peer: a };
    a.peer = b;
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const env = { a, b, holes: [1, , 3], dict: Object.assign(Object.create(null), { k: -0 }) };
    expect(await describeInWorker(env)).toBe(describeGraph(env));
  });

  it('property: generated graphs read the same in the worker', async () => {
    await fc.assert(
      fc.asyncProperty(graphSpec, async (spec) => {
        const env = buildGraph(spec);
        expect(await describeInWorker(env)).toBe(describeGraph(env));
      }),
      { numRuns: 1000 },
    );
  });
});

/** What a structured clone of `value` makes, read from bytes of its own. */
const cloned = (value: unknown) => deserialize(new Uint8Array(serialize(value)));

/**
 * `describeGraph` with each typed array copied to a buffer of its own first: a deserialized view's
 * buffer is the serialized bytes around it, which differ by the path the value took.
 */
function describeData(value: unknown): string {
  const copies = new Map<unknown, unknown>();
  const own = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (copies.has(v)) return copies.get(v);
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
      const Kind = v.constructor as new (
        buffer: ArrayBuffer,
        offset: number,
        length?: number,
      ) => object;
      const copy = v instanceof DataView ? new DataView(bytes.buffer) : new Kind(bytes.buffer, 0);
      copies.set(v, copy);
      return copy;
    }
    copies.set(v, v);
    if (v instanceof Map) {
      const entries = [...v];
      v.clear();
      for (const [key, member] of entries) v.set(own(key), own(member));
    } else if (v instanceof Set) {
      const members = [...v];
      v.clear();
      for (const member of members) v.add(own(member));
    } else if (!(v instanceof String))
      for (const key of Object.keys(v))
        (v as Record<string, unknown>)[key] = own((v as Record<string, unknown>)[key]);
    return v;
  };
  return describeGraph(own(value));
}

describe('items and results through a pool', () => {
  const anything = fc.anything({
    withNullPrototype: true,
    withSparseArray: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withBoxedValues: true,
  });
  const inputs = fc.tuple(fc.array(anything, { minLength: 1, maxLength: 12 }), fc.nat(4));

  it('property: what map and apply return reads as its structured clone, in chunks of any size', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async ([items, extra]) => {
        const expected = items.map((item) => describeData(cloned(item)));
        // small chunks on two threads: each thread's result logs are written over by later chunks
        const results = await pool.map((item: unknown) => item, items, { chunkSize: 1 + extra });
        expect(results.map(describeData)).toEqual(expected);
        expect(describeData(await pool.apply((item: unknown) => item, [items[0]]))).toBe(
          expected[0],
        );
      }),
      { numRuns: 300 },
    );
  });

  it('property: an error’s own properties read as their structured clone', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async ([items, extra]) => {
        const expected = items.map((item) => describeData(cloned(item)));
        const fail = (item: unknown) => {
          throw Object.assign(new RangeError('bad'), { data: item });
        };
        const outcomes = await pool.map(fail, items, { chunkSize: 1 + extra, settle: true });
        const thrown = outcomes.map((outcome) =>
          outcome.status === 'rejected' ? (outcome.reason as Error).cause : outcome,
        );
        expect(thrown.map((error) => (error as RangeError).name)).toEqual(
          items.map(() => 'RangeError'),
        );
        expect(thrown.map((error) => describeData((error as { data: unknown }).data))).toEqual(
          expected,
        );
      }),
      { numRuns: 200 },
    );
  });
});
