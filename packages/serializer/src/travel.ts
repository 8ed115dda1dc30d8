import { types } from 'node:util';
import { describe, ModuleRef } from './capture.js';
import { registeredClasses } from './codec.js';
import { CaptureError, ErrorCode } from './errors.js';

/** What the walk calls back for the values that are not plain data. */
export interface TravelVisitor {
  /** A function found at `path`, in the environment `env` it was captured from. */
  onFunction(fn: Function, path: string, env: Readonly<Record<string, unknown>>): void;
  onModule(ref: ModuleRef): void;
  /** An instance of a class registered with `registerClass`. */
  onClassInstance(ctor: Function, path: string, env: Readonly<Record<string, unknown>>): void;
}

const plainPrototypes = new Set<unknown>([Object.prototype, null]);
const atomicClasses = [Date, RegExp, URL];
const refusals: [test: (v: object) => boolean, reason: string][] = [
  [
    (v) => types.isProxy(v),
    'a Proxy: its handler cannot be seen or copied. Capture the object it wraps',
  ],
  [(v) => types.isPromise(v), 'a Promise: await it first and capture its value'],
  [
    (v) => v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef,
    'held weakly, so its contents cannot be read or copied. Capture a Map or Set instead',
  ],
  [
    (v) => types.isSharedArrayBuffer(v),
    'shared memory, which a copy would no longer share. Pass it as an item instead',
  ],
];

/**
 * Walks a captured value before anything is sent and refuses, by path, what cannot travel:
 * symbols, proxies, promises, weak collections, and instances of classes not registered.
 */
export function checkValue(
  value: unknown,
  path: string,
  env: Readonly<Record<string, unknown>>,
  visitor: TravelVisitor,
  seen: Set<object>,
): void {
  if (typeof value === 'symbol')
    throw refused(
      path,
      value,
      'a Symbol, which is unique to the thread that made it. Capture its description string instead',
    );
  if (typeof value === 'function') {
    visitor.onFunction(value, path, env);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof ModuleRef) {
    visitor.onModule(value);
    return;
  }
  for (const [test, reason] of refusals) if (test(value)) throw refused(path, value, reason);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return;
  if (atomicClasses.some((C) => value instanceof C)) return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkValue(item, `${path}[${i}]`, env, visitor, seen);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      checkValue(k, `${path}.<key ${describe(k)}>`, env, visitor, seen);
      checkValue(v, `${path}.get(${describe(k)})`, env, visitor, seen);
    }
    return;
  }
  if (value instanceof Set) {
    for (const v of value) checkValue(v, `${path}.<member ${describe(v)}>`, env, visitor, seen);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (!(value instanceof Error) && !plainPrototypes.has(proto)) {
    const ctor = proto?.constructor;
    if (!registeredClasses.has(ctor)) {
      throw refused(
        path,
        value,
        `an instance of ${ctor?.name ?? 'an unknown class'}, whose class is not registered. ` +
          `Register it with registerClass(${ctor?.name ?? 'TheClass'}), create it inside the function, or import it with moduleRef()`,
      );
    }
    visitor.onClassInstance(ctor, path, env);
  }
  for (const key of Object.keys(value))
    checkValue((value as any)[key], `${path}.${key}`, env, visitor, seen);
}

function refused(path: string, value: unknown, reason: string): CaptureError {
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
    `${path} cannot travel to a worker: it is ${reason}. (got ${typeof value === 'symbol' ? String(value) : describe(value)})`,
    { path },
  );
}
