// [main] The message for free variables a capture lacks, in the user's words: a name a bundler or
// compiler made is explained as what the user wrote, with the fix that works for it.
import { describe } from './capture.js';
import { CaptureError, ErrorCode } from './errors.js';
import { missingHelperPackages } from './helpers.js';
import { builtinRefOf } from './value-refusals.js';

/** One function's missing names, and what the message needs to know about it. */
export interface Missing {
  readonly path: string;
  readonly names: readonly string[];
  /** Its environment came from `closure()`. */
  readonly own: boolean;
  /** Capture keys the function does not use. */
  readonly unusedKeys: readonly string[];
  /** Compiler helpers it uses. */
  readonly helpers: readonly string[];
  /** The function's own name. */
  readonly name: string;
  /** Its source has none of the spaces people and formatters write (`x => y`, `a, b`). */
  readonly compact: boolean;
  /** What V8 says each missing name is bound to where the function was written. */
  readonly found: Readonly<Record<string, unknown>>;
}

const commonJs = new Set(['require', 'module', 'exports', '__dirname', '__filename', '__require']);
const viteImport = /^__vi(te_ssr)?_import_\d+__$/;
/** Names babel and SWC give what they move out of a function when lowering it: `_ref2`, `_marked`… */
const hoisted = /^_(ref|marked|excluded|templateObject|callee|x|asyncIterator)\d*$/;
/** Babel's and SWC's inline helpers: `_classCallCheck`, `_class_call_check`. */
const helperShape = /^_[a-z][a-zA-Z\d]*(_[a-z\d]+)*$/;

/** A bundler's rename of a shadowing variable: `y2` for the user's `y`. */
export function renamedFrom(name: string): string | undefined {
  const base = /^([A-Za-z_$][\w$]*?)\d+$/.exec(name)?.[1];
  return base && !base.endsWith('_') ? base : undefined;
}

/** What the user wrote for `name`, and a hint when a tool made it. */
function explain(
  name: string,
  m: Missing,
): { shown: string; capture?: string; hint?: string; fix?: string } {
  if (commonJs.has(name))
    return {
      shown: name,
      hint: `\`${name}\` is CommonJS's own, one per module file; a worker thread runs the function outside any module`,
      fix:
        name === '__dirname' || name === '__filename'
          ? `capture the path itself: capture({ ${name} })`
          : "capture the module instead of requiring it: capture({ path: moduleRef('node:path') }), then use `path` inside",
    };
  if (name === '_this' || name === '_this2')
    return {
      shown: `${name} (\`this\`, as babel or SWC renames it)`,
      hint: 'an arrow function reads `this` from where it was written, which the worker does not have',
      fix: 'capture what it needs from `this` as a variable: const { base } = this; capture({ base })',
    };
  if (viteImport.test(name))
    return {
      shown: name,
      hint: 'a __vite_ssr_import_N__ name is how vitest renames an import',
      fix: 'capture the imported name itself, or use moduleRef()',
    };
  // tsc's WeakMaps (`_Secret_value`, `_Secret_instances`), babel's and SWC's (`_value`)
  if (privateHelpers(m) && name.startsWith('_'))
    return {
      shown: name,
      hint: "it is where your compiler keeps a class's #private members (a WeakMap, as it lowers them for a target before ES2022), which cannot travel",
      fix: "compile for ES2022 or later (tsc --target ES2022, esbuild --target=es2022, babel preset-env targets: { node: '20' }), which keeps #private in the class",
    };
  // babel's async function `f`, whose body it moved to a function `_f` beside it
  if (hoisted.test(name) || (m.name !== '' && name === `_${m.name}`))
    return {
      shown: name,
      hint: 'a compiler (babel or SWC) moved part of the function out of it, lowering it for an old target',
      fix: "compile for a target with native async functions, generators, tagged templates and rest (babel preset-env targets: { node: '20' }; SWC jsc.target: 'es2020')",
    };
  const missingPackages = missingHelperPackages();
  if (helperShape.test(name) && missingPackages.length > 0)
    return {
      shown: name,
      capture: name,
      hint: `if it is a helper your compiler wrote into the file, the worker supplies it from ${missingPackages.join(' or ')}, which is not installed here`,
      fix: `npm install ${missingPackages.join(' ')}, or capture it`,
    };
  const here = Object.hasOwn(m.found, name) ? `here ${describe(m.found[name])}` : undefined;
  // one of Node's builtins, or a function it exports: the worker imports its own, by reference
  const ref = Object.hasOwn(m.found, name) ? builtinRefOf(m.found[name]) : undefined;
  if (ref)
    return {
      shown: `${name} (${here})`,
      capture: `${name}: moduleRef(${ref.map((part) => `'${part}'`).join(', ')})`,
    };
  const base = renamedFrom(name);
  if (base) {
    const renamed = `probably your \`${base}\`, renamed by a bundler`;
    return { shown: `${name} (${[renamed, here].filter(Boolean).join('; ')})`, capture: base };
  }
  return { shown: here ? `${name} (${here})` : name, capture: name };
}

/** The function uses a compiler's helpers for #private members, known to the worker or not. */
function privateHelpers(m: Missing): boolean {
  return [...m.helpers, ...m.names].some((h) => /private|ClassBrand/i.test(h));
}

/**
 * Only one- and two-letter names: a minifier's. With capture keys unused, the bundler surely
 * renamed what the capture names.
 */
function looksMinified(m: Missing): boolean {
  return m.names.every((n) => /^[A-Za-z_$][\w$]?$/.test(n));
}

function line(m: Missing): string {
  if (looksMinified(m) && m.unusedKeys.length > 0)
    return (
      `${m.path} uses ${m.names.join(', ')}, which look minified: the bundler renamed the variables your capture names (${m.unusedKeys.join(', ')}), so they cannot be matched. ` +
      'Fix: keep identifiers in code that uses closure-pool (esbuild: --minify-whitespace --minify-syntax instead of --minify; terser: mangle: false)'
    );
  const parts = m.names.map((name) => explain(name, m));
  const shown = parts.map((p) => p.shown);
  const list = shown.length > 8 ? `${shown.slice(0, 8).join(', ')}, …` : shown.join(', ');
  const hints = [...new Set(parts.flatMap((p) => (p.hint ? [p.hint] : [])))];
  const fixes = [...new Set(parts.flatMap((p) => (p.fix ? [p.fix] : [])))];
  const captured = [...new Set(parts.flatMap((p) => (p.capture ? [p.capture] : [])))];
  if (captured.length > 0) {
    const names =
      captured.length > 8 ? `${captured.slice(0, 8).join(', ')}, …` : captured.join(', ');
    const fn = m.path.split('.').pop();
    fixes.push(
      m.path === 'fn'
        ? `capture({ ${names} })`
        : m.own
          ? `closure(${fn}, { …, ${names} })`
          : `capture({ …, ${names} }) or closure(${fn}, { ${names} })`,
    );
  }
  if (looksMinified(m) && m.compact)
    hints.push(
      "if this code was minified, these may be the minifier's names for yours: bundle it with identifiers kept (esbuild: --minify-whitespace --minify-syntax instead of --minify)",
    );
  const why = hints.length > 0 ? ` (${hints.join('; ')})` : '';
  return `${m.path} uses ${list}, which a worker thread does not have${why}. Fix: ${fixes.join('; or ')}`;
}

/** The CaptureError for every function's missing names. */
export function missingError(missing: readonly Missing[]): CaptureError {
  // at most a few functions: the full list is in `missing`, the message stays readable
  const lines = missing.slice(0, 3).map(line);
  return new CaptureError(
    ErrorCode.CAPTURE_MISSING,
    `Free variables are not captured, so the function would fail in the worker with a ReferenceError:\n  ${lines.join('\n  ')}${missing.length > 3 ? `\n  (and ${missing.length - 3} more functions: see error.missing)` : ''}`,
    { path: missing[0]!.path, missing: [...new Set(missing.flatMap((m) => m.names))] },
  );
}
