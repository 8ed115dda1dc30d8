import { Parser } from 'acorn';
import { BoundedCache } from './bounded-cache.js';
import { ErrorCode, PayloadError } from './errors.js';
import { compilesCode, lookupGlobalPath } from './globals.js';
import { toolchainHelpers } from './helpers.js';
import { type FunctionNode, hashFrame, type Payload, parsePayload, type Ref } from './payload.js';
import { checkSecret, type Secret, verifySignature } from './signature.js';
import { decodeValues } from './value-decode.js';

/** A compiled function node: call `bind` with its captured values, then `fn` is complete. */
type Instance = { bind: (...values: unknown[]) => void; fn: Function };
type Factory = (...helpers: unknown[]) => [Instance['bind'], Function];
/** A compiled source, and what of it runs when it is rebuilt (a class's static code), if anything. */
type Compiled = { factory: Factory; runsOnRebuild: string | undefined };

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
  const { body: header, values, buffers } = parsePayload(input, { hash: options.hash });
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
  const instances = header.functions.map((node, i) => instantiate(node, `functions.${i}`, trusted));
  const modules = await Promise.all(header.modules.map((m, i) => importModule(m, `modules.${i}`)));
  const fromRef = (ref: Ref): unknown => {
    if ('fn' in ref) return instances[ref.fn]!.fn;
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
  const decoded = decodeValues(values, buffers, {
    ref: (index) => {
      const ref = header.refs[index];
      if (ref === undefined)
        throw new PayloadError(
          `Invalid closure payload: the values name ref ${index}, but there are only ${header.refs.length}.`,
          { field: 'values' },
        );
      return fromRef(ref);
    },
    classAt: (index) => {
      const entry = header.classes[index];
      return entry === undefined ? undefined : instances[entry.fn]!.fn;
    },
    sharedAt: (index) => options.shared?.[index],
  });
  if (decoded.envs.length !== instances.length || decoded.members.length !== instances.length) {
    throw new PayloadError(
      `Invalid closure payload: the values hold ${decoded.envs.length} environments for ${instances.length} functions.`,
      { field: 'values' },
    );
  }
  header.functions.forEach((node, i) => {
    const env = decoded.envs[i] ?? {};
    const { fn, bind } = instances[i]!;
    bind(...node.names.map((name) => env[name]));
    const members = decoded.members[i];
    if (members?.statics) Object.assign(fn, members.statics);
    if (members?.proto) Object.assign(fn.prototype, members.proto);
  });
  return fromRef(header.root) as Function;
}

/**
 * Compiles a function node once per distinct source and names; each call makes a fresh scope.
 * Compiler helpers are parameters, there from the start (a class's static block may call
 * `__name`); captured names are `var` bindings (no TDZ check on each read) filled in once every function exists, so
 * recursion and cycles work.
 */
function instantiate(node: FunctionNode, field: string, trusted: boolean): Instance {
  const key = `${node.name ?? ''};${node.names.join(',')};${node.helpers.join(',')}\n${node.source}`;
  let compiled = factories.get(key);
  if (!compiled) {
    const runsOnRebuild = staticCodeOf(singleFunction(node.source, `${field}.source`));
    const { head, tail } = factoryParts(node);
    const body = `${head}${node.source}${tail}`;
    try {
      compiled = { factory: new Function(...node.helpers, body) as Factory, runsOnRebuild };
    } catch (error) {
      throw compileError(error, field);
    }
    factories.set(key, compiled, key.length * 2);
  }
  // checked on every rebuild, the cached ones too: the same source may come trusted, then not
  if (compiled.runsOnRebuild && !trusted) {
    throw new PayloadError(
      `Refused an unauthenticated closure payload: ${field}.source is a class whose definition runs code when it is rebuilt (${compiled.runsOnRebuild}). Sign it and pass the secret, or rebuild it where it was made. Nothing from it was run.`,
      { field: `${field}.source` },
    );
  }
  const [bind, fn] = compiled.factory(...node.helpers.map((name) => toolchainHelpers[name]));
  return { bind, fn };
}

/** The factory's body around a node's source (see `sourcePosition`, which depends on it). */
function factoryParts(node: FunctionNode): { head: string; tail: string } {
  const setters = node.names.map((n, i) => `${n} = arguments[${i}];`).join(' ');
  // an anonymous function takes its name from the property it is defined in, so frames show it
  const name = JSON.stringify(node.name ?? 'anonymous');
  return {
    head:
      `"use strict";\nvar ${node.names.join(', ') || '_'};\n` +
      `return [function () { ${setters} }, { ${name}: `,
    tail: ` }[${name}]];\n//# sourceURL=${scriptName(node)}`,
  };
}

/** The script name a rebuilt function's frames show. */
export function scriptName(node: FunctionNode): string {
  return `closure-pool:///${node.name ?? 'anonymous'}.js`;
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
    outer = Parser.parseExpressionAt(source, 0, {
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
    if (member.type === 'StaticBlock' && !namesItself(member)) return 'a static block';
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
  const call = statement?.expression;
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
