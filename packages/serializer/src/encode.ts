import { type Analysis, analyzeFunction } from './analyze.js';
import { BoundedCache, DEFAULT_CACHE_BYTES } from './bounded-cache.js';
import { attachedCapture, Capture, type ModuleRef } from './capture.js';
import { registeredClasses } from './classes.js';
import { CaptureError, ErrorCode } from './errors.js';
import { compilesCode, nativePath, workerGlobals } from './globals.js';
import { toolchainHelpers } from './helpers.js';
import {
  type FunctionNode,
  frameToPayload,
  PAYLOAD_VERSION,
  type Payload,
  type PayloadBody,
  type Ref,
  toFrame,
} from './payload.js';
import { encodeValues } from './value-encode.js';
import type { Members } from './value-format.js';
import { ValueWalk } from './value-walk.js';

type Env = Readonly<Record<string, unknown>>;
const noEnv: Env = Object.freeze({});

/**
 * Turns `fn` and the environment it needs into a JSON-safe payload. The environment is `capture`
 * (if given) over the one `closure()` attached to `fn`. Every free variable is checked here, at
 * the call site: what is missing, or cannot travel, is a CaptureError before anything is sent.
 */
export function serializeClosure(
  fn: Function,
  capture?: Capture | Record<string, unknown>,
): Payload {
  const encoded = encodeClosure(fn, capture);
  if (encoded.shared)
    throw new CaptureError(
      ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
      'capture holds shared memory (a SharedArrayBuffer, or a view on one), which can be shared with threads of this process but cannot travel in a payload to another process. Capture a copy (new Uint8Array(shared)) instead.',
      { path: 'capture' },
    );
  return frameToPayload(encoded.frame);
}

/** A payload as a sender hands it on: an id unique to its content in this process, and its frame. */
export interface EncodedClosure {
  /** The same for every encoding of equal content while the frame is cached; never reused for other content. */
  readonly id: string;
  /** The binary frame (in shared memory); `hashFrame(frame)` is its sha256 when one is needed. */
  readonly frame: Uint8Array;
  /** SharedArrayBuffers the capture holds, posted beside the frame: the receiver shares them. */
  readonly shared?: readonly SharedArrayBuffer[];
}

/** Recently encoded payloads: equal captures share one frame. */
export class PayloadCache {
  /** By body and size of values: a few frames each (two captures of one size, used in turn). */
  private readonly frames: BoundedCache<string, Candidate[]>;

  /**
   * Payloads whose captured values are all primitives, by what determines them: such a call skips
   * serializing (which costs ~7 µs however small the values) and comparing.
   */
  readonly byPrimitives = new BoundedCache<string, EncodedClosure>(256);

  /** @param maxBytes most bytes of frames kept (and at most 1,000 bodies) */
  constructor(maxBytes: number) {
    this.frames = new BoundedCache(1000, maxBytes);
  }

  /** Bytes of frames held. */
  get bytes(): number {
    return this.frames.bytes;
  }

  /**
   * The frame for this body and data (large buffers, then values): a cached one if its bytes are
   * equal, else a new one.
   */
  frameFor(bodyJson: string, data: readonly Uint8Array[]): EncodedClosure {
    // candidates by body and size; equal data is then found by comparing bytes, which costs less
    // than hashing them (a memcmp: ~0.5 ms for 10 MB) and far less than copying them again
    const size = data.reduce((n, part) => n + part.byteLength, 0);
    const key = `${size}\0${bodyJson}`;
    const candidates = this.frames.get(key) ?? [];
    const known = candidates.find((c) => sameData(c, data));
    if (known) return known.encoded;
    const frame = toFrame(bodyJson, data);
    const encoded = { id: `${process.pid}:${++frameCount}`, frame };
    const kept = [{ encoded, dataAt: frame.byteLength - size }, ...candidates].slice(0, 4);
    this.frames.set(key, kept, kept.length * frame.byteLength);
    return encoded;
  }
}

interface Candidate {
  readonly encoded: EncodedClosure;
  /** Where the data starts in the frame. */
  readonly dataAt: number;
}

function sameData({ encoded, dataAt }: Candidate, data: readonly Uint8Array[]): boolean {
  let at = dataAt;
  for (const part of data) {
    const cached = encoded.frame.subarray(at, at + part.byteLength);
    if (Buffer.compare(cached, part) !== 0) return false;
    at += part.byteLength;
  }
  return true;
}
let frameCount = 0;

/** A payload cache holding at most `maxBytes` of frames. */
export function createPayloadCache(maxBytes: number): PayloadCache {
  return new PayloadCache(maxBytes);
}

/** The cache `serializeClosure` and `encodeClosure` use when given none. */
const sharedCache = createPayloadCache(DEFAULT_CACHE_BYTES);

/**
 * `serializeClosure` as a binary frame, for a sender that posts it to threads. A capture equal to
 * one encoded recently (same bytes, same functions) gets the same frame back from `cache`.
 */
export function encodeClosure(
  fn: Function,
  capture?: Capture | Record<string, unknown>,
  options: { cache?: PayloadCache } = {},
): EncodedClosure {
  if (typeof fn !== 'function') {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `Expected a function to run in the worker, got ${fn === null ? 'null' : typeof fn}.`,
      { path: 'fn' },
    );
  }
  const explicit =
    capture === undefined ? undefined : capture instanceof Capture ? capture : new Capture(capture);
  const graph = new Graph();
  const rootEnv = explicit ? { ...attachedCapture(fn)?.env, ...explicit.env } : undefined;
  const root = graph.refOf(fn, 'fn', rootEnv ?? noEnv, rootEnv);
  graph.throwIfMissing();
  const cache = options.cache ?? sharedCache;
  const key = primitivesKey(graph, root);
  const known = key === undefined ? undefined : cache.byPrimitives.get(key);
  if (known) return known;
  const walked = graph.walk.result();
  const { values, buffers } = encodeValues(walked, graph.envs, graph.members);
  const body: PayloadBody = {
    format: 'closure-pool',
    version: PAYLOAD_VERSION,
    root,
    functions: graph.nodes,
    modules: graph.modules.map((m) =>
      m.exportName === undefined ? { url: m.url } : { url: m.url, exportName: m.exportName },
    ),
    classes: graph.classes,
    refs: graph.refs,
    buffers: buffers.map((b) => b.byteLength),
  };
  if (walked.shared.length > 0) {
    // equal bytes may stand for other memory: never cached, an id of its own
    const frame = toFrame(JSON.stringify(body), [...buffers, values]);
    return { id: `${process.pid}:${++frameCount}`, frame, shared: walked.shared };
  }
  const encoded = cache.frameFor(JSON.stringify(body), [...buffers, values]);
  if (key !== undefined) cache.byPrimitives.set(key, encoded);
  return encoded;
}

/**
 * What determines a payload whose captured values are all primitives: its functions and those
 * values, each with its type (`-0` apart from `0`); undefined when anything else is captured.
 */
function primitivesKey(graph: Graph, root: Ref): string | undefined {
  if (graph.modules.length > 0 || graph.classes.length > 0 || graph.refs.length > 0)
    return undefined;
  const parts: string[] = [];
  for (let i = 0; i < graph.envs.length; i++) {
    if (graph.members[i]!.statics || graph.members[i]!.proto) return undefined;
    const env = graph.envs[i]!;
    for (const name in env) {
      const value = env[name];
      if (value !== null && (typeof value === 'object' || typeof value === 'function'))
        return undefined;
      parts.push(
        typeof value === 'string'
          ? JSON.stringify(value)
          : `${typeof value}:${Object.is(value, -0) ? '-0' : String(value)}`,
      );
    }
  }
  return JSON.stringify([root, graph.nodes, parts]);
}

/** The functions, modules and classes reachable from the root, each once, with ids. */
class Graph {
  readonly nodes: FunctionNode[] = [];
  readonly envs: Record<string, unknown>[] = [];
  readonly members: Members[] = [];
  readonly modules: ModuleRef[] = [];
  readonly classes: { identifier: string; fn: number }[] = [];
  /** What the values' placeholders stand for. */
  readonly refs: Ref[] = [];
  readonly walk: ValueWalk = new ValueWalk({
    refOf: (value, path, env) => {
      this.refs.push(this.refOf(value, path, env));
      return this.refs.length - 1;
    },
    classIndexOf: (ctor, path, env) => this.classIndexOf(ctor, path, env),
  });
  private readonly ids = new Map<Function, number>();
  private readonly missing: { path: string; names: string[]; own: boolean }[] = [];

  refOf(value: Function | ModuleRef, path: string, foundIn: Env, explicit?: Env): Ref {
    if (typeof value !== 'function') {
      let index = this.modules.indexOf(value);
      if (index < 0) index = this.modules.push(value) - 1;
      return { module: index };
    }
    const id = this.ids.get(value);
    if (id !== undefined) return { fn: id };
    const native = nativePath(value);
    if (compilesCode(value)) {
      throw new CaptureError(
        ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
        `${path || 'a captured value'} is ${value.name}, which compiles code from strings: a worker refuses a payload that names it. Call it by its global name inside the function instead.`,
        { path },
      );
    }
    if (native) return { native };
    if (isNative(value)) throw unsupportedNative(value, path);
    const own = explicit ?? attachedCapture(value)?.env;
    return { fn: this.add(value, path, own ?? foundIn, own !== undefined) };
  }

  private add(fn: Function, path: string, env: Env, own: boolean): number {
    const analysis: Analysis = analyzeFunction(fn, path);
    const id = this.nodes.length;
    this.ids.set(fn, id);
    const name = /^[\w$]{1,100}$/.test(fn.name) ? { name: fn.name } : {};
    const node: FunctionNode = { source: analysis.expression, ...name, names: [], helpers: [] };
    const values: Record<string, unknown> = {};
    const missing: string[] = [];
    this.nodes.push(node);
    this.envs.push(values);
    for (const name of analysis.free) {
      const key = envKeyFor(name, env, analysis.free);
      if (key !== undefined) {
        node.names.push(name);
        values[name] = env[key];
      } else if (workerGlobals().has(name)) {
        // the worker has it too
      } else if (Object.hasOwn(toolchainHelpers, name)) {
        node.helpers.push(name);
      } else {
        missing.push(name);
      }
    }
    if (missing.length > 0) this.missing.push({ path, names: missing, own });
    const members = ownMembers(fn);
    this.members.push(members);
    const envPath = path === 'fn' ? 'capture' : `${path}(capture)`;
    for (const name of node.names) this.walk.check(values[name], `${envPath}.${name}`, env);
    for (const [part, record] of Object.entries(members)) {
      for (const [key, value] of Object.entries(record as Record<string, unknown>)) {
        this.walk.check(value, `${path}${part === 'proto' ? '.prototype' : ''}.${key}`, env);
      }
    }
    return id;
  }

  /** The index in `classes` of a registered class, which travels as a function node. */
  private classIndexOf(ctor: Function, path: string, env: Env): number {
    const ref = this.refOf(ctor, `${path}.constructor`, env);
    if (!('fn' in ref)) {
      throw new CaptureError(
        ErrorCode.CAPTURE_UNSUPPORTED_VALUE,
        `${path} is an instance of ${ctor.name}, a built-in class that cannot be registered. Capture plain data instead.`,
        { path },
      );
    }
    let index = this.classes.findIndex((c) => c.fn === ref.fn);
    if (index < 0) {
      const identifier = registeredClasses.get(ctor)?.identifier ?? ctor.name;
      index = this.classes.push({ identifier: identifier || 'anonymous', fn: ref.fn }) - 1;
    }
    return index;
  }

  throwIfMissing(): void {
    if (this.missing.length === 0) return;
    // at most a few functions and names: the full list is in `missing`, the message stays readable
    const lines = this.missing.slice(0, 3).map(({ path, names, own }) => {
      const list = names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
      const fix =
        path === 'fn'
          ? `capture({ ${list} })`
          : own
            ? `closure(${path.split('.').pop()}, { …, ${list} })`
            : `capture({ …, ${list} }) or closure(${path.split('.').pop()}, { ${list} })`;
      const hint = names.some((n) => /^__vi(te_ssr)?_import_\d+__$/.test(n))
        ? ' (a __vite_ssr_import_N__ name is how vitest renames an import: capture the imported name itself, or use moduleRef())'
        : '';
      return `${path} uses ${list}, which a worker thread does not have${hint}. Fix: ${fix}`;
    });
    throw new CaptureError(
      ErrorCode.CAPTURE_MISSING,
      `Free variables are not captured, so the function would fail in the worker with a ReferenceError:\n  ${lines.join('\n  ')}${this.missing.length > 3 ? `\n  (and ${this.missing.length - 3} more functions: see error.missing)` : ''}`,
      { path: this.missing[0]!.path, missing: [...new Set(this.missing.flatMap((m) => m.names))] },
    );
  }
}

/**
 * What a function carries besides its source: its own enumerable properties, and for a function
 * that is not `class` syntax (tsc's ES5 classes), the methods assigned to its prototype.
 */
function ownMembers(fn: Function): Members {
  const members: Members = {};
  const statics = Object.fromEntries(Object.entries(fn));
  if (Object.keys(statics).length > 0) members.statics = statics;
  const proto = fn.prototype;
  if (
    proto &&
    typeof proto === 'object' &&
    !/^class\b/.test(Function.prototype.toString.call(fn))
  ) {
    const methods = Object.fromEntries(Object.entries(proto));
    if (Object.keys(methods).length > 0) members.proto = methods;
  }
  return members;
}

/**
 * The capture key that binds free variable `name`. Besides `name` itself: esbuild (and so tsx)
 * renames a variable that shadows another in the same file, `y` → `y2`, but `{ y }` in the
 * capture keeps its key, so `y2` binds to `y` when the function does not use `y` itself.
 */
function envKeyFor(name: string, env: Env, free: readonly string[]): string | undefined {
  if (Object.hasOwn(env, name)) return name;
  const base = /^(.+?)\d+$/.exec(name)?.[1];
  return base !== undefined && Object.hasOwn(env, base) && !free.includes(base) ? base : undefined;
}

function isNative(fn: Function): boolean {
  return /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
}

function unsupportedNative(fn: Function, path: string): CaptureError {
  const bound = fn.name.startsWith('bound ');
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
    bound
      ? `${path} is a bound function (${fn.name}): the function and the \`this\` it was bound to are hidden inside it, so it cannot travel. ` +
          'Pass an arrow that makes the call instead: closure((x) => target.method(x), { target }).'
      : `${path} is native code (${fn.name || 'anonymous'}) that a worker cannot find among its globals, so it cannot travel. ` +
          'Import it in the worker with moduleRef(specifier, exportName).',
    { path },
  );
}
