// [worker] Rebuilds captured values: `v8.deserialize`, then placeholders replaced by what they stand
// for and the repairs applied. The bytes may come from anywhere: every part is checked first.
import { Deserializer, deserialize } from 'node:v8';
import { builtinErrorClasses, PayloadError } from './errors.js';
import { define, Fix, type Members, Place } from './value-format.js';

export interface DecodedValues {
  readonly envs: Record<string, unknown>[];
  readonly members: Members[];
  /** A value as it will be once `finish` runs: a placeholder left for later is resolved now. */
  resolve(value: unknown): unknown;
  /** Puts in what was left for later (see `LATER`), then applies the repairs; whether anything was left. */
  finish(): boolean;
}

/**
 * What `ref` returns for what cannot exist yet (a class whose definition reads its captures):
 * its placeholder stays until `resolve` or `finish` asks `ref` again. Instances built by
 * registerClass's `args` wait the same way, for their arguments and class to exist.
 */
export const LATER: unique symbol = Symbol('later');

export interface DecodeHooks {
  /** What `header.refs[index]` is in this thread, or LATER. */
  ref(index: number): unknown;
  /** The class `header.classes[index]` names. */
  classAt(index: number): Function | undefined;
  /** `new (classAt(index))(...args)`, for registerClass's `args`. */
  construct(index: number, args: unknown[]): unknown;
  /** The SharedArrayBuffer posted beside the frame at `index`. */
  sharedAt(index: number): SharedArrayBuffer | undefined;
}

/** The views a shared-memory placeholder may name, made over the shared memory itself. */
type ViewOf = (buffer: SharedArrayBuffer, offset: number, length: number) => unknown;
const typed =
  (View: new (b: SharedArrayBuffer, o: number, l: number) => unknown): ViewOf =>
  (b, o, l) =>
    new View(b, o, l);
const viewTypes: Record<string, ViewOf> = {
  Int8Array: typed(Int8Array),
  Uint8Array: typed(Uint8Array),
  Uint8ClampedArray: typed(Uint8ClampedArray),
  Int16Array: typed(Int16Array),
  Uint16Array: typed(Uint16Array),
  Int32Array: typed(Int32Array),
  Uint32Array: typed(Uint32Array),
  Float32Array: typed(Float32Array),
  Float64Array: typed(Float64Array),
  BigInt64Array: typed(BigInt64Array),
  BigUint64Array: typed(BigUint64Array),
  DataView: typed(DataView),
  Buffer: (b, o, l) => Buffer.from(b, o, l),
};

const hasDeserializerClass = (() => {
  try {
    new Deserializer(new Uint8Array(0));
    return true;
  } catch (error) {
    return (error as { code?: string }).code !== 'ERR_NOT_IMPLEMENTED';
  }
})();

function readWithDeserializer(bytes: Uint8Array, buffers: readonly Uint8Array[]): unknown {
  const deserializer = new Deserializer(bytes);
  deserializer.readHeader();
  // each large buffer copied out of the frame: the values get their own, not shared memory
  // (a copy made by the Uint8Array constructor: a Buffer's slice() would share the memory)
  for (const [id, bytes] of buffers.entries())
    deserializer.transferArrayBuffer(id, new Uint8Array(bytes).buffer);
  return deserializer.readValue();
}

export function decodeValues(
  bytes: Uint8Array,
  buffers: readonly Uint8Array[],
  hooks: DecodeHooks,
): DecodedValues {
  let root: any;
  try {
    // Bun: no Deserializer class, and nothing was written out of line (see value-encode)
    if (!hasDeserializerClass && buffers.length === 0) root = deserialize(bytes);
    else root = readWithDeserializer(bytes, buffers);
  } catch (error) {
    throw invalid(`cannot be read: ${(error as Error).message}`, error);
  }
  if (!isRecord(root) || !Array.isArray(root.envs) || !Array.isArray(root.members))
    throw invalid('is not a values record');
  const { envs, members, places, patch, fixes } = root;
  if (!Array.isArray(places) || !Array.isArray(patch) || !Array.isArray(fixes))
    throw invalid('has no places, patch or fixes list');

  const real = new Map<unknown, unknown>();
  /** What is made once every placeholder is swapped: deferred classes, constructed instances. */
  const later = new Map<unknown, () => unknown>();
  const making = new Set<unknown>();
  const resolve = (value: unknown): unknown => {
    const make = later.get(value);
    if (make === undefined) return real.has(value) ? real.get(value) : value;
    if (making.has(value)) throw invalid('has a constructed instance that needs itself');
    making.add(value);
    real.set(value, make());
    later.delete(value);
    return real.get(value);
  };
  for (const entry of places) {
    if (!Array.isArray(entry) || !isRecord(entry[0])) throw invalid('has a malformed placeholder');
    const [placeholder, kind, data] = entry;
    if (kind === Place.REF && Number.isInteger(data)) {
      const value = hooks.ref(data);
      if (value === LATER) later.set(placeholder, () => hooks.ref(data));
      else real.set(placeholder, value);
    } else if (
      kind === Place.CONSTRUCT &&
      Array.isArray(data) &&
      Number.isInteger(data[0]) &&
      Array.isArray(data[1])
    ) {
      const [index, args] = data as [number, unknown[]];
      later.set(placeholder, () => hooks.construct(index, args.map(resolve)));
    } else if (kind === Place.URL && typeof data === 'string' && URL.canParse(data))
      real.set(placeholder, new URL(data));
    else if (kind === Place.SHARED && Number.isInteger(data))
      real.set(placeholder, sharedAt(hooks, data as number));
    else if (kind === Place.SHARED_VIEW && Array.isArray(data) && data.length === 4) {
      const [index, type, offset, length] = data as [number, string, number, number];
      const view = Object.hasOwn(viewTypes, type) ? viewTypes[type] : undefined;
      if (!view) throw invalid(`names an unknown view type ${String(type)}`);
      try {
        real.set(placeholder, view(sharedAt(hooks, index), offset, length));
      } catch (error) {
        throw invalid(`has a view outside its shared memory: ${(error as Error).message}`, error);
      }
    } else throw invalid(`has a placeholder of unknown kind ${String(kind)}`);
  }
  const swap = (value: unknown) => (real.has(value) ? real.get(value) : value);
  for (const holder of patch) replacePlaceholders(holder, swap);
  const deferred = later.size > 0;
  return {
    envs,
    members,
    resolve,
    finish() {
      for (const placeholder of [...later.keys()]) resolve(placeholder);
      if (deferred) for (const holder of patch) replacePlaceholders(holder, swap);
      for (const fix of fixes) applyFix(fix, hooks);
      return deferred;
    },
  };
}

function sharedAt(hooks: DecodeHooks, index: number): SharedArrayBuffer {
  const buffer = Number.isInteger(index) ? hooks.sharedAt(index) : undefined;
  if (!buffer) throw invalid(`names shared memory ${String(index)}, which did not come with it`);
  return buffer;
}

function replacePlaceholders(holder: unknown, swap: (value: unknown) => unknown): void {
  if (holder instanceof Map) {
    const entries = [...holder];
    holder.clear();
    for (const [k, v] of entries) holder.set(swap(k), swap(v));
  } else if (holder instanceof Set) {
    const members = [...holder];
    holder.clear();
    for (const v of members) holder.add(swap(v));
  } else if (holder !== null && typeof holder === 'object') {
    for (const key of Object.keys(holder)) {
      const value = (holder as Record<string, unknown>)[key];
      const swapped = swap(value);
      if (swapped !== value) define(holder, key, swapped);
    }
  } else {
    throw invalid('patches something that is not an object');
  }
}

function applyFix(fix: unknown, hooks: DecodeHooks): void {
  if (!Array.isArray(fix)) throw invalid('has a malformed repair');
  const [kind, target, data] = fix;
  if (kind === Fix.NULL_PROTO && isRecord(target)) {
    Object.setPrototypeOf(target, null);
  } else if (kind === Fix.CLASS && isRecord(target) && Number.isInteger(data)) {
    const ctor = hooks.classAt(data);
    const proto = ctor?.prototype;
    if (proto === null || typeof proto !== 'object')
      throw invalid(`names class ${data}, which has no prototype`);
    Object.setPrototypeOf(target, proto);
  } else if (
    kind === Fix.REGEXP &&
    target instanceof RegExp &&
    Number.isInteger(data) &&
    data >= 0
  ) {
    target.lastIndex = data;
  } else if (kind === Fix.ERROR && target instanceof Error && isRecord(data)) {
    repairError(target, data);
  } else if (kind === Fix.BUFFER && target instanceof Uint8Array) {
    Object.setPrototypeOf(target, Buffer.prototype);
  } else {
    throw invalid(`has a repair of unknown kind ${String(kind)}`);
  }
}

function repairError(error: Error, extras: Record<string, unknown>): void {
  const own = (key: string, value: unknown, enumerable: boolean) =>
    Object.defineProperty(error, key, { value, writable: true, enumerable, configurable: true });
  if (typeof extras.proto === 'string' && Object.hasOwn(builtinErrorClasses, extras.proto))
    Object.setPrototypeOf(error, builtinErrorClasses[extras.proto]!.prototype);
  if (typeof extras.name === 'string') own('name', extras.name, false);
  if (Array.isArray(extras.errors)) {
    if (Object.getPrototypeOf(error) === Error.prototype)
      Object.setPrototypeOf(error, AggregateError.prototype);
    own('errors', extras.errors, false);
  }
  if ('cause' in extras) own('cause', extras.cause, false);
  if (isRecord(extras.props))
    for (const key of Object.keys(extras.props)) own(key, extras.props[key], true);
}

function isRecord(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(what: string, cause?: unknown): PayloadError {
  return new PayloadError(`Invalid closure payload: values ${what}. Nothing from it was run.`, {
    field: 'values',
    cause,
  });
}
