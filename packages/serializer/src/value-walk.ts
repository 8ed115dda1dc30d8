// [main] Walks every captured value before anything is sent: refuses what cannot travel (by path,
// with the fix), finds the functions and modules to send as references, and notes what structured
// clone would change (null prototypes, registered classes, RegExp lastIndex, Error details,
// Buffers), so that `v8.serialize` carries the rest natively and the receiver repairs the difference.

import { types } from 'node:util';
import { describe, ModuleRef } from './capture.js';
import { hasPrivateState, registeredClasses } from './classes.js';
import { builtinErrorClasses, CaptureError, ErrorCode } from './errors.js';
import { ARRAY_PROPS_LIMIT, define, Fix, isIndex, MAX_DEPTH, Place } from './value-format.js';
import {
  builtinSpecifierOf,
  globalObjectName,
  isImportMeta,
  reasons,
  refusalOf,
  refused,
} from './value-refusals.js';

type Env = Readonly<Record<string, unknown>>;

/** What the walk asks of the payload graph. */
export interface WalkHost {
  /** The payload reference of a function or module found at `path` (in environment `env`). */
  refOf(value: Function | ModuleRef, path: string, env: Env): unknown;
  /** The index in `classes` of a registered class with an instance at `path`. */
  classIndexOf(ctor: Function, path: string, env: Env): number;
}

const errorPrototypes = new Set<object>(
  [...Object.values(builtinErrorClasses), AggregateError].map((E) => E.prototype),
);
/** Names structured clone keeps for an Error (any other arrives as `Error`). */
const clonedErrorNames = new Set(Object.keys(builtinErrorClasses));
const atomPrototypes = new Set<object>([
  Date.prototype,
  Number.prototype,
  Boolean.prototype,
  BigInt.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
]);
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
/** ArrayBuffers from this size travel out of band, beside the serialized values. */
const LARGE_BUFFER = 64 * 1024;

/**
 * One walk per payload: every function's environment goes through the same walk, so one object
 * reached from two captured names, or from two functions, is one object in the worker.
 */
export class ValueWalk {
  /** Objects met, and whether their copy must differ (they hold a placeholder). */
  private readonly seen = new Map<object, boolean>();
  /** The objects being walked, outermost first: a cycle leads back to one of them. */
  private readonly active: object[] = [];
  /** Objects and functions met inside containers so far. */
  private children = 0;
  private readonly placeholders = new Map<unknown, object>();
  private readonly places: [object, number, unknown][] = [];
  private readonly fixes: [number, object, ...unknown[]][] = [];
  /** Registered classes with `allowProps`: the keys that travel, by instance. */
  private readonly allowed = new Map<object, readonly string[]>();
  /** The path being walked, for messages: built into a string only when one is needed. */
  private segments: Segment[] = [];
  private anyCopy = false;
  /** Large ArrayBuffers, in the order the serialized values name them. */
  private readonly buffers = new Set<ArrayBuffer>();
  /** SharedArrayBuffers, by the index their placeholders name. */
  private readonly shared: SharedArrayBuffer[] = [];
  /** Instances whose `args` are being walked: met again inside them, they are a cycle. */
  private readonly building = new Set<object>();
  /**
   * What each object's getters returned, by key: read once, here, and carried by the object's copy,
   * so that no getter runs twice (a getter can return something else each time it runs).
   */
  private readonly read = new Map<object, Map<string, unknown>>();

  constructor(private readonly host: WalkHost) {}

  /** Checks `value`, found at `path` in environment `env`. Throws CaptureError. */
  check(value: unknown, path: string, env: Env): void {
    // re-entered when a captured function's own environment is checked: keep the outer path
    const outer = this.segments;
    this.segments = [path];
    try {
      this.visit(value, env);
    } catch (error) {
      // the thread's own stack ran out first (a deep graph walked from deep in the caller's stack)
      if (error instanceof RangeError && /call stack/.test(error.message))
        throw refused(path, value, reasons.tooDeep(MAX_DEPTH));
      throw error;
    } finally {
      this.segments = outer;
    }
  }

  /** What the walk found: what `encodeValues` needs to serialize the environments. */
  result(): WalkResult {
    return {
      copied: this.anyCopy ? this.seen : undefined,
      placeholders: this.placeholders,
      places: this.places,
      fixes: this.fixes,
      allowed: this.allowed,
      read: this.read,
      buffers: [...this.buffers],
      shared: this.shared,
    };
  }

  private path(): string {
    let out = '';
    for (const s of this.segments)
      out += typeof s === 'number' ? `[${s}]` : typeof s === 'string' ? s : s();
    return out;
  }

  private fail(value: unknown, reason: string): never {
    throw refused(this.path(), value, reason);
  }

  private child(value: unknown, segment: Segment, env: Env): boolean {
    if (!isReference(value)) return false;
    this.children++;
    this.segments.push(segment);
    if (this.segments.length > MAX_DEPTH) this.fail(value, reasons.tooDeep(MAX_DEPTH));
    const replaced = this.visit(value, env);
    this.segments.pop();
    return replaced;
  }

  /** True when the value's place must hold something else in what is serialized. */
  private visit(value: unknown, env: Env): boolean {
    if (typeof value === 'symbol') this.fail(value, reasons.symbol(value));
    if (typeof value === 'function')
      return this.place(value, Place.REF, () => this.host.refOf(value, this.path(), env));
    if (value === null || typeof value !== 'object') return false;
    const copies = this.seen.get(value);
    if (copies !== undefined) return copies;
    // a cycle back to an object still being walked may need a copy: assume it does
    if (this.active.includes(value)) {
      if (this.building.has(value))
        this.fail(value, reasons.argsCycle(Object.getPrototypeOf(value).constructor.name));
      return true;
    }
    if (this.placeholders.has(value)) return this.place(value, Place.REF, () => undefined);
    if (value instanceof ModuleRef)
      return this.place(value, Place.REF, () => this.host.refOf(value, this.path(), env));
    // a proxy looks like what it wraps: caught before its prototype is asked for
    if (types.isProxy(value)) this.fail(value, refusalOf(value)!);
    // Remembering an object costs a map entry (V8 gives it an identity hash): most of the walk's
    // cost for many small objects. A leaf — no objects inside, no repair — is not remembered:
    // meeting it again costs what remembering it would have, and it can be in no cycle.
    const children = this.children;
    const fixes = this.fixes.length;
    this.active.push(value);
    const copied = this.visitObject(value, env);
    this.active.pop();
    if (copied || this.children !== children || this.fixes.length !== fixes)
      this.seen.set(value, copied);
    return copied;
  }

  private visitObject(value: object, env: Env): boolean {
    const proto = Object.getPrototypeOf(value);
    if (proto === Array.prototype) return this.visitArray(value as unknown[], env);
    if (proto === Object.prototype || proto === null) {
      if (proto === null && types.isModuleNamespaceObject(value))
        this.fail(value, refusalOf(value)!);
      if (proto === null) this.fixes.push([Fix.NULL_PROTO, value]);
      return this.visitProps(value, env);
    }
    if (proto === Map.prototype) {
      let copied = false;
      for (const [k, v] of value as Map<unknown, unknown>) {
        if (this.child(k, () => `.<key ${describe(k)}>`, env)) copied = true;
        if (this.child(v, () => `.get(${describe(k)})`, env)) copied = true;
      }
      return copied;
    }
    if (proto === Set.prototype) {
      let copied = false;
      for (const v of value as Set<unknown>)
        if (this.child(v, () => `.<member ${describe(v)}>`, env)) copied = true;
      return copied;
    }
    if (proto === ArrayBuffer.prototype) this.largeBuffer(value as ArrayBuffer);
    // shared memory is shared, not copied: it travels beside the frame, as itself
    if (types.isSharedArrayBuffer(value))
      return this.place(value, Place.SHARED, () => this.shareIndex(value as SharedArrayBuffer));
    if (ArrayBuffer.isView(value) && types.isSharedArrayBuffer(value.buffer)) {
      const view = value as ArrayBufferView & { length?: number };
      const type = Buffer.isBuffer(view) ? 'Buffer' : Object.getPrototypeOf(view).constructor.name;
      const length = view instanceof DataView ? view.byteLength : view.length;
      return this.place(value, Place.SHARED_VIEW, () => [
        this.shareIndex(view.buffer as SharedArrayBuffer),
        type,
        view.byteOffset,
        length,
      ]);
    }
    if (atomPrototypes.has(proto)) return this.noProps(value);
    // typed arrays and boxed strings: their own keys are their indices, too many to list
    if (proto === String.prototype) return false;
    if (ArrayBuffer.isView(value)) {
      if (value.buffer instanceof ArrayBuffer) this.largeBuffer(value.buffer);
      if (Buffer.isBuffer(value)) this.fixes.push([Fix.BUFFER, value]);
      else if (Object.getPrototypeOf(proto) !== typedArrayPrototype)
        this.fail(value, reasons.subclass(proto?.constructor?.name, 'typed array'));
      return false;
    }
    if (proto === RegExp.prototype) {
      const re = value as RegExp;
      if (re.lastIndex !== 0) this.fixes.push([Fix.REGEXP, re, re.lastIndex]);
      return this.noProps(value);
    }
    if (proto === URL.prototype) return this.place(value, Place.URL, () => (value as URL).href);
    const registered = registeredClasses.get(proto?.constructor);
    if (registered && Object.hasOwn(proto, 'constructor')) {
      if (registered.args) return this.construct(value, proto.constructor, registered.args, env);
      if (hasPrivateState(proto.constructor))
        this.fail(value, reasons.privateState(registered.identifier));
      const index = this.host.classIndexOf(proto.constructor, this.path(), env);
      this.fixes.push([Fix.CLASS, value, index]);
      if (value instanceof Error) return this.visitError(value, env, true);
      if (!registered.allowProps) return this.visitProps(value, env);
      this.allowed.set(value, registered.allowProps);
      this.visitProps(value, env, registered.allowProps);
      this.anyCopy = true;
      return true; // the copy keeps only the allowed properties
    }
    if (errorPrototypes.has(proto)) return this.visitError(value as Error, env, false);
    this.fail(value, refusalOf(value) ?? reasons.unregistered(proto?.constructor?.name));
  }

  private visitArray(array: unknown[], env: Env): boolean {
    let copied = false;
    const length = array.length;
    for (let i = 0; i < length; i++) {
      const item = array[i];
      if (isReference(item) && this.child(item, i, env)) copied = true;
    }
    if (length <= ARRAY_PROPS_LIMIT) {
      // indices come first among the keys: an extra property, if any, is last
      const keys = Object.keys(array);
      if (keys.length > 0 && !isIndex(keys[keys.length - 1]!)) {
        for (const key of keys) {
          if (isIndex(key)) continue;
          const own = ownProperty(array, key);
          const child = isData(own) ? own.value : this.readGetter(array, key);
          if (this.child(child, `.${key}`, env) || !isData(own)) copied = true;
        }
      }
    }
    this.noSymbols(array);
    return copied;
  }

  private visitProps(value: object, env: Env, only?: readonly string[]): boolean {
    let copied = false;
    let moduleChecked = false;
    const keys = only ?? Object.keys(value);
    // Math, JSON, Reflect: every property hidden from a copy, which would arrive as {}
    if (keys.length === 0 && !only && globalObjectName(value) !== undefined)
      this.fail(value, refusalOf(value)!);
    for (const key of keys) {
      const own = ownProperty(value, key);
      const child = isData(own) ? own.value : this.readGetter(value, key);
      if (!isData(own)) copied = true;
      // a module's exports, and import.meta, hold functions: only then is it worth asking
      // (building the index of Node's builtins costs ~25 ms, once)
      if (typeof child === 'function' && !moduleChecked) {
        moduleChecked = true;
        const specifier = builtinSpecifierOf(value);
        if (specifier) this.fail(value, reasons.builtinModule(specifier));
        if (Object.getPrototypeOf(value) === null && isImportMeta(value))
          this.fail(value, refusalOf(value)!);
      }
      if (this.child(child, `.${key}`, env)) copied = true;
    }
    if (!only) this.noSymbols(value);
    return copied;
  }

  /**
   * `value[key]` through its getter (an accessor, or an inherited key), read once: the object's
   * copy carries what it returned.
   */
  private readGetter(value: object, key: string): unknown {
    let got: unknown;
    try {
      got = (value as any)[key];
    } catch (error) {
      this.segments.push(`.${key}`);
      throw getterFailed(this.path(), error);
    }
    const values = this.read.get(value) ?? new Map<string, unknown>();
    this.read.set(value, values);
    values.set(key, got);
    this.anyCopy = true;
    return got;
  }

  /** Structured clone keeps an Error's class (if built in), message, stack and cause; the rest is an extra. */
  private visitError(error: Error, env: Env, registered: boolean): boolean {
    // structured clone converts both to strings itself, running user code (or recursing forever)
    if (typeof error.name !== 'string' || typeof error.message !== 'string')
      this.fail(error, reasons.errorFields);
    const extras: Record<string, unknown> = {};
    // structured clone picks the class by the name it reads, which an own `name` may change
    const builtIn = Object.getPrototypeOf(error)?.constructor?.name;
    const cloned = clonedErrorNames.has(error.name) ? error.name : 'Error';
    if (!registered && builtIn !== cloned && builtIn !== 'AggregateError') extras.proto = builtIn;
    // the copy reads its name from the class it ends up with: any other name travels as an extra
    if (!registered && error.name !== (extras.proto ?? cloned)) extras.name = error.name;
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(error))
      if (key !== 'cause') define(props, key, (error as any)[key]);
    if (Object.keys(props).length > 0) extras.props = props;
    if (error instanceof AggregateError) extras.errors = [...error.errors];
    if (extras.props !== undefined) this.child(extras.props, '', env);
    if (extras.errors !== undefined) this.child(extras.errors, '.errors', env);
    this.noSymbols(error);
    // an object cause travels among the extras, on a stand-in error without it (a copy): structured
    // clone cannot read back an error that is (or contains) its own cause
    const objectCause = 'cause' in error && isReference(error.cause);
    if (objectCause) {
      this.child(error.cause, '.cause', env);
      extras.cause = error.cause;
      this.anyCopy = true;
    }
    if (Object.keys(extras).length > 0) this.fixes.push([Fix.ERROR, error, extras]);
    return objectCause;
  }

  /** An instance the worker builds with `new Class(...args)`, from registerClass's `args`. */
  private construct(
    value: object,
    ctor: Function,
    args: (instance: any) => readonly unknown[],
    env: Env,
  ): true {
    const list = args(value);
    if (!Array.isArray(list))
      this.fail(value, reasons.argsNotArray((ctor as { name: string }).name));
    const index = this.host.classIndexOf(ctor, this.path(), env);
    this.building.add(value);
    list.forEach((arg, i) => {
      this.child(arg, () => `.<args[${i}]>`, env);
    });
    this.building.delete(value);
    return this.place(value, Place.CONSTRUCT, () => [index, [...list]]);
  }

  private shareIndex(buffer: SharedArrayBuffer): number {
    const index = this.shared.indexOf(buffer);
    return index >= 0 ? index : this.shared.push(buffer) - 1;
  }

  private largeBuffer(buffer: ArrayBuffer): void {
    if (buffer.byteLength >= LARGE_BUFFER) this.buffers.add(buffer);
  }

  private noProps(value: object): boolean {
    if (Object.keys(value).length > 0)
      this.fail(value, reasons.extraProps(Object.getPrototypeOf(value).constructor.name));
    return false;
  }

  private noSymbols(value: object): void {
    for (const symbol of Object.getOwnPropertySymbols(value)) {
      if (Object.prototype.propertyIsEnumerable.call(value, symbol))
        this.fail(value, reasons.symbolKeys);
    }
  }

  private place(value: unknown, kind: number, data: () => unknown): true {
    // held by a container of the user's (not by an environment record, which is ours)
    if (this.active.length > 0) this.anyCopy = true;
    if (!this.placeholders.has(value)) {
      const placeholder = {};
      this.placeholders.set(value, placeholder);
      this.places.push([placeholder, kind, data()]);
    }
    return true;
  }
}

type Segment = string | number | (() => string);

/** What a walk found, for `encodeValues`. */
export interface WalkResult {
  /** Whether each object's copy must differ; undefined when no copy is needed at all. */
  readonly copied: ReadonlyMap<object, boolean> | undefined;
  /** What stands for each function, module or URL in the serialized values. */
  readonly placeholders: ReadonlyMap<unknown, object>;
  readonly places: [object, number, unknown][];
  readonly fixes: readonly [number, object, ...unknown[]][];
  /** Registered classes with `allowProps`: the keys that travel, by instance. */
  readonly allowed: ReadonlyMap<object, readonly string[]>;
  /** What getters returned, by object and key: the copies carry these values. */
  readonly read: ReadonlyMap<object, ReadonlyMap<string, unknown>>;
  /** Large ArrayBuffers, in the order the serialized values name them. */
  readonly buffers: readonly ArrayBuffer[];
  /** SharedArrayBuffers captured, which travel beside the frame as themselves. */
  readonly shared: readonly SharedArrayBuffer[];
}

/** Objects, functions and symbols: what the walk must look at (primitives travel as they are). */
function isReference(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol')
  );
}

const ownProperty = Reflect.getOwnPropertyDescriptor;

/** An own data property (not an accessor, and not missing: an inherited key). */
function isData(descriptor: PropertyDescriptor | undefined): descriptor is PropertyDescriptor {
  return descriptor !== undefined && descriptor.get === undefined && descriptor.set === undefined;
}

/** A getter of a captured object threw when the walk read it. */
function getterFailed(path: string, error: unknown): CaptureError {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
    `${path} is a getter that threw when read (${message.slice(0, 200)}). A captured object's getters run once, at the call, and the values they return travel. Fix: make it return a value here, or capture the value instead of the object.`,
    { path, cause: error },
  );
}
