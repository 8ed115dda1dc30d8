import { type Node, Parser } from 'acorn';
import { ancestor } from 'acorn-walk';
import { analyze as analyzeScopes } from 'eslint-scope';
import { BoundedCache } from './bounded-cache.js';
import { definitionReadsScope } from './class-definition.js';
import { CaptureError, ErrorCode } from './errors.js';

/** What the serializer needs to know about one function's source. */
export interface Analysis {
  /** The function as an expression the worker can evaluate, e.g. `((x) => x ** y)`. */
  readonly expression: string;
  /** Every name the function reads from outside itself, globals included, in first-use order. */
  readonly free: readonly string[];
  /** Free names read only as `typeof name`: a feature test, `'undefined'` wherever the name is absent. */
  readonly typeofOnly: readonly string[];
  /**
   * Free names read only as `name.prop`, with where: how compilers to CommonJS read an import
   * (`helper_1.triple`, `_helper.triple`, `import_helper.triple`).
   */
  readonly memberOnly: ReadonlyMap<string, readonly MemberRead[]>;
  /** Free names the function assigns to (`n = …`, `n++`): bound as variables, never as constants. */
  readonly written: readonly string[];
  /** The function reads its own `this`: as the task, or captured by itself, it is called without one. */
  readonly usesOwnThis: boolean;
  /** A class whose definition reads its captures: the worker defines it once they are bound. */
  readonly definitionReadsScope: boolean;
  /**
   * Names that were vitest's import bindings (`__vite_ssr_import_0__.setTimeout` → `setTimeout`),
   * each with the binding it was read from: imports, not globals.
   */
  readonly imported: Readonly<Record<string, string>>;
}

/** A read of `name.prop` at [start, end) of the expression. */
export interface MemberRead {
  readonly start: number;
  readonly end: number;
  readonly prop: string;
}

/**
 * Async functions and generators as tsc (`__awaiter`, `__generator`, `__asyncGenerator`) and
 * esbuild (`__async`) lower them: `this` passed in is the function's own `this` (or, in an arrow,
 * the one around it), and the body passed last runs with it.
 */
const asyncHelpers = new Set(['__awaiter', '__async', '__generator', '__asyncGenerator']);

// (a callee that is not a plain name has no `name`: no helper)
function isLoweredAsyncBody(node: any, parent: any): boolean {
  return (
    node.type === 'FunctionExpression' &&
    parent?.type === 'CallExpression' &&
    asyncHelpers.has(parent.callee.name) &&
    parent.arguments.at(-1) === node
  );
}

function isThisOfLoweredAsync(node: any, parent: any): boolean {
  return (
    parent?.type === 'CallExpression' &&
    asyncHelpers.has(parent.callee.name) &&
    parent.arguments[0] === node
  );
}

function isForwarded(node: any, parent: any): boolean {
  return (
    parent?.type === 'CallExpression' &&
    parent.arguments[0] === node &&
    parent.callee.type === 'MemberExpression' &&
    !parent.callee.computed &&
    parent.callee.property.name === 'apply' &&
    parent.arguments[1]?.type === 'Identifier' &&
    parent.arguments[1].name === 'arguments'
  );
}

/** The nearest enclosing function or class that gives `this` a value (arrows and lowered async bodies do not). */
function thisOwner(ancestors: any[]): any {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const n = ancestors[i];
    if (n.type === 'ClassExpression' || n.type === 'ClassDeclaration') return n;
    if (
      (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration') &&
      !isLoweredAsyncBody(n, ancestors[i - 1])
    )
      return n;
  }
  return undefined;
}

const parseOptions = { ecmaVersion: 'latest', sourceType: 'module', ranges: true } as const;

/** How vitest (vite's SSR transform) renames imported bindings: `helper` → `__vite_ssr_import_0__.helper`. */
const viteImport = /^__vi(?:te_ssr)?_import_\d+__$/;

/** Analyses by source text: at most 1,000, and 16 MiB of source text. */
const bySource = new BoundedCache<string, Analysis>(1000, 16 * 1024 * 1024);
const byFunction = new WeakMap<Function, Analysis>();

/** Analyzes a function: cached per function object and per source text, so a repeat costs no parse. */
export function analyzeFunction(fn: Function, path: string): Analysis {
  const known = byFunction.get(fn);
  if (known) return known;
  const source = Function.prototype.toString.call(fn);
  let analysis = bySource.get(source);
  if (!analysis) {
    analysis = analyzeSource(source, path);
    bySource.set(source, analysis, source.length * 2);
  }
  byFunction.set(fn, analysis);
  return analysis;
}

/** Parses a function's source with acorn and finds its free variables with eslint-scope. */
export function analyzeSource(source: string, path: string): Analysis {
  return analyzeExpression(asExpression(source, path), source, path);
}

/** `analyzeSource` of a source already made an expression. */
function analyzeExpression(start: string, source: string, path: string): Analysis {
  let expression = start;
  let ast = parse(expression, source, path);
  const { rewritten, imported } = rewriteViteImports(expression, ast);
  if (rewritten !== expression) {
    expression = rewritten;
    ast = parse(expression, source, path);
  }
  refuseEscapes(ast, path);
  refuseHtmlComments(expression, path);
  const scopes = analyzeScopes(ast, { ecmaVersion: 2022, sourceType: 'module' });
  const through = scopes.globalScope.through;
  const free = [...new Set(through.map((ref) => ref.identifier.name))];
  if (free.includes('arguments')) {
    throw syntaxError(
      path,
      '`arguments` outside any function of its own',
      'arrow functions share `arguments` with the code around them',
    );
  }
  const root = (ast as any).body[0].expression;
  return {
    expression,
    free,
    written: [...new Set(through.filter((ref) => ref.isWrite()).map((ref) => ref.identifier.name))],
    ...readsOf(ast, through),
    usesOwnThis: usesOwnThis(ast),
    definitionReadsScope: definitionReadsScope(root),
    imported,
  };
}

/** How each free name is read: only under `typeof`, or only as `name.prop`. */
function readsOf(
  ast: Node,
  through: { identifier: any }[],
): Pick<Analysis, 'typeofOnly' | 'memberOnly'> {
  const outside = new Set(through.map((ref) => ref.identifier));
  const typeofReads = new Map<string, number>();
  const members = new Map<string, MemberRead[]>();
  const total = new Map<string, number>();
  for (const { identifier } of through)
    total.set(identifier.name, (total.get(identifier.name) ?? 0) + 1);
  ancestor(ast, {
    Identifier(node: any, _state, ancestors: any[]) {
      if (!outside.has(node)) return;
      const parent = ancestors.at(-2);
      if (parent?.type === 'UnaryExpression' && parent.operator === 'typeof')
        typeofReads.set(node.name, (typeofReads.get(node.name) ?? 0) + 1);
      if (
        parent?.type === 'MemberExpression' &&
        parent.object === node &&
        !parent.computed &&
        parent.property.type === 'Identifier' &&
        ancestors.at(-3)?.type !== 'AssignmentExpression'
      ) {
        const list = members.get(node.name) ?? [];
        list.push({ start: parent.start, end: parent.end, prop: parent.property.name });
        members.set(node.name, list);
      }
    },
  });
  const all = (name: string, count: number) => total.get(name) === count;
  return {
    typeofOnly: [...typeofReads].filter(([n, c]) => all(n, c)).map(([n]) => n),
    memberOnly: new Map([...members].filter(([n, reads]) => all(n, reads.length))),
  };
}

/** Whether the function itself (not a function or class inside it) reads `this`. */
function usesOwnThis(ast: any): boolean {
  let root = ast.body[0].expression;
  if (root.type === 'MemberExpression') root = root.object.properties[0].value; // a method
  if (root.type !== 'FunctionExpression') return false;
  let found = false;
  ancestor(root, {
    ThisExpression(node, _state, ancestors: any[]) {
      // passed to tsc's or esbuild's async helper: read only if the lowered body reads it
      if (isThisOfLoweredAsync(node, ancestors.at(-2))) return;
      // babel's and SWC's forwarding to a lowered body (`_ref.apply(this, arguments)`): the body,
      // moved out of the function, is a missing capture with a message of its own
      if (isForwarded(node, ancestors.at(-2))) return;
      if (thisOwner(ancestors) === root) found = true;
    },
  });
  return found;
}

/**
 * The analysis with `name.prop` read as `prop` for each of `names`: a compiler's CommonJS import
 * binding (`helper_1.triple(x)`) read as the imported name the capture holds (`triple(x)`).
 */
export function readMembersAsNames(analysis: Analysis, names: readonly string[]): Analysis {
  const key = names.join(',');
  let byNames = rewritten.get(analysis);
  if (!byNames) {
    byNames = new Map();
    rewritten.set(analysis, byNames);
  }
  const known = byNames.get(key);
  if (known) return known;
  const edits = names
    .flatMap((name) => analysis.memberOnly.get(name) ?? [])
    .sort((a, b) => b.start - a.start);
  let expression = analysis.expression;
  for (const edit of edits)
    expression = expression.slice(0, edit.start) + edit.prop + expression.slice(edit.end);
  const result = analyzeExpression(expression, expression, 'fn');
  byNames.set(key, result);
  return result;
}
const rewritten = new WeakMap<Analysis, Map<string, Analysis>>();

/** Turns any function source into an expression: methods `m(x) {…}` become `({ m(x) {…} }).m`. */
function asExpression(source: string, path: string): string {
  const wrapped = `(${source})`;
  const node = tryParseExpression(wrapped);
  if (node && /^(Arrow)?FunctionExpression$|^ClassExpression$/.test(node.type)) return wrapped;

  const object = tryParseExpression(`({ ${source} })`) as any;
  const method =
    object?.type === 'ObjectExpression' && object.properties.length === 1
      ? object.properties[0]
      : undefined;
  if (method?.type === 'Property' && method.method) {
    const fn = method.value;
    const prefix = `${fn.async ? 'async ' : ''}${fn.generator ? '*' : ''}`;
    // the key is replaced by `m`, since a computed key (`[Symbol.iterator]`) would need its own scope
    const rest = `({ ${source} })`.slice(fn.start, fn.end);
    return `({ ${prefix}m${rest} }).m`;
  }
  if (usesWith(wrapped) || usesWith(`({ ${source} })`))
    throw syntaxError(path, 'a `with` statement', '`with` hides which names come from outside');
  throw new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_FUNCTION,
    `${path} cannot travel: its source is not a function closure-pool can parse ` +
      `(${source.length > 60 ? `${source.slice(0, 60)}…` : source}). ` +
      'Pass an arrow function, a function expression or declaration, a method, or a class.',
    { path },
  );
}

function tryParseExpression(text: string): Node | undefined {
  try {
    return Parser.parseExpressionAt(text, 0, parseOptions) as Node;
  } catch {
    return undefined;
  }
}

function parse(expression: string, source: string, path: string): Node {
  try {
    const ast = Parser.parse(expression, parseOptions) as any;
    if (ast.body.length !== 1 || ast.body[0].type !== 'ExpressionStatement')
      throw new SyntaxError('not a single expression');
    return ast;
  } catch (error) {
    if (/\bwith\b/.test(source) && usesWith(expression)) {
      throw syntaxError(path, 'a `with` statement', '`with` hides which names come from outside');
    }
    throw new CaptureError(
      ErrorCode.CAPTURE_UNSUPPORTED_SYNTAX,
      `${path} cannot travel: its source does not parse as strict-mode code (${(error as Error).message}). ` +
        'The worker compiles functions in strict mode, as module code is; write it as you would in an ES module.',
      { path, cause: error },
    );
  }
}

function usesWith(expression: string): boolean {
  try {
    let found = false;
    ancestor(Parser.parse(expression, { ecmaVersion: 'latest', sourceType: 'script' }), {
      WithStatement() {
        found = true;
      },
    });
    return found;
  } catch {
    return false;
  }
}

/** Rewrites vitest's `__vite_ssr_import_0__.helper` back to the `helper` the user wrote and captured. */
function rewriteViteImports(
  expression: string,
  ast: Node,
): { rewritten: string; imported: Record<string, string> } {
  if (!expression.includes('_import_')) return { rewritten: expression, imported: {} };
  const edits: { start: number; end: number; name: string; binding: string }[] = [];
  ancestor(ast, {
    MemberExpression(node: any) {
      if (
        node.object.type === 'Identifier' &&
        viteImport.test(node.object.name) &&
        !node.computed &&
        node.property.type === 'Identifier' &&
        node.property.name !== 'default'
      ) {
        edits.push({
          start: node.start,
          end: node.end,
          name: node.property.name,
          binding: node.object.name,
        });
      }
    },
  });
  let result = expression;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    result = result.slice(0, edit.start) + edit.name + result.slice(edit.end);
  }
  return {
    rewritten: result,
    imported: Object.fromEntries(edits.map((e) => [e.name, e.binding])),
  };
}

/** `this` and `super` that reach past the function's own text, and direct `eval`, cannot be carried. */
function refuseEscapes(ast: Node, path: string): void {
  const isClass = (n: any) => n.type === 'ClassExpression' || n.type === 'ClassDeclaration';
  ancestor(ast, {
    ThisExpression(node, _state, ancestors: any[]) {
      if (isThisOfLoweredAsync(node, ancestors.at(-2))) return; // checked where the body reads it
      if (!thisOwner(ancestors)) {
        throw syntaxError(
          path,
          '`this` from the code around it',
          'an arrow function reads `this` from where it was written, which the worker does not have',
        );
      }
    },
    Super(_node, _state, ancestors: any[]) {
      if (!ancestors.some(isClass)) {
        throw syntaxError(
          path,
          '`super`',
          'a method taken off its class loses the class it would call',
        );
      }
    },
    CallExpression(node: any) {
      if (node.callee.type === 'Identifier' && node.callee.name === 'eval') {
        throw syntaxError(
          path,
          'direct `eval`',
          'eval can read any local name, so its environment cannot be known',
        );
      }
    },
  });
}

/**
 * The worker compiles a source as script code, where `<!--` and a line-leading `-->` start
 * comments; in module code (how it was analyzed) they are operators. A source read differently
 * by the two is refused, so that what was checked is what runs.
 */
function refuseHtmlComments(expression: string, path: string): void {
  if (!/<!--|-->/.test(expression)) return;
  // (inside a string, a template or a comment they are no comment in either reading)
  let comment = false;
  try {
    Parser.parse(expression, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      onComment: (_block, _text, start) => {
        if (/^(<!--|-->)/.test(expression.slice(start, start + 4))) comment = true;
      },
    });
  } catch {
    // not script code at all: the worker would refuse it too
    comment = true;
  }
  if (comment) {
    throw syntaxError(
      path,
      '`<!--` or `-->`',
      'in script code, as the worker compiles it, they start a comment; write `< !--x` or `x-- >` with spaces',
    );
  }
}

function syntaxError(path: string, what: string, why: string): CaptureError {
  return new CaptureError(
    ErrorCode.CAPTURE_UNSUPPORTED_SYNTAX,
    `${path} uses ${what}, which cannot travel to a worker: ${why}. ` +
      'Pass what it needs as an argument or capture it as a variable: capture({ name }).',
    { path },
  );
}
