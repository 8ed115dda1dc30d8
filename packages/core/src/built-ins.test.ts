// A function may replace any built-in method on its thread (on purpose or by a bug): that breaks its
// own items, never a later call there. Each method of the built-ins the pool's thread code and the
// decoder use is replaced in turn, by one call, and later calls must then work: a new closure
// rebuilt, a map, a failing item's error record, and repeated applies on the direct path. Before the
// guard covered them, 13 of these broke every later call (Array.isArray, Atomics.load, Date.now,
// Buffer.prototype.toString, Map.prototype.keys, Array.prototype[Symbol.iterator], the global
// Uint8Array, …).
import { capture } from '@closure-pool/serializer';
import { describe, expect, it } from 'vitest';
import { ClosurePool } from './pool.js';

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
/** Where each replaced method lives, by the path the breaking function reads it from. */
const owners: Record<string, object> = {
  Object,
  'Object.prototype': Object.prototype,
  Array,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  Promise,
  'Promise.prototype': Promise.prototype,
  JSON,
  Reflect,
  Atomics,
  'Map.prototype': Map.prototype,
  'Set.prototype': Set.prototype,
  'WeakMap.prototype': WeakMap.prototype,
  String,
  'String.prototype': String.prototype,
  Number,
  'Number.prototype': Number.prototype,
  Error,
  'Error.prototype': Error.prototype,
  'TypedArray.prototype': typedArrayPrototype,
  'Uint8Array.prototype': Uint8Array.prototype,
  Buffer,
  'Buffer.prototype': Buffer.prototype,
  Math,
  Symbol,
  BigInt,
  Date,
  'Date.prototype': Date.prototype,
};
/** Globals the pool's code reads by name, replaced as a whole. */
const globalNames = [
  'Object',
  'Array',
  'Function',
  'Promise',
  'JSON',
  'Reflect',
  'Atomics',
  'Map',
  'Set',
  'WeakMap',
  'Symbol',
  'Error',
  'TypeError',
  'RangeError',
  'Number',
  'String',
  'Boolean',
  'BigInt',
  'Date',
  'Buffer',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Uint8Array',
  'Int32Array',
  'Float64Array',
  'structuredClone',
  'queueMicrotask',
  'setTimeout',
  'clearTimeout',
  'setImmediate',
];

/** Every replaceable method of those objects, as `owner.key` (`owner.@@iterator` for a symbol). */
function methodPaths(): string[] {
  const paths: string[] = [];
  for (const [owner, target] of Object.entries(owners))
    for (const key of Reflect.ownKeys(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (key === 'constructor' || typeof descriptor?.value !== 'function') continue;
      if (!descriptor.writable && !descriptor.configurable) continue;
      const name = typeof key === 'symbol' ? `@@${key.description!.replace('Symbol.', '')}` : key;
      paths.push(`${owner}.${name}`);
    }
  return [...paths, ...globalNames.map((name) => `globalThis.${name}`)];
}

/** Runs in the worker: replaces the method at `path` with one that throws. */
function breakMethod(path: string): number {
  const dot = path.lastIndexOf('.');
  const owner = path.slice(0, dot);
  const name = path.slice(dot + 1);
  const key = name.startsWith('@@') ? (Symbol as any)[name.slice(2)] : name;
  const target =
    owner === 'globalThis'
      ? globalThis
      : owner === 'TypedArray.prototype'
        ? Object.getPrototypeOf(Uint8Array.prototype)
        : owner.split('.').reduce((object: any, part) => object[part], globalThis);
  Object.defineProperty(target, key, {
    value: function broken() {
      throw new Error(`broken ${path}`);
    },
    writable: true,
    configurable: true,
  });
  return 1;
}

/** What later calls must still do on that thread; throws what went wrong. */
async function laterCalls(pool: ClosurePool): Promise<void> {
  const k = Math.random(); // a new capture each time: a closure rebuilt by the decoder
  const doubled = await pool.map((x: number) => x * 2 + k * 0, [1, 2, 3, 4], capture({ k }));
  expect(doubled).toEqual([2, 4, 6, 8]);
  const settled = await pool.map(
    (x: number) => {
      if (x === 2) throw new RangeError('two');
      return [x].map((y) => y + 1)[0];
    },
    [1, 2, 3],
    { settle: true },
  );
  expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  for (let call = 0; call < 3; call++) {
    expect(await pool.apply((x: number) => ({ next: x + 1 }), [call])).toEqual({ next: call + 1 });
    expect(await pool.apply((x: number) => x + 1, [call])).toBe(call + 1);
  }
}

describe('a function that replaces a built-in method', () => {
  it('breaks no later call on its thread, whichever method it is', async () => {
    const paths = methodPaths();
    expect(paths.length).toBeGreaterThan(400);
    let pool = new ClosurePool({ threads: 1 });
    const strays: unknown[] = [];
    const broken: string[] = [];
    pool.on('error', (error) => strays.push(error));
    try {
      for (const path of paths) {
        // the breaking call's own outcome does not matter: its items may fail
        await pool.apply(breakMethod, [path]).catch(() => undefined);
        try {
          await laterCalls(pool);
        } catch (error) {
          broken.push(`${path}: ${(error as Error).message.split('\n')[0]}`);
          // a fresh thread for the next one, so that one break is not blamed on the next
          await pool.terminate();
          pool = new ClosurePool({ threads: 1 });
          pool.on('error', (error) => strays.push(error));
        }
      }
    } finally {
      await pool.terminate();
    }
    expect(broken).toEqual([]);
    expect(strays).toEqual([]);
  }, 180_000);
});
