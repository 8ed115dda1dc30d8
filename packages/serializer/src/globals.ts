import { createContext, runInContext } from 'node:vm';

/**
 * Node's own globals that every worker thread has, beside the ECMAScript built-ins (those of Node
 * 20, 22 and 24; `globals.test.ts` compares them with a fresh worker thread's).
 */
const nodeGlobals = [
  'AbortController',
  'AbortSignal',
  'atob',
  'Blob',
  'BroadcastChannel',
  'btoa',
  'Buffer',
  'ByteLengthQueuingStrategy',
  'clearImmediate',
  'clearInterval',
  'clearTimeout',
  'CloseEvent',
  'CompressionStream',
  'console',
  'CountQueuingStrategy',
  'crypto',
  'Crypto',
  'CryptoKey',
  'CustomEvent',
  'DecompressionStream',
  'DOMException',
  'Event',
  'EventTarget',
  'fetch',
  'File',
  'FormData',
  'global',
  'Headers',
  'MessageChannel',
  'MessageEvent',
  'MessagePort',
  'navigator',
  'Navigator',
  'performance',
  'Performance',
  'PerformanceEntry',
  'PerformanceMark',
  'PerformanceMeasure',
  'PerformanceObserver',
  'PerformanceObserverEntryList',
  'PerformanceResourceTiming',
  'process',
  'queueMicrotask',
  'ReadableByteStreamController',
  'ReadableStream',
  'ReadableStreamBYOBReader',
  'ReadableStreamBYOBRequest',
  'ReadableStreamDefaultController',
  'ReadableStreamDefaultReader',
  'Request',
  'Response',
  'setImmediate',
  'setInterval',
  'setTimeout',
  'structuredClone',
  'SubtleCrypto',
  'TextDecoder',
  'TextDecoderStream',
  'TextEncoder',
  'TextEncoderStream',
  'TransformStream',
  'TransformStreamDefaultController',
  'URL',
  'URLPattern',
  'URLSearchParams',
  'WebAssembly',
  'WebSocket',
  'WritableStream',
  'WritableStreamDefaultController',
  'WritableStreamDefaultWriter',
];

/**
 * The names a function may use without capturing them: what a fresh worker thread's global scope
 * has. Globals the calling thread added itself are not in it, since the worker does not have them.
 */
export function workerGlobals(): ReadonlySet<string> {
  globals ??= new Set([
    ...(runInContext('Object.getOwnPropertyNames(globalThis)', createContext()) as string[]),
    ...nodeGlobals.filter((name) => name in globalThis),
  ]);
  return globals;
}
let globals: Set<string> | undefined;

let nativeIndex: Map<Function, string> | undefined;

/**
 * The global path of a native function (`Math.sqrt`, `JSON.stringify`,
 * `Array.prototype.join`), if a worker can find it.
 */
export function nativePath(fn: Function): string | undefined {
  nativeIndex ??= indexNatives();
  return nativeIndex.get(fn);
}

/** Looks a global path up in this thread: `Math.sqrt` → the function. */
export function lookupGlobalPath(path: string): unknown {
  let value: any = globalThis;
  for (const key of path.split('.')) {
    if (value === null || value === undefined || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function indexNatives(): Map<Function, string> {
  const index = new Map<Function, string>();
  const add = (fn: unknown, path: string) => {
    if (typeof fn === 'function' && !index.has(fn)) index.set(fn, path);
  };
  for (const name of workerGlobals()) {
    const value = readGlobal(name);
    add(value, name);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) continue;
    for (const key of Object.getOwnPropertyNames(value)) {
      if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
      add(readSafely(value, key), `${name}.${key}`);
    }
    // methods taken off a prototype: `const join = Array.prototype.join`
    const proto = typeof value === 'function' ? readSafely(value, 'prototype') : undefined;
    if (proto === null || typeof proto !== 'object') continue;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === 'caller' || key === 'arguments') continue;
      add(readSafely(proto, key), `${name}.prototype.${key}`);
    }
  }
  return index;
}

/** A global by name: several of Node's (`Buffer`, `process`, `fetch`) are getters, which are read. */
function readGlobal(name: string): unknown {
  try {
    return (globalThis as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/** A data property's value: a getter is not run (a prototype's getter would throw, or do anything). */
function readSafely(target: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  return descriptor && 'value' in descriptor ? descriptor.value : undefined;
}

/** eval and Function compile code from strings: never a payload's to name, by whatever path. */
export function compilesCode(fn: unknown): boolean {
  // biome-ignore lint/security/noGlobalEval: compared, to be refused; never called
  return fn === globalThis.eval || fn === Function;
}
