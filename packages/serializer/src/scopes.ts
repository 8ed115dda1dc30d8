// [main] What a function closes over, as V8 knows it: its scope chain (`[[Scopes]]`), read through
// the built-in inspector (`node:inspector`, `Runtime.getProperties`), as Pulumi's closure
// serializer does. Source analysis says which names a function reads from outside; this says
// which of them are bound around it (an import, a local) and to what. Where the inspector is
// unavailable (Bun, Deno, a Node built without it), the serializer falls back to the source alone.
import { nodeRequire } from './node-require.js';

/** A name bound in a function's scope chain. */
export interface Binding {
  /** The scope, as V8 names it: `Module`, `Closure (makeAdder)`, `Script`, `Block`. */
  readonly scope: string;
  /** Its value now. */
  readonly value: unknown;
}

type Session = {
  post(method: string, params: object, cb: (e: Error | null, r: any) => void): void;
};

let session: Session | null | undefined;
let enabled = process.env.CLOSURE_POOL_SCOPE_CHECK !== '0';
const GROUP = 'closure-pool-scopes';
const SLOT = '__closurePoolScopeSlot';

/**
 * Turns reading scopes through the inspector on or off (on by default where the inspector is
 * available; `CLOSURE_POOL_SCOPE_CHECK=0` turns it off). Off, free variables are checked from the
 * source alone, and implicit capture is unavailable.
 */
export function setScopeChecks(on: boolean): void {
  enabled = on;
}

/** Whether reading scopes is on (whether or not the inspector is available). */
export function scopeChecksOn(): boolean {
  return enabled;
}

/** Whether scopes can be read here (and reading them is on). */
export function scopesAvailable(): boolean {
  return enabled && connect() !== null;
}

function connect(): Session | null {
  if (session !== undefined) return session;
  try {
    const { Session } = nodeRequire('node:inspector') as {
      Session: new () => Session & { connect(): void };
    };
    const s = new Session();
    s.connect();
    // Bun and Deno have the module, but do not answer in the same call: unusable here
    post(s, 'Runtime.evaluate', { expression: '1' });
    session = s;
  } catch (error) {
    session = null;
    process.emitWarning(
      `closure-pool: the inspector is unavailable here (${(error as Error).message}), so free variables are checked from the source alone: a name that shadows a global (an imported setTimeout) is not seen, and capture.auto is unavailable.`,
      { code: 'CLOSURE_POOL_NO_INSPECTOR' },
    );
  }
  return session;
}

function post(s: Session, method: string, params: object): any {
  let result: any;
  let failure: Error | null = null;
  let answered = false;
  // an in-thread session answers synchronously, inside post()
  s.post(method, params, (error, value) => {
    failure = error;
    result = value;
    answered = true;
  });
  if (!answered) throw new Error(`the inspector did not answer ${method} synchronously`);
  if (failure) throw failure;
  return result;
}

/** Which names each function literal binds in scope: the same for every closure made from it. */
const boundByLocation = new Map<string, ReadonlySet<string>>();
/** Per function, the names known not to be bound around it: that cannot change. */
const unboundIn = new WeakMap<Function, Set<string>>();

/**
 * The bindings of `names` in `fn`'s scope chain (globals excluded), or undefined where scopes
 * cannot be read. A name not in the map is not bound around `fn`. A bound name is read at each
 * call: its value can change (`let`), and `capture.auto` must carry the value it has now.
 */
export function bindingsOf(
  fn: Function,
  names: readonly string[],
): Map<string, Binding> | undefined {
  if (names.length === 0 || !scopesAvailable()) return names.length === 0 ? new Map() : undefined;
  let unbound = unboundIn.get(fn);
  if (!unbound) {
    unbound = new Set();
    unboundIn.set(fn, unbound);
  }
  const wanted = names.filter((n) => !unbound!.has(n));
  const found = new Map<string, Binding>();
  if (wanted.length === 0) return found;
  const bindings = new Map<string, Binding | null>();
  try {
    read(fn, wanted, bindings);
  } catch (error) {
    // the inspector failed us: the source alone is checked from now on, as where it is missing
    session = null;
    process.emitWarning(
      `closure-pool: reading a function's scopes failed (${(error as Error).message}); free variables are checked from the source alone from now on.`,
      { code: 'CLOSURE_POOL_NO_INSPECTOR' },
    );
    return undefined;
  }
  for (const [name, binding] of bindings) {
    if (binding) found.set(name, binding);
    else unbound.add(name);
  }
  return found;
}

function read(fn: Function, names: readonly string[], into: Map<string, Binding | null>): void {
  const s = session!;
  const g = globalThis as Record<string, unknown>;
  try {
    g[SLOT] = fn;
    const { result } = post(s, 'Runtime.evaluate', {
      expression: `globalThis.${SLOT}`,
      objectGroup: GROUP,
    });
    const own = post(s, 'Runtime.getProperties', {
      objectId: result.objectId,
      ownProperties: true,
      objectGroup: GROUP,
    });
    const internal = (name: string) =>
      own.internalProperties?.find((p: any) => p.name === name)?.value;
    const location = internal('[[FunctionLocation]]')?.value;
    const key = location && `${location.scriptId}:${location.lineNumber}:${location.columnNumber}`;
    const bound = key ? boundByLocation.get(key) : undefined;
    if (bound && names.every((n) => !bound.has(n))) {
      for (const name of names) into.set(name, null);
      return;
    }
    const scopes = internal('[[Scopes]]');
    const chain = scopes
      ? post(s, 'Runtime.getProperties', {
          objectId: scopes.objectId,
          ownProperties: true,
          objectGroup: GROUP,
        }).result
      : [];
    const all = new Set<string>();
    for (const entry of chain) {
      const scope = entry.value;
      if (!/^\d+$/.test(entry.name) || !scope?.objectId || /^Global/.test(scope.description))
        continue;
      const vars = post(s, 'Runtime.getProperties', {
        objectId: scope.objectId,
        ownProperties: true,
        objectGroup: GROUP,
      }).result;
      for (const v of vars) {
        all.add(v.name);
        // the innermost binding of a name is the one the function reads
        if (names.includes(v.name) && !into.has(v.name))
          into.set(v.name, { scope: scope.description, value: liveValue(s, v.value) });
      }
    }
    if (key) boundByLocation.set(key, all);
    for (const name of names) if (!into.has(name)) into.set(name, null);
  } finally {
    delete g[SLOT];
    release(s);
  }
}

let held = 0;
let releasing: NodeJS.Immediate | undefined;

/**
 * Lets the inspector drop what it holds for us: soon, not after each read (a round trip each),
 * and at once when much is held.
 */
function release(s: Session): void {
  const now = () => {
    clearImmediate(releasing);
    releasing = undefined;
    held = 0;
    post(s, 'Runtime.releaseObjectGroup', { objectGroup: GROUP });
  };
  if (++held >= 256) {
    now();
    return;
  }
  releasing ??= setImmediate(now).unref();
}

/** The live value a RemoteObject stands for. */
function liveValue(s: Session, remote: any): unknown {
  if (remote === undefined) return undefined;
  if (remote.objectId) {
    const g = globalThis as Record<string, unknown>;
    post(s, 'Runtime.callFunctionOn', {
      objectId: remote.objectId,
      // strict: a primitive's `this` is not boxed
      functionDeclaration: `function () { 'use strict'; globalThis.${SLOT} = this; }`,
      objectGroup: GROUP,
    });
    const value = g[SLOT];
    delete g[SLOT];
    return value;
  }
  if ('unserializableValue' in remote) {
    const u = remote.unserializableValue as string;
    if (u.endsWith('n')) return BigInt(u.slice(0, -1));
    return Number(u); // -0, NaN, Infinity, -Infinity
  }
  return remote.value;
}
