// [worker] The built-ins the pool's own thread code relies on (its worker, the decoder, Piscina's
// message loop), remembered when the thread starts and put back after a chunk that changed them: a
// function that overwrites `Array.prototype.map` or `JSON.parse`, or adds `Object.prototype.then`,
// then breaks only its own items, never the reply, the protocol or later calls on its thread.
//
// Cost, measured in a worker thread: reading all ~1,100 properties of these objects takes 35–46 µs,
// so after each chunk only the most used ones (the sentinels, ~110) are compared, by a checker
// compiled for them (a few µs); when one differs, everything is put back.

type Saved = { target: any; key: PropertyKey; descriptor: PropertyDescriptor };

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
/** Objects whose own properties are remembered, and restored when a sentinel changed. */
const guarded: object[] = [
  Object,
  Object.prototype,
  Array,
  Array.prototype,
  Function.prototype,
  Promise,
  Promise.prototype,
  JSON,
  Reflect,
  Atomics,
  Map.prototype,
  Set.prototype,
  WeakMap.prototype,
  String.prototype,
  Number,
  Error,
  Error.prototype,
  typedArrayPrototype,
  Uint8Array.prototype,
  Buffer,
  Buffer.prototype,
  Date,
];
/** Globals the pool's code reads by name. */
const globals = [
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
  'Math',
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
  'URL',
];
/** The properties compared after every chunk: the ones the pool's code calls most. */
const sentinels: [object, (string | symbol)[]][] = [
  [
    Array.prototype,
    [
      'map',
      'forEach',
      'push',
      'filter',
      'slice',
      'every',
      'some',
      'includes',
      'indexOf',
      'join',
      'reduce',
      'concat',
      'splice',
      'sort',
      'entries',
      'keys',
      'values',
      'find',
      'pop',
      'shift',
      Symbol.iterator,
    ],
  ],
  [
    Object,
    [
      'keys',
      'entries',
      'values',
      'assign',
      'defineProperty',
      'getPrototypeOf',
      'setPrototypeOf',
      'create',
      'freeze',
      'hasOwn',
      'fromEntries',
      'getOwnPropertyNames',
      'getOwnPropertyDescriptor',
    ],
  ],
  [Array, ['isArray', 'from', 'of']],
  [Object.prototype, ['hasOwnProperty', 'toString', 'valueOf', 'propertyIsEnumerable']],
  [JSON, ['parse', 'stringify']],
  [Promise, ['resolve', 'reject', 'all']],
  [Promise.prototype, ['then', 'catch', 'finally']],
  [Function.prototype, ['call', 'apply', 'bind', 'toString']],
  [
    Map.prototype,
    ['get', 'set', 'has', 'delete', 'forEach', 'keys', 'values', 'entries', Symbol.iterator],
  ],
  [Set.prototype, ['add', 'has', 'delete', Symbol.iterator]],
  [typedArrayPrototype, [Symbol.iterator]],
  [
    String.prototype,
    [
      'slice',
      'split',
      'replace',
      'startsWith',
      'indexOf',
      'charCodeAt',
      'toString',
      Symbol.iterator,
    ],
  ],
  [Reflect, ['apply', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty']],
  [Number, ['isInteger', 'isSafeInteger']],
  [Error, ['captureStackTrace']],
  [Atomics, ['load', 'store', 'add', 'notify', 'wait']],
  [Date, ['now']],
  [Buffer, ['from', 'alloc', 'allocUnsafe', 'concat', 'isBuffer', 'byteLength']],
  [
    Buffer.prototype,
    ['toString', 'utf8Slice', 'latin1Slice', 'subarray', 'slice', 'readUInt32LE', 'equals'],
  ],
  [
    globalThis,
    [
      'Object',
      'Array',
      'JSON',
      'Promise',
      'Map',
      'Set',
      'Symbol',
      'Error',
      'Reflect',
      'Atomics',
      'Date',
      'Buffer',
      'Uint8Array',
      'Int32Array',
      'Float64Array',
      'ArrayBuffer',
      'SharedArrayBuffer',
      'DataView',
    ],
  ],
];
/** Prototypes to which an added `then` would make every reply a thenable. */
const closed: object[] = [Object.prototype, Array.prototype, Function.prototype, Promise.prototype];

const saved: Saved[] = [];
const remember = (target: object, key: PropertyKey) => {
  const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
  if (descriptor && (descriptor.configurable || descriptor.writable))
    saved.push({ target, key, descriptor });
};
for (const target of guarded) for (const key of Reflect.ownKeys(target)) remember(target, key);
for (const name of globals) if (Object.hasOwn(globalThis, name)) remember(globalThis, name);

// the restoring code must not depend on what it restores: its own references, taken now
const { getOwnPropertyDescriptor, defineProperty, ownKeys, deleteProperty } = Reflect;
const hasOwn = Object.hasOwn;
/** Each closed prototype's own keys when the thread started (a plain record: no method to break). */
const known = closed.map((target) => {
  const keys: Record<PropertyKey, true> = Object.create(null);
  for (const key of ownKeys(target)) keys[key] = true;
  return { target, keys };
});

/** The sentinels a thread has, each with its value when the thread started. */
const watched = sentinels.flatMap(([target, keys]) =>
  keys.filter((key) => hasOwn(target, key)).map((key) => ({ target, key })),
);
/**
 * True when a sentinel differs: one expression compiled for them, so that V8 caches each read (a
 * string key written in it, a symbol read from `S`).
 */
const sentinelChanged = new Function(
  'T',
  'V',
  'S',
  `return ${watched
    .map(
      ({ key }, i) =>
        `T[${i}][${typeof key === 'symbol' ? `S[${i}]` : JSON.stringify(key)}] !== V[${i}]`,
    )
    .join(' || ')};`,
).bind(
  undefined,
  watched.map(({ target }) => target),
  watched.map(({ target, key }) => (target as any)[key]),
  watched.map(({ key }) => key),
) as () => boolean;

/**
 * After a chunk: when a function changed a sentinel built-in, or added `then` where every object
 * would see it, puts every remembered built-in back. Returns how many properties it repaired.
 */
export function guardIntrinsics(): number {
  let thenAdded = false;
  for (let i = 0; i < closed.length; i++)
    if (hasOwn(closed[i]!, 'then') && known[i]!.keys.then !== true) thenAdded = true;
  return thenAdded || sentinelChanged() ? restoreIntrinsics() : 0;
}

/** Puts back every remembered built-in, and removes what was added to the closed prototypes. */
export function restoreIntrinsics(): number {
  let repaired = 0;
  for (let i = 0; i < saved.length; i++) {
    const { target, key, descriptor } = saved[i]!;
    const now = getOwnPropertyDescriptor(target, key);
    if (
      now === undefined ||
      now.value !== descriptor.value ||
      now.get !== descriptor.get ||
      now.set !== descriptor.set
    ) {
      try {
        defineProperty(target, key, descriptor);
        repaired++;
      } catch {
        // made non-configurable since: left as it is
      }
    }
  }
  for (let i = 0; i < known.length; i++) {
    const { target, keys } = known[i]!;
    const now = ownKeys(target);
    for (let j = 0; j < now.length; j++) {
      if (keys[now[j]!] !== true) {
        deleteProperty(target, now[j]!);
        repaired++;
      }
    }
  }
  return repaired;
}
