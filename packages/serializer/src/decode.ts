import { Parser } from 'acorn';
import { BoundedCache } from './bounded-cache.js';
import { ErrorCode, PayloadError } from './errors.js';
import { lookupGlobalPath } from './globals.js';
import { toolchainHelpers } from './helpers.js';
import { type FunctionNode, hashFrame, type Payload, parsePayload, type Ref } from './payload.js';
import { type Secret, verifySignature } from './signature.js';
import { decodeValues } from './value-decode.js';

/** A compiled function node: call `bind` with its captured values, then `fn` is complete. */
type Instance = { bind: (...values: unknown[]) => void; fn: Function };
type Factory = (...helpers: unknown[]) => [Instance['bind'], Function];

/** Compiled sources: at most 500, and 16 MiB of source text. */
const factories = new BoundedCache<string, Factory>(500, 16 * 1024 * 1024);

/**
 * Rebuilds the function a payload describes, from its JSON form (`Payload`) or its binary frame.
 * The payload is validated first (hash, shape, references, and that each source is one function
 * expression) and, given a `secret`, its signature; nothing from a payload that fails runs.
 * Async because modules named with `moduleRef()` are imported.
 *
 * A frame carries no hash or signature of its own: pass `hash` to have it checked, and with a
 * `secret`, the `signature`. A frame made by this very process (a pool's own threads) needs neither.
 */
export async function deserializeClosure(
  input: unknown,
  options: { secret?: Secret; hash?: string; signature?: string } = {},
): Promise<Function> {
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
  const instances = header.functions.map((node, i) => instantiate(node, `functions.${i}`));
  const modules = await Promise.all(header.modules.map((m, i) => importModule(m, `modules.${i}`)));
  const fromRef = (ref: Ref): unknown => {
    if ('fn' in ref) return instances[ref.fn]!.fn;
    if ('module' in ref) return modules[ref.module];
    const native = lookupGlobalPath(ref.native);
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
function instantiate(node: FunctionNode, field: string): Instance {
  const key = `${node.name ?? ''};${node.names.join(',')};${node.helpers.join(',')}\n${node.source}`;
  let factory = factories.get(key);
  if (!factory) {
    assertSingleFunction(node.source, `${field}.source`);
    const setters = node.names.map((n, i) => `${n} = arguments[${i}];`).join(' ');
    // an anonymous function takes its name from the property it is defined in, so frames show it
    const name = JSON.stringify(node.name ?? 'anonymous');
    const body =
      `"use strict";\nvar ${node.names.join(', ') || '_'};\n` +
      `return [function () { ${setters} }, { ${name}: ${node.source} }[${name}]];\n` +
      `//# sourceURL=closure-pool:///${node.name ?? 'anonymous'}.js`;
    try {
      factory = new Function(...node.helpers, body) as Factory;
    } catch (error) {
      throw compileError(error, field);
    }
    factories.set(key, factory, key.length * 2);
  }
  const [bind, fn] = factory(...node.helpers.map((name) => toolchainHelpers[name]));
  return { bind, fn };
}

/** The source must be exactly one function, class or method expression: nothing may run when it is evaluated. */
function assertSingleFunction(source: string, field: string): void {
  let outer: any;
  try {
    outer = Parser.parseExpressionAt(source, 0, {
      ecmaVersion: 'latest',
      sourceType: 'module',
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
