import { type Analysis, analyzeFunction } from './analyze.js';
import { BoundedCache } from './bounded-cache.js';
import { attachedCapture, Capture, type ModuleRef } from './capture.js';
import { createCodec, registeredClasses } from './codec.js';
import { CaptureError, ErrorCode } from './errors.js';
import { fingerprint } from './fingerprint.js';
import { nativePath, workerGlobals } from './globals.js';
import { toolchainHelpers } from './helpers.js';
import {
  type FunctionNode,
  hashJson,
  type Members,
  PAYLOAD_VERSION,
  type Payload,
  type PayloadBody,
  type Ref,
} from './payload.js';
import { checkValue } from './travel.js';

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
  return encodeClosure(fn, capture).payload;
}

/** A payload with its JSON text, made once: what a sender writes to the wire. */
export interface EncodedClosure {
  readonly payload: Payload;
  readonly json: string;
}

/** `serializeClosure`, also giving the payload's JSON, so that a large capture is stringified once. */
export function encodeClosure(
  fn: Function,
  capture?: Capture | Record<string, unknown>,
): EncodedClosure {
  if (typeof fn !== 'function') {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `Expected a function to run in the worker, got ${fn === null ? 'null' : typeof fn}.`,
      {
        path: 'fn',
      },
    );
  }
  const explicit =
    capture === undefined ? undefined : capture instanceof Capture ? capture : new Capture(capture);
  const graph = new Graph();
  const rootEnv = explicit ? { ...attachedCapture(fn)?.env, ...explicit.env } : undefined;
  const root = graph.refOf(fn, 'fn', rootEnv ?? noEnv, rootEnv);
  graph.throwIfMissing();
  const key = graph.cacheKey(root);
  const known = key === undefined ? undefined : recentPayloads.get(key);
  if (known) return known;

  const codec = createCodec(
    { toRef: (v) => graph.refOf(v, '', noEnv), fromRef: () => undefined },
    registeredClasses,
  );
  const values = codec.serialize({
    envs: graph.envs,
    members: graph.members,
  }) as PayloadBody['values'];
  const body: PayloadBody = {
    format: 'closure-pool',
    version: PAYLOAD_VERSION,
    root,
    functions: graph.nodes,
    modules: graph.modules.map((m) =>
      m.exportName === undefined ? { url: m.url } : { url: m.url, exportName: m.exportName },
    ),
    classes: graph.classes,
    values,
  };
  const bodyJson = JSON.stringify(body);
  const hash = hashJson(bodyJson);
  const encoded = {
    payload: { hash, ...body },
    json: `{"hash":${JSON.stringify(hash)},${bodyJson.slice(1)}`,
  };
  if (key !== undefined) recentPayloads.set(key, encoded);
  return encoded;
}

/**
 * Payloads whose values are all primitives or byte arrays, by everything they are made of: calling
 * `map` again with the same closure (even a new arrow with the same source) and equal values costs
 * a lookup, plus a fingerprint of any byte array. Payloads with other objects are made anew each
 * time, since the capture is a snapshot.
 */
const recentPayloads = new BoundedCache<string, EncodedClosure>(256);

/** The functions, modules and classes reachable from the root, each once, with ids. */
class Graph {
  readonly nodes: FunctionNode[] = [];
  readonly envs: Record<string, unknown>[] = [];
  readonly members: Members[] = [];
  readonly modules: ModuleRef[] = [];
  readonly classes: { identifier: string; fn: number }[] = [];
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
    const seen = new Set<object>();
    const envPath = path === 'fn' ? 'capture' : `${path}(capture)`;
    for (const name of node.names) {
      checkValue(values[name], `${envPath}.${name}`, env, this, seen);
    }
    for (const [part, record] of Object.entries(members)) {
      for (const [key, value] of Object.entries(record as Record<string, unknown>)) {
        checkValue(value, `${path}${part === 'proto' ? '.prototype' : ''}.${key}`, env, this, seen);
      }
    }
    return id;
  }

  onFunction(fn: Function, path: string, env: Env): void {
    this.refOf(fn, path, env);
  }

  onModule(ref: ModuleRef): void {
    this.refOf(ref, '', noEnv);
  }

  onClassInstance(ctor: Function, path: string, env: Env): void {
    const identifier = registeredClasses.get(ctor)!.identifier;
    if (this.classes.some((c) => c.identifier === identifier)) return;
    const ref = this.refOf(ctor, `${path}.constructor`, env);
    if ('fn' in ref) this.classes.push({ identifier, fn: ref.fn });
  }

  /**
   * A string that determines the payload, when every value in it is a primitive or a byte array
   * (by content); else undefined.
   */
  cacheKey(root: Ref): string | undefined {
    if (this.modules.length > 0 || this.classes.length > 0) return undefined;
    const values: string[] = [];
    const seen = new Set<object>();
    for (const [i, env] of this.envs.entries()) {
      if (Object.keys(this.members[i]!).length > 0) return undefined;
      for (const value of Object.values(env)) {
        if (typeof value === 'function') continue; // a function node or native: in the structure below
        if (value !== null && typeof value === 'object') {
          // byte arrays by content; any other object (or one array captured twice) is not reused
          const bytes =
            value instanceof ArrayBuffer || ArrayBuffer.isView(value)
              ? fingerprint(value)
              : undefined;
          if (bytes === undefined || seen.has(value)) return undefined;
          seen.add(value);
          values.push(bytes);
        } else {
          values.push(`${typeof value}:${Object.is(value, -0) ? '-0' : String(value)}`);
        }
      }
    }
    const fnRefs = this.envs.map((env) =>
      Object.entries(env).map(([name, v]) =>
        typeof v === 'function' ? [name, this.refOf(v, '', noEnv)] : [name],
      ),
    );
    return JSON.stringify([root, this.nodes, fnRefs, values]);
  }

  throwIfMissing(): void {
    if (this.missing.length === 0) return;
    const lines = this.missing.map(({ path, names, own }) => {
      const list = names.join(', ');
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
      `Free variables are not captured, so the function would fail in the worker with a ReferenceError:\n  ${lines.join('\n  ')}`,
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
