// [main] Why a captured value cannot travel, and what to do instead: every refusal of a value, in
// one table, so each message names the kind of value and a fix that works.
import { builtinModules } from 'node:module';
import { Stream } from 'node:stream';
import { types } from 'node:util';
import { describe } from './capture.js';
import { CaptureError, ErrorCode } from './errors.js';
import { nodeRequire } from './node-require.js';

type Test = (value: object) => boolean;
const tag = (value: object) => Object.prototype.toString.call(value).slice(8, -1);

/** Values that cannot travel whatever their class, with the reason and the fix. */
const refusals: [Test, (value: object) => string][] = [
  [
    (v) => types.isProxy(v),
    () => 'a Proxy: its handler cannot be seen or copied. Capture the object it wraps',
  ],
  [(v) => types.isPromise(v), () => 'a Promise: await it first and capture its value'],
  [
    (v) => globalObjectName(v) !== undefined,
    (v) =>
      reasons.globalObject(
        globalObjectName(v)!,
        Object.keys(v).length === 0,
        builtinSpecifierOf(v),
      ),
  ],
  [
    (v) => Object.getPrototypeOf(v) === null && isImportMeta(v),
    () =>
      '`import.meta`, which belongs to its module. Capture what you need from it instead: import.meta.url, or import.meta.dirname (strings)',
  ],
  [
    (v) =>
      (v.constructor?.name === 'Timeout' && '_onTimeout' in v) ||
      (v.constructor?.name === 'Immediate' && '_onImmediate' in v),
    () =>
      "a timer (what setTimeout or setImmediate returned), which belongs to this thread's event loop. Start the timer inside the function",
  ],
  [
    (v) => v.constructor?.name === 'FileHandle' && typeof (v as { fd?: unknown }).fd === 'number',
    () =>
      'an open file (a FileHandle), tied to this thread. Capture its path and open it inside the function',
  ],
  [
    (v) =>
      v instanceof WeakMap ||
      v instanceof WeakSet ||
      v instanceof WeakRef ||
      v instanceof FinalizationRegistry,
    () => 'held weakly, so its contents cannot be read or copied. Capture a Map or Set instead',
  ],
  [
    (v) => types.isModuleNamespaceObject(v),
    (v) => {
      const specifier = builtinSpecifierOf((v as { default?: unknown }).default);
      return `a module namespace (import * as …), which holds live bindings, not data. Fix: capture moduleRef('${specifier ?? 'the-module-specifier'}') instead`;
    },
  ],
  [
    (v) => types.isGeneratorObject(v) || /^(Async)?Generator$/.test(tag(v)),
    () =>
      'a generator object, whose paused state cannot be copied. Materialize it first (capture [...gen]) or create the generator inside the function',
  ],
  [
    (v) => /Iterator$/.test(tag(v)),
    (v) =>
      `an iterator (${tag(v)}), whose position cannot be copied. Materialize it first (capture [...it]) or create it inside the function`,
  ],
  [
    (v) =>
      Object.getPrototypeOf(v)?.constructor?.name === 'Module' &&
      'exports' in v &&
      typeof (v as { require?: unknown }).require === 'function',
    () =>
      "CommonJS's `module` object, which belongs to its file. Fix: capture the values you need from module.exports, or the module itself as moduleRef('./the-file.js')",
  ],
  [
    (v) => v instanceof Stream,
    (v) =>
      `a stream or socket (${describe(v)}), tied to this thread's I/O. Pass what opens it (a path, a URL, options) and open it inside the function`,
  ],
  [
    (v) => types.isKeyObject(v) || types.isCryptoKey(v),
    (v) =>
      `a crypto key (${describe(v)}), whose key material lives in native memory that a capture's copy cannot reach. ` +
      'Pass it as an argument or an item instead (those travel by postMessage, which copies a key), ' +
      "or capture what key.export() gives and make the key again inside with node:crypto's createSecretKey or createPrivateKey (moduleRef('node:crypto'))",
  ],
  [
    (v) => typeof (v as Record<symbol, unknown>)[CANNOT_TRAVEL] === 'string',
    (v) => String((v as Record<symbol, unknown>)[CANNOT_TRAVEL]),
  ],
  [(v) => platformClassOf(v) !== undefined, (v) => platformReason(platformClassOf(v)!)],
];

/**
 * The globals every thread has its own of. A copy of one would lose what it is (`Math`, whose
 * properties are all hidden from a copy, arrived as `{}`): the function reads the worker's by name.
 */
const threadGlobals = [
  'globalThis',
  'Math',
  'JSON',
  'Reflect',
  'Atomics',
  'Intl',
  'WebAssembly',
  'console',
  'process',
  'performance',
  'crypto',
  'navigator',
];
/** The runtime's classes whose prototype every thread has its own of (`Map.prototype`). */
const threadClasses = [
  'Object',
  'Function',
  'Array',
  'Number',
  'Boolean',
  'String',
  'Symbol',
  'BigInt',
  'Date',
  'RegExp',
  'Error',
  'TypeError',
  'RangeError',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Promise',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Uint8Array',
  'Int32Array',
  'Float64Array',
  'Buffer',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'EventTarget',
  'AbortController',
  'Headers',
];
let globalsByValue: Map<object, string> | undefined;

/**
 * The name of the global `value` is (`Math`, `process`, `globalThis`, `Map.prototype`…), if it is
 * one.
 */
export function globalObjectName(value: object): string | undefined {
  const globals = globalThis as Record<string, unknown>;
  globalsByValue ??= new Map(
    [
      ...threadGlobals.map((name) => [globals[name], name]),
      ...threadClasses.map((name) => [
        (globals[name] as Function | undefined)?.prototype,
        `${name}.prototype`,
      ]),
    ].filter(
      (entry): entry is [object, string] => typeof entry[0] === 'object' && entry[0] !== null,
    ),
  );
  return globalsByValue.get(value);
}

/** `import.meta`: an object without a prototype, with its module's url and a resolve() (read without running a getter). */
export function isImportMeta(value: object): boolean {
  const own = (key: string) => Object.getOwnPropertyDescriptor(value, key)?.value;
  return typeof own('url') === 'string' && typeof own('resolve') === 'function';
}

/**
 * A class's instances that can never travel say why under this key (a string on the prototype):
 * the pool's own class does, which `registerClass` could not make travel either.
 */
export const CANNOT_TRAVEL = Symbol.for('closure-pool.cannotTravel');

/** What to capture instead of an instance of some of the runtime's classes. */
const platformHints: Readonly<Record<string, string>> = {
  URLSearchParams:
    'Capture its text (params.toString()) and make it again inside: new URLSearchParams(text)',
  Headers: 'Capture its entries (Object.fromEntries(headers)) and make it again inside',
  Blob: 'Capture its bytes (new Uint8Array(await blob.arrayBuffer()))',
  AbortController:
    'To stop a call, give it the signal instead: pool.map(fn, items, { signal: controller.signal })',
  AbortSignal: 'To stop a call, give it the signal instead: pool.map(fn, items, { signal })',
};

/**
 * The class of `value`, when it is one of the runtime's own (a global such as Headers or
 * AbortController, Intl's, or a class one of Node's builtins exports, such as EventEmitter or
 * http's Server), with where it comes from. A class of the user's that extends one is not.
 */
function platformClassOf(value: object): { name: string; from: string } | undefined {
  const ctor = Object.getPrototypeOf(value)?.constructor as Function | undefined;
  if (typeof ctor !== 'function' || !ctor.name || ctor === Object) return undefined;
  const globals = globalThis as Record<string, unknown>;
  if (globals[ctor.name] === ctor)
    return { name: ctor.name, from: 'a global class of the runtime' };
  if ((Intl as Record<string, unknown>)[ctor.name] === ctor)
    return { name: `Intl.${ctor.name}`, from: 'a global class of the runtime' };
  const exported = builtinExportOf(ctor);
  return exported && { name: ctor.name, from: `a class of ${exported[0]}` };
}

function platformReason({ name, from }: { name: string; from: string }): string {
  const hint = platformHints[name.replace(/^Intl\./, '')];
  return `an instance of ${name}, ${from}, whose state lives inside this thread where no copy reaches it. ${hint ?? "Create it inside the function (or once per thread, in the pool's init)"}`;
}

/** The reason `value` can never travel, or undefined when it may. */
export function refusalOf(value: object): string | undefined {
  for (const [test, reason] of refusals) if (test(value)) return reason(value);
  return undefined;
}

/** A CaptureError for a value that cannot travel, at `path`. */
export function refused(path: string, value: unknown, reason: string): CaptureError {
  const got = typeof value === 'symbol' ? String(value).slice(0, 60) : describe(value);
  // a path thousands of levels deep would drown the message: its two ends say where
  const shown = path.length > 200 ? `${path.slice(0, 100)}…${path.slice(-80)}` : path;
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
    `${shown} cannot travel to a worker: it is ${reason}. (got ${got})`,
    { path },
  );
}

export const reasons = {
  /** `hidden`: it has no enumerable own property (Math, Map.prototype): a copy would be empty. */
  globalObject: (name: string, hidden: boolean, specifier: string | undefined) =>
    `the global \`${name}\` of this thread; each worker thread has its own (${
      hidden
        ? 'a copy would arrive as {}: its properties are hidden from copies'
        : 'a copy would be a plain object, not it'
    }). Leave it out of the capture and read ${name === 'globalThis' ? 'each global' : `\`${name}\``} by name inside the function${
      specifier ? `, or capture moduleRef('${specifier}'), the worker's own` : ''
    }`,
  symbol: (symbol: symbol) => {
    const key = Symbol.keyFor(symbol);
    if (key !== undefined)
      return `a registered symbol, Symbol.for(${JSON.stringify(key)}), the same in every thread, which a copy cannot carry. Leave it out of the capture and write Symbol.for(${JSON.stringify(key)}) inside the function`;
    const known = symbol.description?.startsWith('Symbol.') ? symbol.description : undefined;
    if (known && (Symbol as unknown as Record<string, unknown>)[known.slice(7)] === symbol)
      return `a well-known symbol, ${known}, the same in every thread, which a copy cannot carry. Leave it out of the capture and write ${known} inside the function`;
    return 'a Symbol, which is unique to the thread that made it. Capture its description string instead';
  },
  symbolKeys:
    'an object with symbol-keyed properties, which structured clone drops. Use string keys, or a Map',
  tooDeep: (depth: number) =>
    `nested more than ${depth} levels deep, deeper than structured clone can copy. Flatten it (an array of records with ids) or build it inside the function`,
  unregistered: (name: string | undefined) =>
    `an instance of ${name || 'a class without a name'}, whose class is not registered. ` +
    `Register it with registerClass(${name || 'TheClass'}), create it inside the function, or import it with moduleRef()`,
  argsCycle: (name: string) =>
    `an instance of ${name} whose registerClass args contain the instance itself, which no constructor call can make. Return plain values from args`,
  argsNotArray: (name: string) =>
    `an instance of ${name} whose registerClass args did not return an array. Return the constructor's arguments as an array, like [p.x, p.y]`,
  privateState: (name: string) =>
    `an instance of ${name}, whose #private fields or methods no copy can carry: it would fail in the worker as soon as a method reads them. ` +
    `Fix: registerClass(${name}, { args: (instance) => [/* its constructor's arguments */] }), and the worker builds it with new ${name}(...args)`,
  subclass: (name: string | undefined, base: string) =>
    `an instance of ${name || 'a subclass'}, a subclass of ${base} that a copy would turn back into a plain ${base}. Register it with registerClass(${name || 'TheClass'}), or convert it to a plain ${base}`,
  extraProps: (kind: string) =>
    `a ${kind} with own properties, which structured clone drops. Capture them apart, in a plain object`,
  builtinModule: (specifier: string) =>
    `the '${specifier}' module itself, which holds functions bound to this thread. Fix: capture moduleRef('${specifier}') instead, and the worker imports its own`,
  errorFields:
    'an Error whose name or message is not a string, which structured clone cannot copy. Make both strings, and carry other data in own properties',
  notCloneable: (message: string) =>
    `a value structured clone cannot copy (${message.slice(0, 200)}). Capture plain data, or create the value inside the function`,
};

let builtins: Map<unknown, string> | undefined;

/** `node:path` for the object `import path from 'node:path'` gives, and so on for Node's builtins. */
export function builtinSpecifierOf(value: unknown): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined;
  builtins ??= indexBuiltins();
  return builtins.get(value);
}

/**
 * The arguments of the `moduleRef` that stands for one of Node's builtins (its module object or
 * namespace: `['node:path']`) or a function one exports (`['node:fs/promises', 'readFile']`);
 * undefined for anything else.
 */
export function builtinRefOf(value: unknown): [string] | [string, string] | undefined {
  const module = types.isModuleNamespaceObject(value)
    ? (value as { default?: unknown }).default
    : value;
  const specifier = builtinSpecifierOf(module);
  if (specifier) return [specifier];
  return builtinExportOf(value);
}

let builtinExports: Map<unknown, [string, string]> | undefined;

/** `['node:timers/promises', 'setTimeout']` for a function one of Node's builtins exports. */
export function builtinExportOf(
  value: unknown,
): [specifier: string, exportName: string] | undefined {
  if (typeof value !== 'function') return undefined;
  if (!builtinExports) {
    builtins ??= indexBuiltins();
    builtinExports = new Map();
    for (const [exports, specifier] of builtins) {
      for (const name of Object.keys(exports as object)) {
        // util.isDate and the like: deprecated aliases of node:util/types' functions, gone in Node 23
        if (specifier === 'node:util' && /^is[A-Z]/.test(name)) continue;
        const fn = Object.getOwnPropertyDescriptor(exports, name)?.value;
        if (typeof fn === 'function' && !builtinExports.has(fn))
          builtinExports.set(fn, [specifier, name]);
      }
    }
  }
  return builtinExports.get(value);
}

function indexBuiltins(): Map<unknown, string> {
  const index = new Map<unknown, string>();
  // deprecated modules warn when loaded; internal ones (`_http_agent`) are never imported by users
  const skip = /^_|^(sys|punycode|constants|domain|test|test\/.*|sqlite|wasi|inspector\/promises)$/;
  for (const name of builtinModules) {
    if (skip.test(name)) continue;
    try {
      const exports = nodeRequire(`node:${name}`);
      if (!index.has(exports)) index.set(exports, `node:${name}`);
    } catch {
      // not loadable in this Node version or configuration
    }
  }
  return index;
}
