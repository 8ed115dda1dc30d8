import { SuperJSON } from 'superjson';
import { buildError } from './errors.js';
import { ModuleRef } from './module-ref.js';
import type { Ref } from './payload.js';

type Bytes = ArrayBuffer | ArrayBufferView;
const byteTypes: Record<string, (b: Buffer) => Bytes> = {
  ArrayBuffer: (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
  Buffer: (b) => b,
  DataView: (b) => new DataView(byteTypes.ArrayBuffer!(b) as ArrayBuffer),
};
for (const T of [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]) {
  byteTypes[T.name] = (b) => new T(byteTypes.ArrayBuffer!(b) as ArrayBuffer);
}

/** Classes registered with `registerClass`: their instances travel with their prototype. */
export const registeredClasses = new Map<Function, { identifier: string; allowProps?: string[] }>();

/**
 * Makes a class's instances travel: the worker rebuilds them with the class, which travels too
 * (with its environment, like any captured function).
 */
export function registerClass(
  ctor: Function,
  options?: { identifier?: string; allowProps?: string[] },
): void {
  registeredClasses.set(ctor, {
    identifier: options?.identifier ?? ctor.name,
    ...options,
  });
}

/** How function references and module references travel inside superjson values. */
export interface RefHooks {
  toRef(value: Function | ModuleRef): Ref;
  fromRef(ref: Ref): unknown;
}

/**
 * A superjson instance for one payload: superjson carries the values, and three custom rules carry
 * what it does not: functions and modules (as references into the payload) and bytes (as base64,
 * far faster than superjson's number-per-element typed arrays).
 */
export function createCodec(
  hooks: RefHooks,
  classes: Iterable<[Function, { identifier: string; allowProps?: string[] }]>,
): SuperJSON {
  const codec = new SuperJSON();
  codec.registerCustom<Function | ModuleRef, Ref>(
    {
      isApplicable: (v): v is Function | ModuleRef =>
        typeof v === 'function' || v instanceof ModuleRef,
      serialize: (v) => hooks.toRef(v),
      deserialize: (ref) => hooks.fromRef(ref) as Function,
    },
    'closure-pool:ref',
  );
  codec.registerCustom<Bytes, { type: string; base64: string }>(
    {
      isApplicable: (v): v is Bytes => v instanceof ArrayBuffer || ArrayBuffer.isView(v),
      serialize: (v) => ({
        type: Buffer.isBuffer(v) ? 'Buffer' : v.constructor.name,
        base64: (v instanceof ArrayBuffer
          ? Buffer.from(v)
          : Buffer.from(v.buffer, v.byteOffset, v.byteLength)
        ).toString('base64'),
      }),
      deserialize: ({ type, base64 }) => {
        const make = byteTypes[type];
        if (!make) throw new TypeError(`unknown byte container type '${type}'`);
        return make(Buffer.from(base64, 'base64'));
      },
    },
    'closure-pool:bytes',
  );
  codec.registerCustom<Error, any>(
    {
      isApplicable: (v): v is Error => v instanceof Error,
      serialize: (error) => ({
        name: error.name,
        message: error.message,
        stack: error.stack,
        ...('cause' in error ? { cause: error.cause } : {}),
        ...(error instanceof AggregateError ? { errors: error.errors } : {}),
        props: Object.fromEntries(Object.entries(error)),
      }),
      deserialize: (parts) => buildError(parts),
    },
    'closure-pool:error',
  );
  for (const [ctor, options] of classes) codec.registerClass(ctor as any, options);
  return codec;
}
