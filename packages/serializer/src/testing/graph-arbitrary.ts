// fast-check arbitraries for captured values with shared references and cycles, across several
// captured names: the data the fidelity contract speaks of, generated.
import fc from 'fast-check';

/** A class the graphs hold instances of; register it before use. */
export class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
  norm() {
    return Math.hypot(Number(this.x), Number(this.y));
  }
}

/** A function with no free variables: travels as a function node wherever it is found. */
export function helper(x: number) {
  return x + 1;
}

const kinds = [
  'object',
  'nullProto',
  'array',
  'sparse',
  'map',
  'set',
  'error',
  'aggregate',
  'instance',
  'regexp',
  'float64',
  'uint8',
  'dataview',
  'buffer',
  'arraybuffer',
  'largeview',
  'largebuffer',
  'date',
  'boxed',
  'url',
] as const;
type Kind = (typeof kinds)[number];

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'length', 'cause', '0', '7'),
);
const leaf = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
  fc.bigInt(),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
  // an invalid Date travels too, but Node's isDeepStrictEqual calls two of them unequal
  fc.date({ noInvalidDate: true }),
  fc.constant(helper),
);

export const graphSpec = fc.record({
  kinds: fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 8 }),
  edges: fc.array(
    fc.record({
      from: fc.nat(),
      key,
      to: fc.oneof(fc.record({ node: fc.nat() }), fc.record({ leaf })),
    }),
    { maxLength: 24 },
  ),
  names: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
});
export type GraphSpec = typeof graphSpec extends fc.Arbitrary<infer T> ? T : never;

/** Builds the graph a spec describes; returns the captured names and their values. */
export function buildGraph(spec: GraphSpec): Record<string, unknown> {
  // the third is large: it travels beside the values, out of band
  const buffers = [new ArrayBuffer(32), new ArrayBuffer(16), new ArrayBuffer(70_000)];
  for (const buffer of buffers)
    new Uint8Array(buffer).forEach((_, i, a) => {
      a[i] = i * 7;
    });
  const nodes = spec.kinds.map((kind, i) => make(kind, i, buffers));
  spec.edges.forEach((edge, n) => {
    const target = nodes[edge.from % nodes.length];
    const value = 'node' in edge.to ? nodes[edge.to.node % nodes.length] : edge.to.leaf;
    attach(spec.kinds[edge.from % nodes.length]!, target, edge.key, value, n);
  });
  return Object.fromEntries(spec.names.map((pick, i) => [`v${i}`, nodes[pick % nodes.length]]));
}

function make(kind: Kind, i: number, buffers: ArrayBuffer[]): unknown {
  switch (kind) {
    case 'object':
      return {};
    case 'nullProto':
      return Object.create(null);
    case 'array':
      return [];
    case 'sparse':
      // biome-ignore lint/suspicious/noSparseArray: holes are the point
      return [i, , i];
    case 'map':
      return new Map();
    case 'set':
      return new Set();
    case 'error':
      return new TypeError(`e${i}`);
    case 'aggregate':
      return new AggregateError([], `agg${i}`);
    case 'instance':
      return new Point(i, i + 1);
    case 'regexp': {
      const re = /a(b)?c/gi;
      re.lastIndex = i;
      return re;
    }
    case 'float64':
      return new Float64Array(buffers[0]!, 8, 2);
    case 'uint8':
      return new Uint8Array(buffers[0]!, 3, 5);
    case 'dataview':
      return new DataView(buffers[0]!, 1, 4);
    case 'buffer':
      return Buffer.from(buffers[1]!, 2, 4);
    case 'arraybuffer':
      return buffers[i % 2];
    case 'largeview':
      return new Uint16Array(buffers[2]!, 2 * i, 8);
    case 'largebuffer':
      return buffers[2];
    case 'date':
      return new Date(i * 1000);
    case 'boxed':
      return Object(i);
    case 'url':
      return new URL(`https://example.test/${i}?q=${i}`);
  }
}

function attach(kind: Kind, target: any, key: string, value: unknown, n: number): void {
  switch (kind) {
    case 'object':
    case 'nullProto':
    case 'instance':
      Object.defineProperty(target, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      return;
    case 'array':
      target.push(value);
      return;
    case 'sparse':
      target[target.length + 1] = value;
      return;
    case 'map':
      target.set(n % 2 === 0 ? key : value, value);
      return;
    case 'set':
      target.add(value);
      return;
    case 'error':
      // a name or message that is not a string is refused (tested apart): keep them strings here
      if ((key === 'name' || key === 'message') && typeof value !== 'string') return;
      Object.defineProperty(target, key, {
        value,
        writable: true,
        enumerable: key !== 'cause',
        configurable: true,
      });
      return;
    case 'aggregate':
      target.errors.push(value);
      return;
    default:
      return; // a leaf kind holds nothing
  }
}
