import { type Analysis, analyzeFunction, readMembersAsNames } from './analyze.js';
import { BoundedCache, DEFAULT_CACHE_BYTES } from './bounded-cache.js';
import { attachedCapture, Capture, describe, type ModuleRef, moduleRef } from './capture.js';
import { registeredClasses } from './classes.js';
import { CaptureError, ErrorCode } from './errors.js';
import { compilesCode, nativePath, workerGlobals } from './globals.js';
import { isToolchainHelper } from './helpers.js';
import { type Missing, missingError, renamedFrom } from './missing.js';
import {
  type FunctionNode,
  frameToPayload,
  PAYLOAD_VERSION,
  type Payload,
  type PayloadBody,
  type Ref,
  toFrame,
} from './payload.js';
import { type Binding, bindingsOf, scopeChecksOn } from './scopes.js';
import { encodeValues } from './value-encode.js';
import type { Members } from './value-format.js';
import { builtinExportOf, builtinRefOf } from './value-refusals.js';
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
  readonly byPrimitives: BoundedCache<string, EncodedClosure>;

  /**
   * Payloads of functions whose every free name is captured (primitives only) or a toolchain's
   * helper, with no property and no prototype, by name, source and capture, which then determine
   * them: a new function object of a known source (an arrow written inline in a loop of `apply`
   * calls) skips the graph, whose allocations cost a call far more than its few µs suggest.
   */
  readonly bySource: BoundedCache<string, Map<string, EncodedClosure>>;

  /**
   * @param maxBytes most bytes of frames kept (and at most 1,000 bodies); the two indexes by key
   *   have the same budget each, counting their keys too (a captured string is in its key)
   */
  constructor(maxBytes: number) {
    this.frames = new BoundedCache(1000, maxBytes);
    this.byPrimitives = new BoundedCache(256, maxBytes);
    this.bySource = new BoundedCache(256, maxBytes);
  }

  /** Keeps `encoded` in one of the indexes by key, counting the key and the frame. */
  index(into: BoundedCache<string, EncodedClosure>, key: string, encoded: EncodedClosure): void {
    into.set(key, encoded, key.length * 2 + encoded.frame.byteLength);
  }

  /** The payload `bySource` holds for this key, if any. */
  sameSource([source, rest]: SourceKey): EncodedClosure | undefined {
    return this.bySource.get(source)?.get(rest);
  }

  /**
   * Keeps `encoded` in `bySource`: by source, then by name and capture, at most 16 per source (the
   * oldest out: one inline arrow called with a new captured value each time would otherwise grow
   * its entry without end), the entry's bytes counted again.
   */
  indexBySource([source, rest]: SourceKey, encoded: EncodedClosure): void {
    const known = this.bySource.get(source) ?? new Map<string, EncodedClosure>();
    known.delete(rest);
    known.set(rest, encoded);
    if (known.size > 16) known.delete(known.keys().next().value!);
    let bytes = source.length * 2;
    for (const [key, payload] of known) bytes += key.length * 2 + payload.frame.byteLength;
    this.bySource.set(source, known, bytes);
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
  const attached = attachedCapture(fn);
  const rootEnv = explicit ? { ...attached?.env, ...explicit.env } : undefined;
  const cache = options.cache ?? sharedCache;
  const implicit = explicit?.implicit === true || attached?.implicit === true;
  // the capture the root function binds its names from: the call's, or the one attached to it
  const env = rootEnv ?? attached?.env;
  const last = implicit ? undefined : lastEncoded.get(fn);
  if (last && isLast(last, cache, env, fn)) return last.encoded;
  const sourceKey = implicit || attached ? undefined : selfContainedKey(fn, explicit?.env);
  const same = sourceKey === undefined ? undefined : cache.sameSource(sourceKey);
  if (same) return same;
  const graph = new Graph();
  graph.implicit = implicit;
  const root = graph.refOf(fn, 'fn', rootEnv ?? noEnv, rootEnv);
  graph.throwIfMissing();
  const key = primitivesKey(graph, root);
  const known = key === undefined ? undefined : cache.byPrimitives.get(key);
  if (known) {
    remember(fn, graph, cache, env, known);
    return known;
  }
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
  if (sourceKey !== undefined && selfContained(graph, root))
    cache.indexBySource(sourceKey, encoded);
  if (key !== undefined) {
    cache.index(cache.byPrimitives, key, encoded);
    remember(fn, graph, cache, env, encoded);
  }
  return encoded;
}

/**
 * The last payload of each function that travels alone (no other function, class or module; no
 * properties of its own; no prototype to change) with only primitives captured: a call with the
 * same function and equal captures gets it back without the graph (the `apply` loop's case).
 */
interface Last {
  readonly cache: PayloadCache;
  readonly env: Readonly<Env> | undefined;
  readonly scopeChecks: boolean;
  readonly encoded: EncodedClosure;
}
const lastEncoded = new WeakMap<Function, Last>();

function remember(
  fn: Function,
  graph: Graph,
  cache: PayloadCache,
  env: Env | undefined,
  encoded: EncodedClosure,
): void {
  if (graph.implicit || graph.nodes.length !== 1 || fn.prototype !== undefined) return;
  lastEncoded.set(fn, { cache, env: env && { ...env }, scopeChecks: scopeChecksOn(), encoded });
}

function isLast(last: Last, cache: PayloadCache, env: Env | undefined, fn: Function): boolean {
  if (last.cache !== cache || last.scopeChecks !== scopeChecksOn()) return false;
  // a property added to the function since is a member that travels
  if (Object.keys(fn).length > 0) return false;
  if (env === undefined || last.env === undefined) return env === last.env;
  let count = 0;
  for (const name in env) {
    if (!Object.hasOwn(last.env, name) || !Object.is(env[name], last.env[name])) return false;
    count++;
  }
  return count === Object.keys(last.env).length;
}

/**
 * The key of `bySource`: a function's source, then its name and capture, if the capture holds
 * primitives only (each with its type, `-0` apart from `0`) and the function has no property and
 * no prototype (which travel too, and can change). Two levels, not one string: a lookup by the
 * source as `toString` gives it hashes it in place, where one joined key is first copied whole
 * (0.34 against 1.1 µs per lookup of an inline arrow, measured in a loop).
 */
type SourceKey = readonly [source: string, rest: string];

function selfContainedKey(fn: Function, env: Env | undefined): SourceKey | undefined {
  if (fn.prototype !== undefined || typeof fn.name !== 'string' || Object.keys(fn).length > 0)
    return undefined;
  // (JSON text never starts with NUL: a name alone is never taken for a name and capture)
  let rest = `\0${fn.name}`;
  if (env !== undefined) {
    const captured: string[] = [];
    for (const name in env) {
      const value = env[name];
      // (a symbol's text does not tell it apart from another with the same description)
      if (
        (value !== null && typeof value === 'object') ||
        typeof value === 'function' ||
        typeof value === 'symbol'
      )
        return undefined;
      captured.push(name, typeof value, Object.is(value, -0) ? '-0' : String(value));
    }
    rest = JSON.stringify([fn.name, captured]);
  }
  return [Function.prototype.toString.call(fn), rest];
}

/**
 * Whether the payload is the root function alone, each of its free names bound by the capture or
 * a toolchain's helper: none read from its scope, which the same source can have elsewhere.
 */
function selfContained(graph: Graph, root: Ref): boolean {
  const node = graph.nodes[0];
  return (
    'fn' in root &&
    node !== undefined &&
    graph.nodes.length === 1 &&
    graph.refs.length === 0 &&
    graph.modules.length === 0 &&
    graph.classes.length === 0 &&
    Object.keys(graph.members[0]!).length === 0 &&
    graph.analyses[0]!.free.every(
      (name) => node.names.includes(name) || node.helpers.includes(name),
    )
  );
}

/**
 * What determines a payload whose captured values are all primitives: its functions and those
 * values, each with its type (`-0` apart from `0`); undefined when anything else is captured.
 */
function primitivesKey(graph: Graph, root: Ref): string | undefined {
  if (graph.modules.length > 0 || graph.classes.length > 0 || graph.refs.length > 0)
    return undefined;
  // each node by its analysis's number, not its source: a short key, hashed at each lookup
  const nodes = graph.nodes.map((node, i) => [
    analysisId(graph.analyses[i]!),
    node.name ?? null,
    node.names,
    node.helpers,
    node.self ?? null,
    node.deferred === true,
  ]);
  const parts: string[] = [];
  for (let i = 0; i < graph.envs.length; i++) {
    if (Object.keys(graph.members[i]!).length > 0) return undefined;
    const env = graph.envs[i]!;
    for (const name in env) {
      const value = env[name];
      // (a captured function is among the refs, above)
      if (value !== null && typeof value === 'object') return undefined;
      parts.push(`${typeof value}:${Object.is(value, -0) ? '-0' : String(value)}`);
    }
  }
  return JSON.stringify([root, nodes, parts]);
}

/** A number per analysis, which stands for its source (the analysis is cached per source). */
const analysisIds = new WeakMap<Analysis, number>();
let analysisCount = 0;

function analysisId(analysis: Analysis): number {
  let id = analysisIds.get(analysis);
  if (id === undefined) {
    id = ++analysisCount;
    analysisIds.set(analysis, id);
  }
  return id;
}

/** The functions, modules and classes reachable from the root, each once, with ids. */
class Graph {
  readonly nodes: FunctionNode[] = [];
  /** The analysis each node was made from (its `source` is the analysis's expression). */
  readonly analyses: Analysis[] = [];
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
  /** `capture.auto`: names the capture lacks are read from each function's scope. */
  implicit = false;
  private readonly missing: (Omit<Missing, 'unusedKeys'> & { env: Env })[] = [];
  /** The keys of each environment some function uses. */
  private readonly used = new Map<Env, Set<string>>();

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
    if (isNative(value)) throw builtinFunctionError(value, path) ?? unsupportedNative(value, path);
    if (isCommonJsRequire(value))
      throw new CaptureError(
        ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
        `${path} is CommonJS's \`require\`, which belongs to its file: a worker thread resolves nothing from there. Fix: capture the module instead: capture({ path: moduleRef('node:path') }), then use \`path\` inside.`,
        { path },
      );
    const own = explicit ?? attachedCapture(value)?.env;
    // Node's own code (`readFile` from node:fs/promises) fails the checks with its internals'
    // names: looked for only then (indexing Node's builtins costs ~25 ms, once)
    const before = this.missing.length;
    let added: number;
    try {
      added = this.add(value, path, own ?? foundIn, own !== undefined);
    } catch (error) {
      throw builtinFunctionError(value, path) ?? error;
    }
    if (this.missing.length > before) {
      const builtin = builtinFunctionError(value, path);
      if (builtin) throw builtin;
    }
    return { fn: added };
  }

  private add(fn: Function, path: string, env: Env, own: boolean): number {
    let analysis: Analysis = analyzeFunction(fn, path);
    const unbound = (name: string) =>
      envKeyFor(name, env, analysis.free, fn) === undefined &&
      !workerGlobals().has(name) &&
      !isToolchainHelper(name);
    // a compiler's CommonJS import binding (`helper_1.triple`) whose imports the capture holds
    const imports = analysis.free.filter(
      (name) =>
        unbound(name) &&
        analysis.memberOnly.get(name)?.every((read) => Object.hasOwn(env, read.prop)),
    );
    if (imports.length > 0) analysis = readMembersAsNames(analysis, imports);
    if (path === 'fn' && analysis.usesOwnThis) throw methodError(fn, path);
    const implicit = this.implicit || attachedCapture(fn)?.implicit === true;
    // the capture key each free name binds to, if any
    const keys = new Map(analysis.free.map((n) => [n, envKeyFor(n, env, analysis.free, fn)]));
    // what the names the capture does not bind are bound to around `fn` (V8's scopes), if known
    const outside = analysis.free.filter((n) => keys.get(n) === undefined && !isToolchainHelper(n));
    // vitest's import bindings, by which the module's exports are read
    const viteBindings = outside.flatMap((n) => analysis.imported[n] ?? []);
    const scope = outside.length > 0 ? bindingsOf(fn, [...outside, ...viteBindings]) : undefined;
    const bindingOf = (name: string): Binding | undefined => {
      const via = analysis.imported[name];
      const namespace = via === undefined ? undefined : scope?.get(via);
      if (namespace) return { scope: 'Module', value: (namespace.value as any)?.[name] };
      return scope?.get(name);
    };
    if (implicit && outside.length > 0 && !scope) throw implicitUnavailable(path);
    const id = this.nodes.length;
    this.ids.set(fn, id);
    const name = typeof fn.name === 'string' && fn.name.length <= 200 ? { name: fn.name } : {};
    const node: FunctionNode = {
      source: analysis.expression,
      ...name,
      names: [],
      helpers: [],
      ...(analysis.definitionReadsScope ? { deferred: true as const } : {}),
    };
    const values: Record<string, unknown> = {};
    const missing: string[] = [];
    this.nodes.push(node);
    this.analyses.push(analysis);
    this.envs.push(values);
    const found: Record<string, unknown> = {};
    for (const name of analysis.free) {
      const key = keys.get(name);
      const binding = bindingOf(name);
      if (key !== undefined) {
        node.names.push(name);
        values[name] = env[key];
        if (typeof env[key] === 'function' && methodUsingThis(env[key]))
          throw methodError(env[key], `${path === 'fn' ? 'capture' : `${path}(capture)`}.${key}`);
      } else if (binding && implicit) {
        node.names.push(name);
        values[name] = asCapturable(binding.value);
      } else if (workerGlobals().has(name) && (binding || Object.hasOwn(analysis.imported, name))) {
        throw shadowError(path, name, binding);
      } else if (workerGlobals().has(name)) {
        // the worker has it too
      } else if (isToolchainHelper(name)) {
        node.helpers.push(name);
      } else if (analysis.typeofOnly.includes(name) && !binding && !(name in globalThis)) {
        // a feature test (`typeof window`): 'undefined' in the worker, as here (unless bound here)
      } else {
        missing.push(name);
        if (binding) found[name] = binding.value;
      }
    }
    // a function that calls itself by a captured name it never assigns: a constant in the worker
    const self = node.names.find((n) => values[n] === fn && !analysis.written.includes(n));
    if (self !== undefined) node.self = self;
    let used = this.used.get(env);
    if (!used) {
      used = new Set();
      this.used.set(env, used);
    }
    for (const name of node.names) used.add(keys.get(name)!);
    if (missing.length > 0)
      this.missing.push({
        path,
        names: missing,
        own,
        env,
        helpers: node.helpers,
        name: typeof fn.name === 'string' ? fn.name : '',
        compact: !/ => |, | = |\n/.test(analysis.expression),
        found,
      });
    const members = ownMembers(fn, path);
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
    // keys no function uses: with short missing names, the sign of a minifier's renaming
    const unused = (env: Env) => Object.keys(env).filter((k) => !this.used.get(env)?.has(k));
    throw missingError(this.missing.map((m) => ({ ...m, unusedKeys: unused(m.env) })));
  }
}

/** Own properties every function has, which its source makes again. */
const standardKeys = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);

/**
 * What a function carries besides its source: its own enumerable properties; and for a function
 * that is not `class` syntax (tsc's, babel's and SWC's classes for ES5), what their helpers put on
 * it and its prototype (`_createClass`'s hidden methods and accessors) and the class it extends.
 */
function ownMembers(fn: Function, path: string): Members {
  const members: Members = {};
  const statics = Object.fromEntries(Object.entries(fn));
  if (Object.keys(statics).length > 0) members.statics = statics;
  const proto = fn.prototype;
  // arrows, methods and async functions have no prototype, and are no class: nothing more to
  // look for (this runs on every call, for every function of the payload)
  if (proto === undefined) return members;
  const source = Function.prototype.toString.call(fn);
  if (/^class\b/.test(source)) return members;
  if (proto?.[Symbol.toStringTag] === 'Generator' && !/^(async\s*)?function\s*\*/.test(source))
    throw new CaptureError(
      ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
      `${path} is a generator that a compiler (babel or SWC, with regenerator) lowered for an old target: what makes it a generator stays in its file, so it cannot travel. ` +
        "Fix: compile for a target with native generators (babel preset-env targets: { node: '20' }; SWC jsc.target: 'es2020')",
      { path },
    );
  const hiddenStatics = hiddenData(fn, standardKeys);
  if (hiddenStatics) members.hiddenStatics = hiddenStatics;
  const parent = Object.getPrototypeOf(fn);
  if (typeof parent === 'function' && parent !== Function.prototype) {
    const protoToo = !!proto && Object.getPrototypeOf(proto) === parent.prototype;
    members.parent = { fn: parent, protoToo };
  }
  if (!proto || typeof proto !== 'object') return members;
  const methods = Object.fromEntries(Object.entries(proto));
  if (Object.keys(methods).length > 0) members.proto = methods;
  const hiddenProto = hiddenData(proto, new Set(['constructor']));
  if (hiddenProto) members.hiddenProto = hiddenProto;
  const accessors: Record<string, { get?: unknown; set?: unknown }> = {};
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)!;
    if (d.get || d.set) accessors[key] = { get: d.get, set: d.set };
  }
  if (Object.keys(accessors).length > 0) members.accessors = accessors;
  // `[Symbol.iterator]` and the like, which `_createClass` defines by their symbol
  const symbols: Record<string, { value?: unknown; get?: unknown; set?: unknown }> = {};
  for (const symbol of Object.getOwnPropertySymbols(proto)) {
    const name = symbol.description?.replace(/^Symbol\./, '');
    if (!name || (Symbol as any)[name] !== symbol) continue;
    const d = Object.getOwnPropertyDescriptor(proto, symbol)!;
    symbols[name] = 'value' in d ? { value: d.value } : { get: d.get, set: d.set };
  }
  if (Object.keys(symbols).length > 0) members.symbols = symbols;
  return members;
}

/** Own non-enumerable data properties (helpers define methods so), but `skip`. */
function hiddenData(
  target: object,
  skip: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const hidden: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(target)) {
    const d = Object.getOwnPropertyDescriptor(target, key)!;
    if (!skip.has(key) && !d.enumerable && 'value' in d) hidden[key] = d.value;
  }
  return Object.keys(hidden).length > 0 ? hidden : undefined;
}

/**
 * The capture key that binds free variable `name`. Besides `name` itself: esbuild (and so tsx)
 * renames a variable that shadows another in the same file, `y` → `y2`, but `{ y }` in the
 * capture keeps its key, so `y2` binds to `y` when the function does not use `y` itself.
 */
function envKeyFor(
  name: string,
  env: Env,
  free: readonly string[],
  fn: Function,
): string | undefined {
  if (Object.hasOwn(env, name)) return name;
  const base = renamedFrom(name);
  if (base !== undefined && Object.hasOwn(env, base) && !free.includes(base)) return base;
  // babel's name for a function that calls itself by name: `var _f = function f() { _f() }`
  const unprefixed = name.startsWith('_') ? name.slice(1) : undefined;
  return unprefixed !== undefined && env[unprefixed] === fn ? unprefixed : undefined;
}

/** A method (not a class, nor a function meant for `new`) that reads its own `this`. */
function methodUsingThis(fn: Function): boolean {
  if (nativePath(fn) || isNative(fn)) return false;
  const source = Function.prototype.toString.call(fn);
  if (/^(class|(async\s+)?function)\b/.test(source)) return false;
  return analyzeFunction(fn, 'fn').usesOwnThis;
}

function methodError(fn: Function, path: string): CaptureError {
  const name = fn.name || 'method';
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
    `${path} (${name}) reads \`this\`, but the worker calls it as a plain function: a method taken off its object loses the object. ` +
      `Fix: pass an arrow that calls the method on its object, and capture the object: (x) => obj.${name}(x) with capture({ obj }).`,
    { path },
  );
}

/**
 * A value read from a scope for `capture.auto`: an import of one of Node's builtins becomes the
 * `moduleRef` the worker imports it by; anything else is captured as it is, with every check.
 */
function asCapturable(value: unknown): unknown {
  const ref = builtinRefOf(value);
  return ref ? moduleRef(ref[0], ref[1]) : value;
}

/**
 * The error for a function one of Node's builtins exports, captured (or called) as if it were the
 * user's code; undefined for any other function.
 */
function builtinFunctionError(fn: Function, path: string): CaptureError | undefined {
  const exported = builtinExportOf(fn);
  if (!exported) return undefined;
  const [specifier, name] = exported;
  const ref = `moduleRef('${specifier}', '${name}')`;
  const key = /^capture\.([A-Za-z_$][\w$]*)$/.exec(path)?.[1];
  const fix =
    path === 'fn'
      ? `pass an arrow that calls it, with it captured by reference: (...args) => ${name}(...args) with capture({ ${name}: ${ref} })`
      : key
        ? `capture({ ${key}: ${ref} })`
        : `put ${ref} in its place`;
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
    `${path} is \`${name}\` from ${specifier}: Node's own code, which cannot be copied to a worker, and which the worker imports for itself. Fix: ${fix}`,
    { path },
  );
}

/** A name that looks like a worker's global but is bound to something else where `fn` was written. */
function shadowError(path: string, name: string, binding: Binding | undefined): CaptureError {
  const exported = binding && builtinExportOf(binding.value);
  const what = exported
    ? `an import from ${exported[0]}`
    : binding
      ? `bound in its ${binding.scope.replace(/ \(.*\)$/, '').toLowerCase()} scope to ${describe(binding.value)}`
      : 'an import (vitest renamed it)';
  const fix = exported
    ? `capture({ ${name}: moduleRef('${exported[0]}', '${exported[1]}') })`
    : `capture({ ${name} })`;
  return new CaptureError(
    ErrorCode.CAPTURE_MISSING,
    `${path} uses ${name}, which here is not the global ${name}: it is ${what}. In the worker it would be the global, and do something else. Fix: ${fix}`,
    { path, missing: [name] },
  );
}

function implicitUnavailable(path: string): CaptureError {
  return new CaptureError(
    ErrorCode.CAPTURE_INVALID,
    `${path}: capture.auto reads what a function closes over through the inspector (node:inspector), which is unavailable here (or turned off with CLOSURE_POOL_SCOPE_CHECK=0). Fix: list the variables: capture({ y, helper }).`,
    { path },
  );
}

/** A CommonJS module's own `require`. */
function isCommonJsRequire(fn: Function): boolean {
  const f = fn as Function & { resolve?: unknown; cache?: unknown };
  return fn.name === 'require' && typeof f.resolve === 'function' && typeof f.cache === 'object';
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
