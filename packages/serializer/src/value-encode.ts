// [main] Serializes the environments a walk has checked: one `v8` serialization of them all, in
// which placeholders stand for functions, modules and URLs (inside copies of the containers that
// hold them), with the repairs the receiver applies, and the large buffers beside it.
import { Serializer, serialize } from 'node:v8';
import { CaptureError, ErrorCode } from './errors.js';
import {
  ARRAY_PROPS_LIMIT,
  define,
  Fix,
  isIndex,
  type Members,
  Place,
  type ValuesRoot,
} from './value-format.js';
import { reasons } from './value-refusals.js';
import type { WalkResult } from './value-walk.js';

/** The serialized values, and the large buffers beside them. */
export interface EncodedValues {
  readonly values: Uint8Array;
  readonly buffers: Uint8Array[];
}

/**
 * `v8` serialization of the environments and members, with placeholders and repairs; and the
 * large ArrayBuffers it names, whose bytes go beside it.
 */
export function encodeValues(
  walk: WalkResult,
  envs: Record<string, unknown>[],
  members: Members[],
): EncodedValues {
  const copies = new Map<object, object>();
  const patch = new Set<object>();
  const copyOf = (value: unknown, holder: object): unknown => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
    const placeholder = walk.placeholders.get(value);
    if (placeholder) {
      patch.add(holder);
      return placeholder;
    }
    if (walk.copied?.get(value) !== true) return value;
    let copy = copies.get(value);
    if (!copy) copy = copyObject(value as object, walk, copies, copyOf);
    return copy;
  };
  const record = (values: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(values)) define(out, key, copyOf(values[key], out));
    return out;
  };
  const envRecords = envs.map(record);
  // registerClass's args: the values a constructor is called with, copied like any others
  const places = walk.places.map(([placeholder, kind, data]): [object, number, unknown] => {
    if (kind !== Place.CONSTRUCT) return [placeholder, kind, data];
    const [index, args] = data as [number, unknown[]];
    const copy: unknown[] = [];
    args.forEach((arg, i) => {
      copy[i] = copyOf(arg, copy);
    });
    return [placeholder, kind, [index, copy]];
  });
  const memberRecords = members.map((m) => {
    const out: Record<string, unknown> = {};
    for (const [part, values] of Object.entries(m)) out[part] = record(values);
    return out as Members;
  });
  // every copy is made before the repairs name their targets: an error's extras make copies too
  const fixData = walk.fixes.map(([kind, , ...data]) =>
    kind === Fix.ERROR ? [record(data[0] as Record<string, unknown>)] : data,
  );
  const root: ValuesRoot = {
    places,
    patch: [...patch],
    fixes: walk.fixes.map(([kind, target], i) => [
      kind,
      copies.get(target) ?? target,
      ...fixData[i]!,
    ]),
    members: memberRecords,
    envs: envRecords,
  };
  try {
    // the plain serializer, not v8.serialize's: it writes typed arrays natively, so views over
    // one ArrayBuffer still share it on the other side
    // Bun has no Serializer class: its v8.serialize, which keeps views and their buffers shared
    // too, writes everything in line
    if (!hasSerializerClass) return { values: serialize(root), buffers: [] };
    const serializer = new Serializer();
    serializer.writeHeader();
    for (const [id, buffer] of walk.buffers.entries()) serializer.transferArrayBuffer(id, buffer);
    serializer.writeValue(root);
    const buffers = walk.buffers.map((buffer) => new Uint8Array(buffer));
    return { values: serializer.releaseBuffer(), buffers };
  } catch (error) {
    throw new CaptureError(
      ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
      `A captured value cannot travel to a worker: it is ${reasons.notCloneable((error as Error).message)}.`,
      { path: 'capture', cause: error },
    );
  }
}

const hasSerializerClass = (() => {
  try {
    new Serializer();
    return true;
  } catch {
    return false;
  }
})();

/** A copy of `value` for serialization, in which placeholders stand for what cannot be cloned. */
function copyObject(
  value: object,
  walk: WalkResult,
  copies: Map<object, object>,
  copyOf: (value: unknown, holder: object) => unknown,
): object {
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    copies.set(value, out);
    for (let i = 0; i < value.length; i++) if (i in value) out[i] = copyOf(value[i], out);
    if (value.length <= ARRAY_PROPS_LIMIT)
      for (const key of Object.keys(value))
        if (!isIndex(key)) define(out, key, copyOf(propertyOf(walk, value, key), out));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    copies.set(value, out);
    for (const [k, v] of value) out.set(copyOf(k, out), copyOf(v, out));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    copies.set(value, out);
    for (const v of value) out.add(copyOf(v, out));
    return out;
  }
  if (value instanceof Error) {
    // an error with an object cause: a stand-in without the cause, which the extras carry
    const out = new Error(value.message);
    Object.setPrototypeOf(out, Object.getPrototypeOf(value)); // structured clone reads the name through it
    Object.defineProperty(out, 'stack', {
      value: value.stack,
      writable: true,
      configurable: true,
    });
    copies.set(value, out);
    return out;
  }
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const key of walk.allowed.get(value) ?? Object.keys(value))
    define(out, key, copyOf(propertyOf(walk, value, key), out));
  return out;
}

/** `value[key]` as the walk read it: what its getter returned then, never a second run of it. */
function propertyOf(walk: WalkResult, value: object, key: string): unknown {
  const read = walk.read.get(value);
  return read?.has(key) ? read.get(key) : (value as any)[key];
}
