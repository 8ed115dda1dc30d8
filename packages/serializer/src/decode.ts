import type { Parser as AcornParser } from 'acorn';
import { BoundedCache } from './bounded-cache.js';
import { definitionReadsScope } from './class-definition.js';
import { ErrorCode, PayloadError } from './errors.js';
import { compilesCode, lookupGlobalPath } from './globals.js';
import {
  type FunctionNode,
  hashFrame,
  type ParsedPayload,
  type Payload,
  type Ref,
  readTrustedFrame,
} from './payload.js';
import { checkSecret, type Secret, verifySignature } from './signature.js';
import { type DecodedValues, decodeValues, LATER } from './value-decode.js';
import type { Members } from './value-format.js';

/**
 * A compiled function node: call `bind` with its captured values, then `fn` is complete. A class
 * whose definition reads its captures (`extends Base`, `[key]() {}`, `static x = y`) is only
 * `define`d once they are bound: until then `fn` is undefined.
 */
type Instance = {
  bind: (...values: unknown[]) => void;
  fn: Function | undefined;
  define?: () => Function;
};
/** Returns the bind function and a thunk that evaluates the node's source. */
type Factory = (...helpers: unknown[]) => [Instance['bind'], () => Function];
/**
 * A compiled source, and what of it runs when it is rebuilt (a class's static code), if anything:
 * known once the source was parsed (`judged`), which a trusted payload's compilation skips.
 */
type Compiled = {
  factory: Factory;
  deferred: boolean;
  judged: boolean;
  runsOnRebuild?: string | undefined;
};

// What only untrusted input needs, loaded on its first arrival: a pool's threads start without them
// (acorn and zod are most of the worker's code, and most of its start-up time).
let parser: typeof AcornParser | undefined;
let schema: typeof import('./payload-schema.js') | undefined;
/** Compiler helpers (tslib's among them), loaded when a payload first names one. */
let helpers: typeof import('./helpers.js') | undefined;

async function loadChecks(): Promise<void> {
  parser ??= (await import('acorn')).Parser;
  schema ??= await import('./payload-schema.js');
}

/** Compiled sources: at most 500, and 16 MiB of source text. */
const factories = new BoundedCache<string, Compiled>(500, 16 * 1024 * 1024);

/**
 * Rebuilds the function a payload describes, from its JSON form (`Payload`) or its binary frame.
 * The payload is validated first (hash, shape, references, and that each source is one function
 * expression) and, given a `secret`, its signature; nothing from a payload that fails runs.
 * Async because modules named with `moduleRef()` are imported.
 *
 * A frame carries no hash or signature of its own: pass `hash` to have it checked, and with a
 * `secret`, the `signature`. A frame made by this very process (a pool's own threads) needs neither.
 *
 * Nothing from a payload runs while it is rebuilt, unless it is trusted: a class whose definition
 * runs code (a static block, a static field's initializer, a computed key, an `extends` expression)
 * is refused unless the payload was authenticated with `secret`, or `trusted` says it comes from
 * this process.
 */
export async function deserializeClosure(
  input: unknown,
  options: {
    secret?: Secret;
    hash?: string;
    signature?: string;
    trusted?: boolean;
    /** The SharedArrayBuffers posted beside the frame (`EncodedClosure.shared`). */
    shared?: readonly SharedArrayBuffer[];
  } = {},
): Promise<Function> {
  if (options.secret !== undefined) checkSecret(options.secret, 'secret');
  const { body: header, values, buffers } = await parse(input, options);
  if (options.secret !== undefined) {
    const frame = input instanceof Uint8Array;
    verifySignature(
      {
        hash: frame ? hashFrame(input) : (input as Payload).hash,
        signature: frame ? options.signature : (input as Payload).signature,
      },
      options.secret,
    );
  }
  const trusted = options.trusted === true || options.secret !== undefined;
  if (header.functions.some((node) => node.helpers.length > 0))
    helpers ??= await import('./helpers.js');
  const instances = header.functions.map((node, i) => instantiate(node, `functions.${i}`, trusted));
  const modules = await Promise.all(header.modules.map((m, i) => importModule(m, `modules.${i}`)));
  let decoded: DecodedValues | undefined;
  const building = new Set<number>();
  /** Defines a deferred class: its captures bound first (and what they need, defined first). */
  const define = (index: number): Function => {
    const instance = instances[index]!;
    if (instance.fn) return instance.fn;
    if (!decoded || building.has(index))
      throw new PayloadError(
        `Invalid closure payload: functions.${index} is a class whose definition needs itself.`,
        { field: `functions.${index}` },
      );
    building.add(index);
    const env = decoded.envs[index] ?? {};
    instance.bind(...header.functions[index]!.names.map((name) => decoded!.resolve(env[name])));
    instance.fn = instance.define!();
    return instance.fn;
  };
  const fromRef = (ref: Ref): unknown => {
    if ('fn' in ref) return instances[ref.fn]!.fn ?? (decoded ? define(ref.fn) : LATER);
    if ('module' in ref) return modules[ref.module];
    const native = lookupGlobalPath(ref.native);
    // what compiles code from strings is never a payload's to name, by whatever path
    if (compilesCode(native)) {
      throw new PayloadError(
        `Invalid closure payload: native ${ref.native} compiles code from strings.`,
        { field: 'native' },
      );
    }
    if (typeof native !== 'function') {
      throw new PayloadError(
        `Invalid closure payload: native function ${ref.native} does not exist in this thread.`,
        { field: 'native' },
      );
    }
    return native;
  };
  const result = decodeValues(values, buffers, {
    ref: (index) => {
      const ref = header.refs[index];
      if (ref === undefined)
        throw new PayloadError(
          `Invalid closure payload: the values name ref ${index}, but there are only ${header.refs.length}.`,
          { field: 'values' },
        );
      return fromRef(ref);
    },
    // asked by the repairs, which run once every class is defined
    classAt: (index) => {
      const entry = header.classes[index];
      return entry === undefined ? undefined : instances[entry.fn]!.fn;
    },
    construct: (index, args) => {
      const entry = header.classes[index];
      if (entry === undefined)
        throw new PayloadError(
          `Invalid closure payload: the values name class ${index}, which it does not have.`,
          {
            field: 'values',
          },
        );
      // a constructor is code of the payload's: run only for a payload from a trusted sender
      if (!trusted)
        throw new PayloadError(
          `Refused an unauthenticated closure payload: it builds an instance of ${entry.identifier} by calling its constructor (registerClass's args). Sign it and pass the secret, or rebuild it where it was made. Nothing from it was run.`,
          { field: 'values' },
        );
      const ctor = instances[entry.fn]!.fn ?? define(entry.fn);
      return Reflect.construct(ctor, args);
    },
    sharedAt: (index) => options.shared?.[index],
  });
  if (result.envs.length !== instances.length || result.members.length !== instances.length) {
    throw new PayloadError(
      `Invalid closure payload: the values hold ${result.envs.length} environments for ${instances.length} functions.`,
      { field: 'values' },
    );
  }
  decoded = result;
  const bindAll = () =>
    header.functions.forEach((node, i) => {
      const env = result.envs[i] ?? {};
      const instance = instances[i]!;
      if (!instance.define) instance.bind(...node.names.map((name) => env[name]));
    });
  // every function that exists is bound before a class is defined, which may call them
  bindAll();
  instances.forEach((instance, i) => {
    if (instance.define) define(i);
  });
  // now with the classes and constructed instances in place of their placeholders
  if (result.finish()) bindAll();
  header.functions.forEach((node, i) => {
    const fn = instances[i]!.fn!;
    if (node.name !== undefined && fn.name !== node.name)
      Object.defineProperty(fn, 'name', { value: node.name, configurable: true });
    const members = result.members[i];
    if (members) applyMembers(fn, members);
  });
  return fromRef(header.root) as Function;
}

/** Puts back what a function carried besides its source (see `Members`). */
function applyMembers(fn: Function, members: Members): void {
  const hidden = (target: object, values: Record<string, unknown> | undefined) => {
    for (const [key, value] of Object.entries(values ?? {}))
      Object.defineProperty(target, key, { value, writable: true, configurable: true });
  };
  if (members.statics) Object.assign(fn, members.statics);
  hidden(fn, members.hiddenStatics);
  const parent = members.parent?.fn;
  if (typeof parent === 'function') {
    Object.setPrototypeOf(fn, parent);
    if (members.parent!.protoToo && fn.prototype)
      Object.setPrototypeOf(fn.prototype, parent.prototype);
  }
  if (!fn.prototype) return;
  if (members.proto) Object.assign(fn.prototype, members.proto);
  hidden(fn.prototype, members.hiddenProto);
  const accessor = ({ get, set }: { get?: unknown; set?: unknown }) => ({
    get: typeof get === 'function' ? (get as () => unknown) : undefined,
    set: typeof set === 'function' ? (set as (v: unknown) => void) : undefined,
    configurable: true,
  });
  for (const [key, d] of Object.entries(members.accessors ?? {}))
    Object.defineProperty(fn.prototype, key, accessor(d));
  for (const [name, d] of Object.entries(members.symbols ?? {})) {
    const symbol = (Symbol as any)[name];
    if (typeof symbol !== 'symbol')
      throw new PayloadError(
        `Invalid closure payload: Symbol.${name} is not a well-known symbol.`,
        {
          field: 'values',
        },
      );
    Object.defineProperty(
      fn.prototype,
      symbol,
      'value' in d ? { value: d.value, writable: true, configurable: true } : accessor(d),
    );
  }
}

/**
 * The payload split into its parts: validated against the schema, unless it is a frame this
 * process made (`trusted`, with no hash or secret to check).
 */
async function parse(
  input: unknown,
  options: { secret?: Secret; hash?: string; trusted?: boolean },
): Promise<ParsedPayload> {
  if (
    input instanceof Uint8Array &&
    options.trusted === true &&
    options.hash === undefined &&
    options.secret === undefined
  )
    return readTrustedFrame(input);
  await loadChecks();
  return schema!.parsePayload(input, { hash: options.hash });
}

/**
 * Compiles a function node once per distinct source and names; each call makes a fresh scope.
 * Compiler helpers are parameters, there from the start (a class's static block may call
 * `__name`); captured names are `var` bindings (no TDZ check on each read) filled in once every
 * function exists, so recursion and cycles work; the function's own name (`node.self`) is a `const`.
 */
function instantiate(node: FunctionNode, field: string, trusted: boolean): Instance {
  const key = `${node.name ?? ''};${node.names.join(',')};${node.self ?? ''};${node.helpers.join(',')}\n${node.source}`;
  let compiled = factories.get(key);
  if (!compiled) {
    // a trusted payload's source is its sender's analysis, compiled as it is (no parser loaded)
    const parsed = trusted ? undefined : singleFunction(node.source, `${field}.source`);
    const { head, tail } = factoryParts(node);
    const body = `${head}${node.source}${tail}`;
    try {
      compiled = {
        factory: new Function(...node.helpers, body) as Factory,
        deferred:
          node.names.length > 0 && (parsed ? definitionReadsScope(parsed) : node.deferred === true),
        judged: false,
      };
    } catch (error) {
      throw compileError(error, field);
    }
    if (parsed) judge(compiled, parsed);
    factories.set(key, compiled, key.length * 2);
  }
  // checked on every rebuild, the cached ones too: the same source may come trusted, then not
  if (!trusted) {
    if (!compiled.judged) judge(compiled, singleFunction(node.source, `${field}.source`));
    if (compiled.runsOnRebuild) {
      throw new PayloadError(
        `Refused an unauthenticated closure payload: ${field}.source is a class whose definition runs code when it is rebuilt (${compiled.runsOnRebuild}). Sign it and pass the secret, or rebuild it where it was made. Nothing from it was run.`,
        { field: `${field}.source` },
      );
    }
  }
  const [bind, define] = compiled.factory(
    ...node.helpers.map((name) => helpers!.toolchainHelper(name)),
  );
  return compiled.deferred
    ? { bind, fn: undefined, define: define as () => Function }
    : { bind, fn: define() };
}

/** Records what of a parsed source runs when it is rebuilt: the check an untrusted payload gets. */
function judge(compiled: Compiled, parsed: any): void {
  compiled.runsOnRebuild = staticCodeOf(parsed);
  compiled.judged = true;
}

/** The factory's body around a node's source (see `sourcePosition`, which depends on it). */
function factoryParts(node: FunctionNode): { head: string; tail: string } {
  const { self } = node;
  const vars = node.names.filter((n) => n !== self);
  const setters = node.names.map((n, i) => (n === self ? '' : `${n} = arguments[${i}]; `)).join('');
  // an anonymous function takes its name from the property it is defined in: its own name
  const name = JSON.stringify(node.name ?? '');
  // the name by which the function calls itself is a constant (V8 optimizes calls through a
  // constant binding, not through a variable): it is the function, whatever the values say
  const [open, close] = self
    ? [`{ const ${self} = ({ ${name}: `, ` })[${name}]; return ${self}; }`]
    : [`({ ${name}: `, ` })[${name}]`];
  return {
    head:
      `"use strict";\nvar ${vars.join(', ') || '_'};\n` +
      `return [function () { ${setters}}, () => ${open}`,
    tail: `${close}];\n//# sourceURL=${scriptName(node)}`,
  };
}

/** The script name a rebuilt function's frames show. */
export function scriptName(node: FunctionNode): string {
  return `closure-pool:///${(node.name || 'anonymous').replace(/[^\w$.-]/g, '_')}.js`;
}

/**
 * Where a node's source starts in the script its frames name: a 1-based line (`new Function`
 * puts the body on the script's third line) and a 0-based column. A frame's position minus this
 * is a position in the function's own source.
 */
export function sourcePosition(node: FunctionNode): { line: number; column: number } {
  const { head } = factoryParts(node);
  const lines = head.split('\n');
  return { line: 2 + lines.length, column: lines.at(-1)!.length };
}

/**
 * The source must be exactly one function, class or method expression, parsed as it is compiled:
 * as script code (where `<!--` starts a comment, which in module code it does not). Returns it.
 */
function singleFunction(source: string, field: string): any {
  let outer: any;
  try {
    outer = parser!.parseExpressionAt(source, 0, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      preserveParens: true,
    });
  } catch (error) {
    throw new PayloadError(
      `Invalid closure payload: ${field} does not parse: ${(error as Error).message}.`,
      { field, cause: error },
    );
  }
  const node = outer.type === 'ParenthesizedExpression' ? outer.expression : outer;
  const isFunction = (n: any) => /^(Arrow)?FunctionExpression$|^ClassExpression$/.test(n?.type);
  const object =
    node.object?.type === 'ParenthesizedExpression' ? node.object.expression : node.object;
  const isMethod =
    node.type === 'MemberExpression' &&
    object.type === 'ObjectExpression' &&
    object.properties.length === 1 &&
    object.properties[0].method &&
    !object.properties[0].computed &&
    node.property.name === 'm';
  if (outer.end !== source.length || !(isFunction(node) || isMethod)) {
    throw new PayloadError(
      `Invalid closure payload: ${field} is not a single function expression.`,
      { field },
    );
  }
  return node;
}

/** What of a class definition runs when it is evaluated; undefined for anything else, or a class that runs nothing. */
function staticCodeOf(node: any): string | undefined {
  if (node.type !== 'ClassExpression') return undefined;
  if (node.superClass && node.superClass.type !== 'Identifier') return 'an `extends` expression';
  for (const member of node.body.body) {
    if (member.type === 'StaticBlock' && member.body.length > 0 && !namesItself(member))
      return 'a static block';
    if (member.computed && member.key.type !== 'Literal') return 'a computed key';
    if (
      member.type === 'PropertyDefinition' &&
      member.static &&
      member.value &&
      !inert(member.value)
    )
      return `the initializer of static ${member.key.name ?? 'field'}`;
  }
  return undefined;
}

/**
 * esbuild's `keepNames` static block, `static { __name(this, "A"); }`. While a class is being
 * rebuilt, `__name` can only be the worker's own helper (which sets the class's name) or, as a
 * captured name not yet bound, undefined: either way no code of the payload's runs.
 */
function namesItself(block: any): boolean {
  const [statement, ...rest] = block.body;
  const call = statement.expression;
  return (
    rest.length === 0 &&
    statement.type === 'ExpressionStatement' &&
    call.type === 'CallExpression' &&
    call.callee.type === 'Identifier' &&
    call.callee.name === '__name' &&
    call.arguments.length === 2 &&
    call.arguments[0].type === 'ThisExpression' &&
    call.arguments[1].type === 'Literal' &&
    typeof call.arguments[1].value === 'string'
  );
}

/** An expression whose evaluation runs no code of the payload's: a literal, or a function. */
function inert(node: any): boolean {
  return (
    node.type === 'Literal' ||
    /^(Arrow)?FunctionExpression$/.test(node.type) ||
    (node.type === 'TemplateLiteral' && node.expressions.length === 0) ||
    (node.type === 'UnaryExpression' && node.argument.type === 'Literal')
  );
}

function compileError(error: unknown, field: string): PayloadError {
  if (
    error instanceof EvalError ||
    /code generation from strings disallowed/i.test(String(error))
  ) {
    return new PayloadError(
      'closure-pool cannot compile functions here: code generation from strings is disabled in this thread ' +
        '(--disallow-code-generation-from-strings, or a policy that forbids eval/new Function). ' +
        'closure-pool rebuilds each function from its source and needs it allowed in the worker.',
      { field, cause: error, code: ErrorCode.CODE_GENERATION_DISALLOWED },
    );
  }
  return new PayloadError(
    `Invalid closure payload: ${field} does not compile: ${(error as Error).message}.`,
    {
      field,
      cause: error,
      code: ErrorCode.PAYLOAD_COMPILE_FAILED,
    },
  );
}

async function importModule(ref: Payload['modules'][number], field: string): Promise<unknown> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(ref.url);
  } catch (error) {
    throw new PayloadError(`The worker cannot import ${ref.url}: ${(error as Error).message}.`, {
      field,
      cause: error,
    });
  }
  if (ref.exportName === undefined) return namespace;
  if (!(ref.exportName in namespace)) {
    throw new PayloadError(`${ref.url} has no export named '${ref.exportName}'.`, {
      field: `${field}.exportName`,
    });
  }
  return namespace[ref.exportName];
}
