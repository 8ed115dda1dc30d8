// [both] How captured values travel: one `v8.serialize` of every function's environment at once
// (structured clone's rules: cycles, shared references, holes, -0, typed arrays over one buffer),
// plus what structured clone does not carry, as placeholders and repairs the receiver applies.

/** What a placeholder object in the values stands for. */
export const Place = {
  /** `header.refs[data]`: a function of the payload, a native, or a module. */
  REF: 0,
  /** `new URL(data)`. */
  URL: 1,
  /** `shared[data]`: a SharedArrayBuffer, the same memory on both sides (never copied). */
  SHARED: 2,
  /** `new View(shared[index], byteOffset, length)`: `data` = `[index, view type, byteOffset, length]`. */
  SHARED_VIEW: 3,
  /** `new (header.classes[classIndex])(...args)`: `data` = `[classIndex, args]` (registerClass's `args`). */
  CONSTRUCT: 4,
} as const;

/** Repairs applied in place to a deserialized object: `[kind, target, ...data]`. */
export const Fix = {
  /** `[NULL_PROTO, object]`: `Object.create(null)` arrives with Object.prototype; put null back. */
  NULL_PROTO: 0,
  /** `[CLASS, object, classIndex]`: an instance of `header.classes[classIndex]`. */
  CLASS: 1,
  /** `[REGEXP, regexp, lastIndex]`. */
  REGEXP: 2,
  /** `[ERROR, error, { name?, proto?, props?, cause?, errors? }]`: what structured clone drops from an Error. */
  ERROR: 3,
  /** `[BUFFER, uint8array]`: a Node Buffer arrives as a plain Uint8Array. */
  BUFFER: 4,
} as const;

/** A function's own properties (`fn.cache = …`) and, for pre-class code, what makes it a class. */
export interface Members {
  statics?: Record<string, unknown>;
  proto?: Record<string, unknown>;
  /** Non-enumerable own data properties of a pre-class function (babel's static methods). */
  hiddenStatics?: Record<string, unknown>;
  /** Non-enumerable data properties of its prototype (babel's and SWC's methods). */
  hiddenProto?: Record<string, unknown>;
  /** Accessors on its prototype. */
  accessors?: Record<string, { get?: unknown; set?: unknown }>;
  /** Its prototype's members keyed by a well-known symbol, by the symbol's name (`iterator`). */
  symbols?: Record<string, { value?: unknown; get?: unknown; set?: unknown }>;
  /** The class it extends (`_inherits`, `__extends`): its [[Prototype]], and its prototype's if `protoToo`. */
  parent?: { fn: unknown; protoToo: boolean };
}

/** What `v8.serialize` is given: one graph, so identity holds across functions and names. */
export interface ValuesRoot {
  /** Per function node, its captured values by name. */
  readonly envs: Record<string, unknown>[];
  readonly members: Members[];
  /** `[placeholder, Place kind, data]`. */
  readonly places: [object, number, unknown][];
  /** Objects that directly hold a placeholder (as a value, Map key or Set member). */
  readonly patch: object[];
  readonly fixes: unknown[][];
}

/** Deeper nesting is refused at the call site: structured clone itself overflows between 1,000 and 5,000 levels. */
export const MAX_DEPTH = 1_000;

/** Arrays longer than this are not searched for extra (non-index) properties: listing keys costs O(n). */
export const ARRAY_PROPS_LIMIT = 10_000;

/** Sets an own data property, even one named `__proto__`. */
export function define(target: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}

/** Whether a property key is an array index. */
export function isIndex(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && String(n) === key && n < 2 ** 32 - 1;
}
