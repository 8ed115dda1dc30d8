import { CaptureError, ErrorCode } from './errors.js';
import { ModuleRef } from './module-ref.js';
import { resolveFromCaller } from './resolve.js';

export { ModuleRef };

/** The environment of a closure: each key a free variable, each value what it is bound to in the worker. */
export class Capture {
  readonly env: Readonly<Record<string, unknown>>;
  /** Names the function reads but `env` lacks are read from its scope (`capture.auto`). */
  readonly implicit: boolean;
  constructor(env: Record<string, unknown>, options: { implicit?: boolean } = {}) {
    if (env === null || typeof env !== 'object' || Array.isArray(env)) {
      throw new CaptureError(
        ErrorCode.CAPTURE_INVALID,
        `capture() expects an object literal of the variables to carry, like capture({ y, helper }), got ${describe(env)}.`,
        { path: 'capture' },
      );
    }
    this.env = Object.freeze({ ...env });
    this.implicit = options.implicit === true;
  }
}

/** Names the variables a function uses from its surroundings: `capture({ y, helper })`. */
export function capture(env: Record<string, unknown>): Capture {
  return new Capture(env);
}

/**
 * Captures what the function closes over, as dill does: each name it reads from outside is read
 * from its scope at the call (through the inspector), imports of Node's builtins become
 * `moduleRef`s, and functions found are followed with their own scopes; then every check of an
 * explicit capture applies. Explicit `capture({ … })` stays the documented style.
 */
capture.auto = new Capture({}, { implicit: true });

const attached = new WeakMap<Function, Capture>();

/**
 * Attaches an environment to `fn` and returns `fn` itself, unchanged and callable locally.
 * Wherever `fn` travels afterwards, as the task or inside another capture, its environment goes too.
 */
export function closure<F extends Function>(fn: F, env: Capture | Record<string, unknown>): F {
  if (typeof fn !== 'function') {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `closure() expects a function as its first argument, got ${describe(fn)}.`,
      { path: 'fn' },
    );
  }
  attached.set(fn, env instanceof Capture ? env : new Capture(env));
  return fn;
}

/** The environment `closure()` attached to `fn`, if any. */
export function attachedCapture(fn: Function): Capture | undefined {
  return attached.get(fn);
}

/**
 * A module, or one export of it, imported by the worker: `moduleRef('node:path')`,
 * `moduleRef('lodash', 'chunk')`. Bare and relative specifiers are resolved here, from the
 * caller's file, so the worker finds the same module in a strict (pnpm) layout.
 *
 * Typed as what the function sees in the worker (`moduleRef<typeof import('node:path')>(…)`);
 * on the calling side the value is a `ModuleRef` placeholder, meant only to be captured.
 */
export function moduleRef<T = any>(specifier: string, exportName?: string): T {
  if (typeof specifier !== 'string' || specifier.length === 0) {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `moduleRef() expects a module specifier such as 'node:path' or 'lodash', got ${describe(specifier)}.`,
      { path: 'moduleRef' },
    );
  }
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw new CaptureError(
      ErrorCode.CAPTURE_INVALID,
      `moduleRef('${specifier}', exportName) expects the export's name as a string, got ${describe(exportName)}.`,
      { path: 'moduleRef' },
    );
  }
  return new ModuleRef(specifier, resolveFromCaller(specifier, moduleRef), exportName) as T;
}

/** A short description of a value for error messages: `0 (number)`, `an instance of Socket`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
  }
  if (typeof value === 'string')
    return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}' (string)`;
  return `${String(value)} (${typeof value})`;
}
